import { assert, assertEquals, assertRejects, assertStringIncludes } from "../test/util/assert.ts";
import { FileOpError } from "./errors.ts";
import { apply, copy, type CopyAction, destRootfs, list, tree } from "./testutil_test.ts";

const CONTEXT = {
  "file.txt": "file",
  "hom1.txt": "h1",
  "hom2.md": "h2",
  "hom3/inner.txt": "h3",
  "dir/a.txt": "a",
  "dir/sub/b.txt": "b",
  "dir/sub/c.md": "c",
  "dir/rel-link": "->a.txt",
  "link-to-file": "->file.txt",
  "x/one/f.txt": "1",
  "x/two/f.txt": "2",
  "secret.key": "s",
};

// [name, actions, dockerignore, expected new paths in dest (etc/ omitted)] — cases from the Dockerfile reference.
const cases: [string, CopyAction[], string[], string[]][] = [
  ["file to new path", [copy(["file.txt"], "/renamed")], [], ["renamed"]],
  ["file into dir (trailing slash)", [copy(["file.txt"], "/app/")], [], ["app/", "app/file.txt"]],
  ["dir copies its contents", [copy(["dir"], "/app")], [], [
    "app/",
    "app/a.txt",
    "app/rel-link -> a.txt",
    "app/sub/",
    "app/sub/b.txt",
    "app/sub/c.md",
  ]],
  ["dir itself without copyDirContents", [copy(["dir/sub"], "/app/", { copyDirContents: false })], [], [
    "app/",
    "app/sub/",
    "app/sub/b.txt",
    "app/sub/c.md",
  ]],
  ["glob matches files and dirs", [copy(["hom*"], "/m/")], [], ["m/", "m/hom1.txt", "m/hom2.md", "m/inner.txt"]],
  ["? glob", [copy(["hom?.txt"], "/m/")], [], ["m/", "m/hom1.txt"]],
  ["[] glob", [copy(["hom[2-3].md"], "/m/")], [], ["m/", "m/hom2.md"]],
  ["glob in a middle segment", [copy(["x/*/f.txt"], "/m/")], [], ["m/", "m/f.txt"]],
  ["multiple sources", [copy(["file.txt", "hom1.txt"], "/m/")], [], ["m/", "m/file.txt", "m/hom1.txt"]],
  ["parent escape is clamped", [copy(["../../file.txt"], "/f")], [], ["f"]],
  ["whole context, dockerignore applied", [copy(["."], "/c/")], ["*", "!dir", "dir/sub/*.md"], [
    "c/",
    "c/dir/",
    "c/dir/a.txt",
    "c/dir/rel-link -> a.txt",
    "c/dir/sub/",
    "c/dir/sub/b.txt",
  ]],
  ["--exclude", [copy(["dir"], "/e", { excludes: ["*.txt", "sub/*.md"] })], [], [
    "e/",
    "e/rel-link -> a.txt",
    "e/sub/",
    "e/sub/b.txt",
  ]],
  ["--exclude on a wildcard match", [copy(["hom*"], "/e/", { excludes: ["*.md"] })], [], [
    "e/",
    "e/hom1.txt",
    "e/inner.txt",
  ]],
  ["--parents keeps source dirs", [copy(["x/*/f.txt"], "/p/", { parents: true })], [], [
    "p/",
    "p/x/",
    "p/x/one/",
    "p/x/one/f.txt",
    "p/x/two/",
    "p/x/two/f.txt",
  ]],
  ["--parents with ./ pivot", [copy(["x/./one/f.txt"], "/p/", { parents: true })], [], [
    "p/",
    "p/one/",
    "p/one/f.txt",
  ]],
  ["top-level symlink followed", [copy(["link-to-file"], "/l")], [], ["l"]],
  ["top-level symlink kept without followSymlinks", [copy(["link-to-file"], "/l", { followSymlinks: false })], [], [
    "l -> file.txt",
  ]],
  ["empty wildcard allowed", [copy(["nothing*"], "/n/", { allowEmptyWildcard: true })], [], []],
];

Deno.test("COPY table: what lands where", async (t) => {
  const ctx = await Deno.makeTempDir();
  await tree(ctx, CONTEXT);
  for (const [name, actions, ignore, want] of cases) {
    await t.step(name, async () => {
      const dest = await destRootfs();
      try {
        await apply(dest, ctx, actions, ignore);
        assertEquals(list(dest).filter((p) => !p.startsWith("etc")), want);
      } finally {
        await Deno.remove(dest, { recursive: true });
      }
    });
  }
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY errors name the source and match Docker's wording", async () => {
  const ctx = await Deno.makeTempDir();
  await tree(ctx, CONTEXT);
  const dest = await destRootfs();
  const missing = await assertRejects(() => apply(dest, ctx, [copy(["missing.txt"], "/x")]), FileOpError);
  assertStringIncludes(
    missing.message,
    "file not found in build context or excluded by .dockerignore: stat missing.txt: no such file",
  );
  // BuildKit: `failed to compute cache key: "/missing.txt" not found` (0.8), `"/missing.txt": not found` (current).
  assertStringIncludes(missing.message, `COPY failed: "/missing.txt": not found`);
  const cleaned = await assertRejects(() => apply(dest, ctx, [copy(["./dir/../gone.txt"], "/x")]), FileOpError);
  assertStringIncludes(cleaned.message, `"/gone.txt": not found`);
  const ignored = await assertRejects(() => apply(dest, ctx, [copy(["secret.key"], "/x")], ["*.key"]), FileOpError);
  assertStringIncludes(ignored.message, "stat secret.key: no such file");
  // Several sources to a path without a trailing slash: copied there in turn, the last stays (BuildKit).
  await apply(dest, ctx, [copy(["file.txt", "hom1.txt"], "/m")]);
  assertEquals(Deno.readTextFileSync(`${dest}/m`), "h1");
  const glob = await assertRejects(() => apply(dest, ctx, [copy(["nope*"], "/m/")]), FileOpError);
  assertStringIncludes(glob.message, "no source files were specified");
  assertStringIncludes(glob.message, `"/nope*": not found`);
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY metadata: mode and mtime kept, owner 0:0 by default, --chown by name, --chmod octal and symbolic", async () => {
  const ctx = await Deno.makeTempDir();
  await tree(ctx, { "bin/run.sh": "#!/bin/sh\n", "bin/data": "d", "bin/sub/x": "x" });
  await Deno.chmod(`${ctx}/bin/run.sh`, 0o750);
  await Deno.chmod(`${ctx}/bin/data`, 0o640);
  await Deno.chown(`${ctx}/bin/data`, 777, 888);
  const old = new Date("2020-01-02T03:04:05Z");
  await Deno.utime(`${ctx}/bin/run.sh`, old, old);
  await Deno.utime(`${ctx}/bin/sub`, old, old);
  const dest = await destRootfs();
  await apply(dest, ctx, [
    copy(["bin"], "/plain/"),
    copy(["bin"], "/named/deep/", { chown: { user: "app" } }),
    copy(["bin"], "/grp/", { chown: { user: "bin", group: "staff" } }),
    copy(["bin"], "/octal/", { chmod: "0700" }),
    copy(["bin"], "/sym/", { chmod: "u+x,g-r,o+X" }),
  ]);
  const st = (p: string) => Deno.lstatSync(`${dest}/${p}`);
  const perm = (p: string) => (st(p).mode! & 0o7777).toString(8);
  assertEquals([perm("plain/run.sh"), perm("plain/data")], ["750", "640"]);
  assertEquals(st("plain/run.sh").mtime!.toISOString(), old.toISOString());
  assertEquals(st("plain/sub").mtime!.toISOString(), old.toISOString(), "dir mtime survives its children");
  assertEquals([st("plain/data").uid, st("plain/data").gid], [0, 0]);
  // A name alone takes the user's primary group from passwd (BuildKit; 20.10 gave app 1500:1600 for 1500:1600).
  assertEquals([st("named/deep/data").uid, st("named/deep/data").gid], [1234, 4321], "user only: primary gid");
  assertEquals([st("named/deep").uid, st("named").uid], [1234, 1234], "created parents owned by the chown user");
  assertEquals([st("grp/data").uid, st("grp/data").gid], [1, 50]);
  assertEquals([perm("octal/run.sh"), perm("octal/data"), perm("octal/sub")], ["700", "700", "700"]);
  // Clauses apply in order and X looks at the mode so far (GNU chmod): run.sh 750 → 750 → 710 → 711;
  // data 640 → 740 → 700 → 701 (u+x made it executable); sub dir 755 → 755 → 715 → 715.
  assertEquals([perm("sym/run.sh"), perm("sym/data"), perm("sym/sub")], ["711", "701", "715"]);
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY of a dir's contents: a new destination dir is 0755, --chown owned, made now, not the source dir's mode or mtime (BuildKit)", async () => {
  // dockerd 20.10: `COPY --chown=app:app --from=src /out/sub /owned` with /out/sub 0700 gives /owned 0755 app:app.
  const ctx = await Deno.makeTempDir();
  await tree(ctx, { "private/inner/f": "f", "private/g": "g" });
  await Deno.chmod(`${ctx}/private`, 0o700);
  await Deno.chmod(`${ctx}/private/inner`, 0o700);
  const old = new Date("2020-01-02T03:04:05Z");
  await Deno.utime(`${ctx}/private`, old, old);
  await Deno.utime(`${ctx}/private/inner`, old, old);
  const dest = await destRootfs();
  await tree(dest, { "existing/keep": "k" });
  await Deno.chmod(`${dest}/existing`, 0o711);
  await apply(dest, ctx, [
    copy(["private"], "/new"),
    copy(["private"], "/owned/", { chown: { user: "app" } }),
    copy(["private"], "/existing"),
  ]);
  const st = (p: string) => Deno.lstatSync(`${dest}/${p}`);
  const perm = (p: string) => (st(p).mode! & 0o7777).toString(8);
  assertEquals([perm("new"), perm("owned"), perm("existing")], ["755", "755", "711"]);
  assertEquals([st("owned").uid, st("owned").gid], [1234, 4321]);
  assert(st("new").mtime!.getTime() > old.getTime(), "the destination dir is made by the copy");
  // Dirs below it are copies of source dirs: their mode and mtime are kept.
  assertEquals(perm("new/inner"), "700");
  assertEquals(st("new/inner").mtime!.toISOString(), old.toISOString());
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY keeps hardlinks within a copy and never writes outside the destination root", async () => {
  const ctx = await Deno.makeTempDir();
  await tree(ctx, { "h/a": "shared" });
  await Deno.link(`${ctx}/h/a`, `${ctx}/h/b`);
  const outside = await Deno.makeTempDir();
  const dest = await destRootfs();
  // A destination symlink to an absolute path must resolve inside dest, like BuildKit's fs.RootPath.
  await Deno.symlink(outside, `${dest}/escape`);
  await Deno.symlink("../../..", `${dest}/up`);
  await apply(dest, ctx, [copy(["h"], "/escape/"), copy(["h/a"], "/up/x/")]);
  assertEquals([...Deno.readDirSync(outside)], [], "nothing written through the symlink");
  assertEquals(list(`${dest}${outside}`), ["a", "b"]);
  assertEquals(Deno.statSync(`${dest}${outside}/a`).ino, Deno.statSync(`${dest}${outside}/b`).ino);
  assert(Deno.statSync(`${dest}/x/a`).isFile);
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(outside, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("COPY from a stage keeps the source's owners unless --chown; context files become 0:0", async () => {
  const src = await Deno.makeTempDir();
  const dest = await destRootfs();
  try {
    await tree(src, { "d/f.txt": "x" });
    await Deno.chown(`${src}/d/f.txt`, 1234, 4321);
    const { applyFileActions } = await import("./apply.ts");
    const resolveUser = () => Promise.resolve({ uid: 0, gid: 0 });
    const stage = { resolve: () => ({ root: src, excludes: [], preserveOwner: true }) };
    await applyFileActions(dest, [copy(["d/f.txt"], "/kept")], stage, { resolveUser });
    await applyFileActions(dest, [copy(["d/f.txt"], "/ctx")], { resolve: () => ({ root: src, excludes: [] }) }, {
      resolveUser,
    });
    await applyFileActions(dest, [copy(["d/f.txt"], "/chowned", { chown: { user: "7", group: "8" } })], stage, {
      resolveUser: () => Promise.resolve({ uid: 7, gid: 8 }),
    });
    const own = (p: string) => {
      const st = Deno.lstatSync(`${dest}${p}`);
      return [st.uid, st.gid];
    };
    assertEquals(own("/kept"), [1234, 4321]);
    assertEquals(own("/ctx"), [0, 0]);
    assertEquals(own("/chowned"), [7, 8]);
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(dest, { recursive: true });
  }
});

Deno.test("COPY of many files through the write pool: set-id bits, owner and mtime as with one file, also under a set-gid dest dir", async () => {
  const ctx = await Deno.makeTempDir();
  const dest = await destRootfs();
  try {
    const old = new Date("2021-05-06T07:08:09Z");
    const spec: Record<string, string> = {};
    for (let i = 0; i < 100; i++) spec[`many/d${i % 7}/f${i}`] = `content ${i}`;
    await tree(ctx, spec);
    await Deno.chmod(`${ctx}/many/d0/f0`, 0o4755);
    await Deno.chmod(`${ctx}/many/d1/f1`, 0o2750);
    await Deno.chmod(`${ctx}/many/d2/f2`, 0o1600);
    for (let i = 0; i < 100; i++) await Deno.utime(`${ctx}/many/d${i % 7}/f${i}`, old, old);
    // A set-gid destination dir: new entries would inherit its group; COPY must still give 0:0.
    await Deno.mkdir(`${dest}/shared`);
    await Deno.chown(`${dest}/shared`, 0, 50);
    await Deno.chmod(`${dest}/shared`, 0o2775);
    await apply(dest, ctx, [
      copy(["many"], "/fresh"),
      copy(["many"], "/shared/in"),
      copy(["many"], "/cd/", { chmod: "0640" }),
    ]);
    for (const top of ["fresh", "shared/in"]) {
      for (let i = 0; i < 100; i++) {
        const p = `${dest}/${top}/d${i % 7}/f${i}`;
        const st = Deno.lstatSync(p);
        assertEquals(Deno.readTextFileSync(p), `content ${i}`);
        assertEquals([st.uid, st.gid], [0, 0], p);
        assertEquals(st.mtime!.toISOString(), old.toISOString(), p);
      }
      const perm = (p: string) => (Deno.lstatSync(`${dest}/${top}/${p}`).mode! & 0o7777).toString(8);
      assertEquals([perm("d0/f0"), perm("d1/f1"), perm("d2/f2"), perm("d3/f3")], ["4755", "2750", "1600", "644"], top);
      assertEquals([Deno.lstatSync(`${dest}/${top}/d4`).gid, perm("d4")], [0, "755"], top);
    }
    const perm = (p: string) => (Deno.lstatSync(`${dest}/cd/${p}`).mode! & 0o7777).toString(8);
    assertEquals([perm("d0/f0"), perm("d2/f2"), perm("d5/f5")], ["640", "640", "640"]);
  } finally {
    await Deno.remove(ctx, { recursive: true });
    await Deno.remove(dest, { recursive: true });
  }
});
