import tar from "tar-stream";
import { assertEquals } from "../test/util/assert.ts";
import { sniffArchive } from "./archive.ts";
import { apply, copy, destRootfs, list, tree } from "./testutil_test.ts";

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}

/** Builds an archive with GNU tar (numeric owners 1234:4321) and compresses it with the system tool. */
async function makeArchive(dir: string, name: string, compress: string[] | null): Promise<string> {
  const src = `${dir}/payload`;
  await tree(src, { "top/file.txt": "content", "top/sub/deep.txt": "deep", "top/link": "->file.txt" });
  await Deno.link(`${src}/top/file.txt`, `${src}/top/hard`);
  await Deno.chmod(`${src}/top/file.txt`, 0o751);
  const old = new Date("2019-05-06T07:08:09Z");
  await Deno.utime(`${src}/top/sub/deep.txt`, old, old);
  const tarPath = `${dir}/${name}`;
  await run("tar", ["-C", src, "--owner=1234", "--group=4321", "--numeric-owner", "-cf", tarPath, "top"]);
  if (compress) await run(compress[0], [...compress.slice(1), tarPath]);
  // Store every format under a misleading name: detection must use magic bytes only.
  const produced = compress
    ? [...Deno.readDirSync(dir)].find((e) => e.name.startsWith(name) && e.name !== name)!.name
    : name;
  await Deno.rename(`${dir}/${produced}`, `${dir}/archive.txt`);
  await Deno.remove(src, { recursive: true });
  return "archive.txt";
}

const formats: [string, string[] | null, string][] = [
  ["tar", null, "tar"],
  ["tar.gz", ["gzip"], "gzip"],
  ["tar.bz2", ["bzip2"], "bzip2"],
  ["tar.xz", ["xz"], "xz"],
];

Deno.test("ADD extracts tar, gzip, bzip2 and xz archives detected by magic bytes", async (t) => {
  for (const [label, compress, kind] of formats) {
    await t.step(label, async () => {
      const ctx = await Deno.makeTempDir();
      const name = await makeArchive(ctx, "a.tar", compress);
      assertEquals(await sniffArchive(`${ctx}/${name}`), kind);
      const dest = await destRootfs();
      await apply(dest, ctx, [copy([name], "/opt/", { extractArchives: true })]);
      assertEquals(list(`${dest}/opt`), [
        "top/",
        "top/file.txt",
        "top/hard",
        "top/link -> file.txt",
        "top/sub/",
        "top/sub/deep.txt",
      ]);
      const f = Deno.statSync(`${dest}/opt/top/file.txt`);
      assertEquals([f.uid, f.gid, f.mode! & 0o777], [1234, 4321, 0o751], "owner and mode from the archive");
      assertEquals(f.ino, Deno.statSync(`${dest}/opt/top/hard`).ino, "hardlink kept");
      assertEquals(Deno.statSync(`${dest}/opt/top/sub/deep.txt`).mtime!.toISOString(), "2019-05-06T07:08:09.000Z");
      assertEquals(await Deno.readTextFile(`${dest}/opt/top/sub/deep.txt`), "deep");

      const dest2 = await destRootfs();
      await apply(dest2, ctx, [copy([name], "/opt", { extractArchives: true, chown: { user: "app" } })]);
      const g = Deno.statSync(`${dest2}/opt/top/file.txt`);
      assertEquals([g.uid, g.gid], [1234, 4321], "--chown (a user: its primary group) overrides archive owners");

      // --chmod is not applied to what an archive holds (BuildKit, dockerd 20.10 and current: only --chown is
      // passed to the unpack since v0.23).
      const dest4 = await destRootfs();
      await apply(dest4, ctx, [copy([name], "/m/", { extractArchives: true, chmod: "0700" })]);
      const modes = ["top/file.txt", "top/sub/deep.txt", "top/sub"].map((p) =>
        (Deno.statSync(`${dest4}/m/${p}`).mode! & 0o777).toString(8)
      );
      assertEquals(modes, ["751", "644", "755"]);
      await Deno.remove(dest4, { recursive: true });

      const dest3 = await destRootfs();
      await apply(dest3, ctx, [copy([name], "/plain/")]);
      assertEquals(list(`${dest3}/plain`), ["archive.txt"], "COPY never extracts");
      for (const d of [ctx, dest, dest2, dest3]) await Deno.remove(d, { recursive: true });
    });
  }
});

Deno.test("ADD of a non-archive copies the file", async () => {
  const ctx = await Deno.makeTempDir();
  await tree(ctx, { "notes.tar.gz": "not really gzip" });
  assertEquals(await sniffArchive(`${ctx}/notes.tar.gz`), null);
  const dest = await destRootfs();
  await apply(dest, ctx, [copy(["notes.tar.gz"], "/n/", { extractArchives: true })]);
  assertEquals(await Deno.readTextFile(`${dest}/n/notes.tar.gz`), "not really gzip");
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("archive extraction cannot escape the destination root", async () => {
  const ctx = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  const pack = tar.pack();
  const chunks: BlobPart[] = [];
  pack.on("data", (c: unknown) => chunks.push(c as BlobPart));
  const ended = new Promise<void>((r) => pack.on("end", () => r()));
  pack.entry({ name: "../../../evil.txt" }, "dotdot");
  pack.entry({ name: "/abs.txt" }, "absolute");
  pack.entry({ name: "out", type: "symlink", linkname: outside });
  pack.entry({ name: "out/through-link.txt" }, "via link");
  pack.entry({ name: "hl", type: "link", linkname: "../../../../abs.txt" });
  pack.finalize();
  await ended;
  await Deno.writeFile(`${ctx}/evil.tar`, new Uint8Array(await new Blob(chunks).arrayBuffer()));
  const dest = await destRootfs();
  await apply(dest, ctx, [copy(["evil.tar"], "/x/", { extractArchives: true })]);
  assertEquals([...Deno.readDirSync(outside)], [], "nothing written through the symlink");
  assertEquals(await Deno.readTextFile(`${dest}/x/evil.txt`), "dotdot");
  assertEquals(await Deno.readTextFile(`${dest}/x/abs.txt`), "absolute");
  assertEquals(await Deno.readTextFile(`${dest}${outside}/through-link.txt`), "via link");
  // A hardlink target is clamped like entry names: to the archive's own /x/abs.txt.
  assertEquals(Deno.statSync(`${dest}/x/hl`).ino, Deno.statSync(`${dest}/x/abs.txt`).ino);
  await Deno.remove(dest, { recursive: true });
  await Deno.remove(outside, { recursive: true });
  await Deno.remove(ctx, { recursive: true });
});
