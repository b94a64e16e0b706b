/**
 * Times the pieces of a `COPY . /ctx` of a large context, in process, as the solver runs them: context hashing
 * (first and unchanged), applying the copy into an overlay snapshot, and committing that snapshot as a layer.
 * A measuring aid for bench/README.md, not a test.
 *
 *     deno run -A bench/copy_commit.ts [files=20000] [bytes=5120] [runs=3]
 * @module
 */
import { ContextHasher } from "../context/mod.ts";
import { applyFileActions } from "../fileop/mod.ts";
import { LayerStore } from "../snapshotter/mod.ts";
import process from "node:process";
import type { FileAction } from "../graph/mod.ts";

const files = Number(Deno.args[0] ?? 20000);
const bytes = Number(Deno.args[1] ?? 5120);
const runs = Number(Deno.args[2] ?? 3);

const work = await Deno.makeTempDir({ prefix: "tsbuild-copybench-" });
const ctx = `${work}/ctx`;
const perDir = 100;
for (let i = 0; i < files / perDir; i++) {
  const dir = `${ctx}/src/${Math.floor(i / 20)}/${i}`;
  await Deno.mkdir(dir, { recursive: true });
  for (let j = 0; j < perDir; j++) {
    await Deno.writeFile(`${dir}/${j}.txt`, crypto.getRandomValues(new Uint8Array(bytes)));
  }
}
// Files written just now are "racy" for the stat cache; age them past its window as a real context would be.
const old = new Date(Date.now() - 60_000);
for await (const p of walk(ctx)) await Deno.utime(p, old, old);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    yield p;
  }
}

async function time<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await f();
  const c = process.cpuUsage(c0);
  const cpu = ((c.user + c.system) / 1e6).toFixed(2);
  console.log(`${label.padEnd(28)} ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${cpu} s cpu`);
  return r;
}

const store = await LayerStore.open(`${work}/store`);
console.log(`snapshotter ${store.kind}, ${files} files x ${bytes} B`);
// A parent layer, so the copy goes into a real overlay (lower + upper), as on top of a base image.
const base = await store.prepareMounted(undefined);
await Deno.mkdir(`${base.rootfs}/etc`);
await Deno.writeTextFile(`${base.rootfs}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
const parent = (await store.commit(base)).name;

const copyAll: FileAction = {
  action: "copy" as const,
  from: 0,
  src: ["."],
  dest: "/ctx",
  copyDirContents: true,
  destIsDir: false,
  extractArchives: false,
  allowWildcard: true,
  allowEmptyWildcard: false,
  followSymlinks: true,
  excludes: [],
  parents: false,
  createDestPath: true,
};
const sources = { resolve: () => ({ root: ctx, excludes: [] }) };
const user = { resolveUser: () => Promise.resolve({ uid: 0, gid: 0 }) };

for (let run = 0; run < runs; run++) {
  console.log(`-- run ${run + 1}`);
  await Deno.remove(`${work}/store/cache`, { recursive: true }).catch(() => {});
  await time("hash context (no cache)", async () => {
    const h = await ContextHasher.open(`${work}/store`, ctx, []);
    await h.hashSources(["."]);
    await h.save();
  });
  await time("hash context (unchanged)", async () => {
    const h = await ContextHasher.open(`${work}/store`, ctx, []);
    await h.hashSources(["."]);
    await h.save();
  });
  const plain = `${work}/plain-${run}`;
  await Deno.mkdir(plain);
  await time("copy into a plain dir", () => applyFileActions(plain, [copyAll], sources, user));
  await Deno.remove(plain, { recursive: true });
  const active = await store.prepareMounted(parent);
  await time("copy into overlay", () => applyFileActions(active.rootfs, [copyAll], sources, user));
  const c = await time("commit (tar+gzip)", () => store.commit(active));
  console.log(`layer ${c.layer.digest.slice(0, 19)} ${(c.layer.size / 1e6).toFixed(1)} MB`);
  // Drop the committed snapshot so the next run writes the same layer afresh.
  await store.snapshotter.remove(c.name).catch(() => {});
}
await Deno.remove(work, { recursive: true });
