import { assert, assertEquals, assertRejects } from "../test/util/assert.ts";
import { CloneRefusedError, cloneTree, countEntries } from "./clone_tree.ts";

Deno.test("cloneTree: files are hard links, dirs and symlinks made anew with owner, mode and mtime", async () => {
  const root = await Deno.makeTempDir();
  try {
    const src = `${root}/src`, dst = `${root}/dst`;
    await Deno.mkdir(`${src}/a/b`, { recursive: true });
    await Deno.mkdir(dst);
    await Deno.writeTextFile(`${src}/a/b/f.txt`, "hello");
    await Deno.symlink("b/f.txt", `${src}/a/link`);
    await Deno.chmod(`${src}/a/b`, 0o2750);
    await Deno.chown(`${src}/a/b`, 12, 34);
    const t = new Date("2020-05-06T07:08:09Z");
    await Deno.utime(`${src}/a/b`, t, t);
    await Deno.utime(`${src}/a`, t, t);

    assertEquals(await cloneTree(src, dst), 4);
    assertEquals(countEntries(dst), 4);
    const [sf, df] = [Deno.lstatSync(`${src}/a/b/f.txt`), Deno.lstatSync(`${dst}/a/b/f.txt`)];
    assertEquals(df.ino, sf.ino);
    assertEquals(df.nlink, 2);
    const d = Deno.lstatSync(`${dst}/a/b`);
    assertEquals([d.mode! & 0o7777, d.uid, d.gid, d.mtime?.getTime()], [0o2750, 12, 34, t.getTime()]);
    assertEquals(Deno.lstatSync(`${dst}/a`).mtime?.getTime(), t.getTime(), "a dir's mtime is set after its entries");
    const l = Deno.lstatSync(`${dst}/a/link`);
    assert(l.isSymlink);
    assert(l.ino !== Deno.lstatSync(`${src}/a/link`).ino, "a symlink is its own inode");
    assertEquals(Deno.readLinkSync(`${dst}/a/link`), "b/f.txt");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cloneTree: refuses what a clone would not reproduce (a fifo; a dir with its own xattrs)", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/src/d`, { recursive: true });
    await Deno.mkdir(`${root}/dst`);
    await new Deno.Command("mkfifo", { args: [`${root}/src/d/pipe`] }).output();
    await assertRejects(() => cloneTree(`${root}/src`, `${root}/dst`), CloneRefusedError);
    await Deno.remove(`${root}/src/d/pipe`);
    const set = await new Deno.Command("setfattr", { args: ["-n", "user.note", "-v", "x", `${root}/src/d`] }).output();
    if (set.success) await assertRejects(() => cloneTree(`${root}/src`, `${root}/dst2`), CloneRefusedError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
