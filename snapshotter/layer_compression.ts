import { MediaType } from "../oci/media_types.ts";
import type { ContentStore } from "./content_store.ts";
import { BlobNotFoundError } from "./errors.ts";
import { gzipParallel } from "./gzip.ts";
import { join } from "./path.ts";

/** A layer blob with the diffID its uncompressed tar hashes to. */
export interface LayerBlob {
  mediaType: string;
  digest: string;
  size: number;
  diffID: string;
}

/** How new layers are compressed when they leave the store (`--compression`, `--compression-level`). */
export interface Compression {
  compression: "gzip" | "zstd" | "none";
  /** gzip 1-9 (default 6, as gzip and BuildKit), zstd 1-19 (default 3). */
  level?: number;
}

/** Whether a layer blob is an uncompressed tar (what commits write). */
export function isUncompressed(l: { mediaType: string }): boolean {
  return l.mediaType === MediaType.OciLayer || l.mediaType === MediaType.DockerLayer;
}

/**
 * Compressed forms of the store's uncompressed layers, made when an image first leaves the store (push, OCI or
 * docker archive) rather than at every commit: a build that is only cached or kept locally never pays for gzip,
 * and the compression choice stays out of cache keys (changing `--compression` reruns no step). Each result is
 * remembered in `<store>/compressed/<diffID hex>.<compression>-<level>.json`, so a later push of the same layer
 * computes nothing. Results are deterministic for (tar bytes, compression, level), whoever computes them first;
 * gzip uses every core (pigz-style blocks, see gzip.ts), zstd its own process.
 */
export class LayerCompressor {
  readonly #dir: string;

  constructor(readonly content: ContentStore) {
    this.#dir = join(content.root, "compressed");
  }

  /**
   * The layer as it should appear in a manifest. Layers that are already compressed (base image layers, records
   * of older stores) are kept as they are, as BuildKit keeps them unless told to force a compression.
   */
  async compressed(layer: LayerBlob, c: Compression): Promise<LayerBlob> {
    if (!isUncompressed(layer) || c.compression === "none") return layer;
    const level = c.level ?? (c.compression === "gzip" ? 6 : 3);
    const file = join(this.#dir, `${layer.diffID.slice(7)}.${c.compression}-${level}.json`);
    try {
      const known = JSON.parse(await Deno.readTextFile(file)) as LayerBlob;
      if (known.diffID === layer.diffID && await this.content.size(known.digest) === known.size) return known;
    } catch { /* not compressed yet, or a damaged record: compute it again */ }
    if (!(await this.content.has(layer.digest))) throw new BlobNotFoundError(layer.digest);
    const source = this.content.readStream(layer.digest);
    const body = c.compression === "gzip"
      ? source.pipeThrough(gzipParallel({ level }))
      : source.pipeThrough(processStream("zstd", ["-c", "-q", `-${level}`]));
    const { digest, size } = await this.content.writeStream(body);
    const out: LayerBlob = {
      mediaType: c.compression === "gzip" ? MediaType.OciLayerGzip : MediaType.OciLayerZstd,
      digest,
      size,
      diffID: layer.diffID,
    };
    await Deno.mkdir(this.#dir, { recursive: true });
    const tmp = `${file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(out));
    await Deno.rename(tmp, file);
    return out;
  }

  /** Every compressed blob recorded for `diffID`. */
  known(diffID: string): Promise<LayerBlob[]> {
    return this.knownFor(new Set([diffID]));
  }

  /** Every compressed blob recorded for any of `diffIDs`, from one listing (prune keeps them with the layers). */
  async knownFor(diffIDs: Set<string>): Promise<LayerBlob[]> {
    const found: LayerBlob[] = [];
    try {
      for await (const e of Deno.readDir(this.#dir)) {
        if (!e.name.endsWith(".json") || !diffIDs.has(`sha256:${e.name.slice(0, e.name.indexOf("."))}`)) continue;
        try {
          found.push(JSON.parse(await Deno.readTextFile(join(this.#dir, e.name))) as LayerBlob);
        } catch { /* a damaged record names nothing */ }
      }
    } catch { /* nothing compressed yet */ }
    return found;
  }
}

/** A compressor TransformStream backed by a process (zstd has no Web or Node built-in). */
export function processStream(cmd: string, args: string[]): TransformStream<Uint8Array, Uint8Array> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
  return { writable: child.stdin, readable: child.stdout };
}

/** `compressed` for each layer in turn (each compression already uses every core it can). */
export async function compressLayers<L extends LayerBlob>(
  compressor: LayerCompressor,
  layers: L[],
  c: Compression,
): Promise<LayerBlob[]> {
  const out: LayerBlob[] = [];
  for (const l of layers) out.push(await compressor.compressed(l, c));
  return out;
}
