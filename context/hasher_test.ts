import { assert, assertEquals } from "../test/util/assert.ts";

const assertNotEquals = (a: string, b: string, msg = "") => assert(a !== b, `${msg}: both ${a}`);
import { ContextHasher } from "./hasher.ts";

async function fixture(): Promise<{ ctx: string; store: string }> {
  const ctx = await Deno.makeTempDir();
  const store = await Deno.makeTempDir();
  await Deno.mkdir(`${ctx}/src/deep`, { recursive: true });
  await Deno.writeTextFile(`${ctx}/src/a.txt`, "alpha");
  await Deno.writeTextFile(`${ctx}/src/deep/b.txt`, "beta");
  await Deno.writeTextFile(`${ctx}/src/skip.log`, "log");
  await Deno.writeTextFile(`${ctx}/other.txt`, "other");
  await Deno.symlink("a.txt", `${ctx}/src/link`);
  return { ctx, store };
}

async function hashOnce(store: string, ctx: string, srcs: string[], excludes = ["**/*.log"]): Promise<string> {
  const h = await ContextHasher.open(store, ctx, excludes);
  const d = await h.hashSources(srcs);
  await h.save();
  return d;
}

Deno.test("ContextHasher: stable, content-sensitive, blind to excluded and unselected files", async () => {
  const { ctx, store } = await fixture();
  const base = await hashOnce(store, ctx, ["src"]);
  assertEquals(await hashOnce(store, ctx, ["src"]), base, "same inputs");
  assertEquals(await hashOnce(await Deno.makeTempDir(), ctx, ["src"]), base, "fresh cache agrees");

  const later = new Date(Date.now() + 5000);
  await Deno.utime(`${ctx}/src/a.txt`, later, later);
  assertEquals(await hashOnce(store, ctx, ["src"]), base, "touch without change");

  await Deno.writeTextFile(`${ctx}/src/skip.log`, "changed log");
  assertEquals(await hashOnce(store, ctx, ["src"]), base, "excluded file changed");

  await Deno.writeTextFile(`${ctx}/other.txt`, "changed other");
  assertEquals(await hashOnce(store, ctx, ["src"]), base, "unselected file changed");

  // Same size and mtime restored: a change must still be seen (ctime, or the racy-clean rule for fresh files).
  const st = await Deno.stat(`${ctx}/src/deep/b.txt`);
  await Deno.writeTextFile(`${ctx}/src/deep/b.txt`, "BETA");
  await Deno.utime(`${ctx}/src/deep/b.txt`, st.atime!, st.mtime!);
  const changed = await hashOnce(store, ctx, ["src"]);
  assertNotEquals(changed, base, "content change");

  await Deno.chmod(`${ctx}/src/a.txt`, 0o755);
  assertNotEquals(await hashOnce(store, ctx, ["src"]), changed, "mode change");

  const cacheFiles = [...Deno.readDirSync(`${store}/cache`)].map((e) => e.name);
  assertEquals(cacheFiles.length, 1);
  assertEquals(/^context-[0-9a-f]+\.json$/.test(cacheFiles[0]), true);
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("ContextHasher: globs select like COPY, excluded sources count as missing", async () => {
  const { ctx, store } = await fixture();
  const txt = await hashOnce(store, ctx, ["src/*.txt"]);
  await Deno.writeTextFile(`${ctx}/src/deep/b.txt`, "beta changed");
  assertEquals(await hashOnce(store, ctx, ["src/*.txt"]), txt, "glob does not reach deep/");
  await Deno.writeTextFile(`${ctx}/src/a.txt`, "alpha changed");
  assertNotEquals(await hashOnce(store, ctx, ["src/*.txt"]), txt);

  const logHash = await hashOnce(store, ctx, ["src/skip.log"]);
  const missing = await hashOnce(store, ctx, ["src/nothing.here"]);
  assertEquals(logHash.replace(/./g, "x").length, 16);
  assertNotEquals(logHash, await hashOnce(store, ctx, ["src/skip.log"], []), "exclusion changes the selection");
  assertNotEquals(missing, await hashOnce(store, ctx, ["src/a.txt"]));
  await Deno.remove(ctx, { recursive: true });
});

Deno.test("ContextHasher: a file whose stat matches the saved cache is not read again; a racy one is", async () => {
  const { ctx, store } = await fixture();
  const first = await hashOnce(store, ctx, ["src"]);
  const [name] = [...Deno.readDirSync(`${store}/cache`)].map((e) => e.name);
  const path = `${store}/cache/${name}`;
  const saved = JSON.parse(await Deno.readTextFile(path));
  const i = saved.paths.indexOf("src/a.txt");
  assert(i >= 0, `src/a.txt in ${saved.paths}`);
  // Just written, so racy: trusting its stat could miss a change made within the clock's granularity.
  assertEquals(saved.nums[i * 5 + 4], 1);
  // Pretend it aged and was hashed to something else: a stat match must give the cached hash, unread.
  saved.nums[i * 5 + 4] = 0;
  saved.hashes[i] = "0123456789abcdef";
  await Deno.writeTextFile(path, JSON.stringify(saved));
  assertNotEquals(await hashOnce(store, ctx, ["src"]), first, "cached hash used");
  // Racy again: the file is read and the true hash comes back.
  saved.nums[i * 5 + 4] = 1;
  await Deno.writeTextFile(path, JSON.stringify(saved));
  assertEquals(await hashOnce(store, ctx, ["src"]), first);
  await Deno.remove(ctx, { recursive: true });
  await Deno.remove(store, { recursive: true });
});
