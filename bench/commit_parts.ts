/**
 * Times the stages of committing a layer from a directory tree, each alone and chained, to see which one bounds
 * `LayerStore.commit`: getfattr, the change walk, the tar, tar+sha256, tar+sha256+gzip, and gzip alone on 100 MB of
 * random bytes (zlib's floor). A measuring aid for bench/README.md, not a test.
 *
 *     deno run -A bench/commit_parts.ts <dir>
 * @module
 */
import { layerTar, overlayChanges } from "../snapshotter/diff.ts";
import { gzipStream, sha256 } from "../snapshotter/node.ts";
import { readXattrs } from "../snapshotter/xattr.ts";
const dir = Deno.args[0];
async function t(label: string, f: () => Promise<unknown>) {
  const t0 = performance.now();
  const r = await f();
  console.log(label.padEnd(24), ((performance.now() - t0) / 1000).toFixed(2), "s", r ?? "");
}
await t("getfattr -R", async () => (await readXattrs(dir)).size);
await t("walk", async () => {
  let n = 0;
  for await (const _ of overlayChanges(dir, new Map())) n++;
  return n;
});
await t("tar", async () => {
  let n = 0;
  for await (const c of layerTar(overlayChanges(dir, new Map())).stream) n += c.byteLength;
  return n;
});
await t("tar+sha", async () => {
  const h = sha256();
  for await (const c of layerTar(overlayChanges(dir, new Map())).stream) h.update(c);
  return h.digest("hex").slice(0, 12);
});
await t("tar+sha+gzip", async () => {
  const h = sha256();
  const s = layerTar(overlayChanges(dir, new Map())).stream.pipeThrough(
    new TransformStream({
      transform(c, ctl) {
        h.update(c);
        ctl.enqueue(c);
      },
    }),
  ).pipeThrough(await gzipStream(6));
  let n = 0;
  for await (const c of s) n += c.byteLength;
  return n;
});
await t("gzip only (100MB rand)", async () => {
  const buf = new Uint8Array(100 << 20);
  for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
  const s = ReadableStream.from((function* () {
    for (let i = 0; i < buf.length; i += 65536) yield buf.subarray(i, i + 65536);
  })()).pipeThrough(await gzipStream(6));
  let n = 0;
  for await (const c of s) n += c.byteLength;
  return n;
});
