import { join } from "node:path";
import {
  BlobNotFoundError,
  ContentStore,
  ImageIndex,
  isUncompressed,
  LayerCompressor,
  LayerRegenerationError,
} from "../snapshotter/mod.ts";
import type { ImageManifest } from "../oci/mod.ts";
import { leaseStore } from "./store_lease.ts";

/** What `prune` removed. */
export interface PruneResult {
  reclaimedBytes: number;
  blobsRemoved: number;
  imagesRemoved: number;
}

async function du(path: string): Promise<number> {
  const out = await new Deno.Command("du", { args: ["-sb", path], stdout: "piped", stderr: "null" }).output();
  return out.success ? Number(new TextDecoder().decode(out.stdout).split("\t")[0]) || 0 : 0;
}

async function unmountAll(dir: string): Promise<void> {
  let mounts: string[] = [];
  try {
    mounts = (await Deno.readTextFile("/proc/self/mountinfo")).split("\n").map((l) => l.split(" ")[4]).filter((m) =>
      m?.startsWith(dir + "/")
    );
  } catch { /* no mountinfo: nothing to unmount */ }
  for (const m of mounts.sort().reverse()) {
    await new Deno.Command("umount", { args: ["-l", m], stderr: "null" }).output();
  }
}

/**
 * `tsbuild prune`: drops the build cache (cache records, snapshots, partial writes, leftovers) and every blob no
 * named image needs, waiting until no build uses the store. `all` also forgets named images and cache mounts.
 * Must run inside the build namespace (the files belong to mapped ids).
 */
export async function pruneStore(storeRoot: string, opts: { all: boolean }): Promise<PruneResult> {
  const lease = await leaseStore(storeRoot, true);
  try {
    const before = await du(storeRoot);
    const index = new ImageIndex(storeRoot);
    let imagesRemoved = 0;
    if (opts.all) {
      for (const r of await index.list()) if (await index.remove(r.name)) imagesRemoved++;
    }
    const content = new ContentStore(storeRoot);
    const keep = new Set<string>();
    const uncompressed = new Set<string>();
    // A record names a manifest, or an index (several platforms, attestations) whose manifests are kept the same way.
    const visit = async (digest: string): Promise<void> => {
      keep.add(digest);
      try {
        const doc = JSON.parse(new TextDecoder().decode(await content.readBytes(digest))) as ImageManifest & {
          manifests?: { digest: string }[];
        };
        for (const d of doc.manifests ?? []) await visit(d.digest);
        if (doc.manifests) return;
        keep.add(doc.config.digest);
        for (const l of doc.layers) {
          keep.add(l.digest);
          if (isUncompressed(l)) uncompressed.add(l.digest);
        }
      } catch { /* a damaged record keeps only what was read of it */ }
    };
    for (const r of await index.list()) await visit(r.manifestDigest);
    // An image kept uncompressed keeps what earlier pushes compressed it to, so the next push is free.
    for (const c of await new LayerCompressor(content).knownFor(uncompressed)) keep.add(c.digest);
    // Their built layers may exist only as snapshots (snapshotter/derived_layers.ts), which go now: write them out.
    for (const d of uncompressed) {
      await content.materialize(d).catch((e) => {
        // Already gone, or its snapshot was changed behind tsbuild's back: the image could not be pushed either way.
        if (!(e instanceof BlobNotFoundError || e instanceof LayerRegenerationError)) throw e;
      });
    }
    await unmountAll(storeRoot);
    const dirs = [
      "snapshots",
      "layers",
      "mounts",
      "ingest",
      "tmp",
      "runc",
      "http-sources",
      "git-sources",
      join("cache", "records"),
      join("cache", "last"),
      join("cache", "copy-base"),
    ];
    if (opts.all) dirs.push("cache-mounts");
    for (const d of dirs) await Deno.remove(join(storeRoot, d), { recursive: true }).catch(() => {});
    let blobsRemoved = 0;
    const blobDir = join(storeRoot, "blobs", "sha256");
    try {
      for await (const e of Deno.readDir(blobDir)) {
        if (keep.has(`sha256:${e.name}`)) continue;
        await Deno.remove(join(blobDir, e.name)).catch(() => {});
        blobsRemoved++;
      }
    } catch { /* no blobs yet */ }
    return { reclaimedBytes: Math.max(0, before - (await du(storeRoot))), blobsRemoved, imagesRemoved };
  } finally {
    lease.release();
  }
}
