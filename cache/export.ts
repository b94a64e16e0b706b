import { join } from "node:path";
import { type Descriptor, type ImageManifest, MediaType } from "../oci/mod.ts";
import { type ContentStore, isUncompressed, LayerCompressor, sha256Digest } from "../snapshotter/mod.ts";
import { parseReference, type RegistryClient } from "../registry/mod.ts";
import type { CachedLayer } from "../solver/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { ExportRecord } from "./collect.ts";
import { CACHE_CONFIG_MEDIA_TYPE, type CacheConfig, encodeCacheConfig, encodeInline } from "./format.ts";
import { type CacheExportSpec, describeCacheSpec } from "./spec.ts";

/** A `--cache-to` that could not be written; names the destination and the cause. */
export class CacheExportError extends TsbuildError {}

/** What an export reads from and writes to. */
export interface CacheExportDeps {
  content: ContentStore;
  registry: RegistryClient;
}

/** BuildKit's annotation naming a compressed layer's diffID. */
const UNCOMPRESSED = "containerd.io/uncompressed";

/** The cache manifest of `records` (config + gzip layer blobs, all already in the store). */
export async function cacheManifest(
  content: ContentStore,
  records: ExportRecord[],
): Promise<{ manifest: ImageManifest; bytes: Uint8Array; config: CacheConfig }> {
  const compressor = new LayerCompressor(content);
  const blobs = new Map<string, Descriptor>();
  for (const r of records) {
    for (const l of r.layers) {
      // Layers a build made are uncompressed in the store and leave it gzipped, as an image's do; base image layers
      // are named, not carried: the importing build pulls its base image anyway.
      if (blobs.has(l.diffID) || !isUncompressed(l) || !(await content.has(l.digest))) continue;
      const gz = await compressor.compressed(l, { compression: "gzip" });
      blobs.set(l.diffID, {
        mediaType: MediaType.OciLayerGzip,
        digest: gz.digest,
        size: gz.size,
        annotations: { [UNCOMPRESSED]: l.diffID },
      });
    }
  }
  const config = encodeCacheConfig(records, (l: CachedLayer) => {
    const blob = blobs.get(l.diffID);
    return blob ? { blob } : baseLayerBlob(l);
  });
  const cfg = await content.writeBytes(JSON.stringify(config));
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: CACHE_CONFIG_MEDIA_TYPE, digest: cfg.digest, size: cfg.size },
    layers: [...blobs.values()],
  };
  return { manifest, bytes: new TextEncoder().encode(JSON.stringify(manifest)), config };
}

/** Writes one `--cache-to` of type local or registry; every failure is a CacheExportError naming it. */
export async function exportCache(
  spec: Exclude<CacheExportSpec, { type: "inline" }>,
  records: ExportRecord[],
  deps: CacheExportDeps,
): Promise<{ manifestDigest: string; records: number; layers: number }> {
  try {
    const { manifest, bytes } = await cacheManifest(deps.content, records);
    const digest = spec.type === "local"
      ? await writeLocal(spec.dest, deps.content, manifest, bytes)
      : await pushRegistry(spec.ref, deps, manifest, bytes);
    return { manifestDigest: digest, records: records.length, layers: manifest.layers.length };
  } catch (e) {
    throw new CacheExportError(`failed to export cache ${describeCacheSpec(spec)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/**
 * The inline cache value (image config key `moby.buildkit.cache.v0`): the layers a build made are found in the image
 * by diffID.
 */
export function inlineCache(records: ExportRecord[], imageDiffIDs: string[]): string {
  const have = new Set(imageDiffIDs);
  // Only records the image can serve: every layer of theirs is one of its own (not so after --squash).
  const servable = records.filter((r) => r.layers.every((l) => have.has(l.diffID)));
  return encodeInline(encodeCacheConfig(servable, baseLayerBlob));
}

/** A base image layer is kept in the store as its image's blob: the importing store names it the same way. */
function baseLayerBlob(l: CachedLayer): { blob: Descriptor; asBlob: true } | undefined {
  return isUncompressed(l)
    ? undefined
    : { blob: { mediaType: l.mediaType, digest: l.digest, size: l.size }, asBlob: true };
}

async function pushRegistry(
  refText: string,
  deps: CacheExportDeps,
  manifest: ImageManifest,
  bytes: Uint8Array,
): Promise<string> {
  const ref = parseReference(refText);
  for (const d of [...manifest.layers, manifest.config]) {
    await deps.registry.pushBlob(ref, d, () => deps.content.readStream(d.digest));
  }
  return await deps.registry.putManifest(ref, bytes, MediaType.OciManifest);
}

/**
 * An OCI layout directory as BuildKit's type=local writes one: blobs first (each tmp + rename, skipped when
 * present), index.json last, so a reader never sees an index naming a blob that is not there yet.
 */
async function writeLocal(
  dest: string,
  content: ContentStore,
  manifest: ImageManifest,
  bytes: Uint8Array,
): Promise<string> {
  const dir = join(dest, "blobs", "sha256");
  await Deno.mkdir(dir, { recursive: true });
  const put = async (digest: string, write: (tmp: string) => Promise<void>) => {
    const path = join(dir, digest.slice(7));
    if (await exists(path)) return;
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await write(tmp);
      await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  };
  for (const d of [...manifest.layers, manifest.config]) {
    await put(d.digest, async (tmp) => {
      const f = await Deno.open(tmp, { write: true, createNew: true });
      await content.readStream(d.digest).pipeTo(f.writable);
    });
  }
  const digest = sha256Digest(bytes);
  await put(digest, (tmp) => Deno.writeFile(tmp, bytes));
  await atomicWrite(join(dest, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [{
      mediaType: MediaType.OciManifest,
      digest,
      size: bytes.length,
      annotations: { "org.opencontainers.image.ref.name": "latest" },
    }],
  };
  await atomicWrite(join(dest, "index.json"), JSON.stringify(index));
  return digest;
}

async function atomicWrite(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
