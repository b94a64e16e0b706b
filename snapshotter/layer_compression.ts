import { layerCompression, MediaType } from "../oci/media_types.ts";
import { verifiedStream } from "./verified_stream.ts";
import type { ContentStore } from "./content_store.ts";
import { BlobNotFoundError } from "./errors.ts";
import { gzipParallel } from "./gzip.ts";
import { join } from "./path.ts";
import { TsbuildError } from "../errors.ts";

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
  /**
   * `force-compression=true`: layers that came compressed otherwise (a base image's gzip layers under zstd) are
   * decompressed, checked against their diffID, and compressed as asked too.
   */
  force?: boolean;
}

/**
 * Somewhere the compressed bytes also go while they are written to the store: a registry upload whose digest is
 * known only at the end (see `RegistryClient.openBlobUpload`).
 */
export interface CompressedSink {
  /** Closed when the last compressed byte has been written to it (before the store has synced the blob). */
  readonly writable: WritableStream<Uint8Array>;
  /** Called once the blob is complete and verified in the store, with what it is. */
  commit(blob: { digest: string; size: number }): Promise<void>;
  /**
   * Called instead of `commit` when the sink failed or the compression did; resolves to the sink's own account of
   * its failure when it has one (a write fails with whatever its reader said, which may be nothing useful).
   */
  abort(reason?: unknown): Promise<unknown>;
}

/** What became of a sink given to {@linkcode LayerCompressor.compressed}. */
export type SinkOutcome =
  | { state: "unused" }
  | { state: "committed" }
  | { state: "failed"; error: unknown };

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
    return (await this.compressedVia(layer, c)).blob;
  }

  /**
   * {@linkcode compressed}, also streaming the compressed bytes into the sink `openSink` makes when (and only
   * when) they have to be computed now. The sink sees them as they are written to the store, at the pace of the
   * slower of the two; a sink that fails is dropped and the store write goes on (the blob and its record are still
   * good for a later upload from the store), so the outcome says whether it got the whole blob. `openSink` failing
   * fails the call before anything is computed. The record is written only after the blob is complete and
   * verified in the store, and before the sink commits.
   */
  async compressedVia(
    layer: LayerBlob,
    c: Compression,
    openSink?: () => Promise<CompressedSink>,
  ): Promise<{ blob: LayerBlob; sink: SinkOutcome }> {
    const from = layerCompression(layer.mediaType);
    if (from === c.compression || (from !== "none" && !c.force)) return { blob: layer, sink: { state: "unused" } };
    const level = c.compression === "none" ? 0 : c.level ?? (c.compression === "gzip" ? 6 : 3);
    const file = join(this.#dir, `${layer.diffID.slice(7)}.${c.compression}-${level}.json`);
    try {
      const known = JSON.parse(await Deno.readTextFile(file)) as LayerBlob;
      if (known.diffID === layer.diffID && await this.content.size(known.digest) === known.size) {
        return { blob: known, sink: { state: "unused" } };
      }
    } catch { /* not compressed yet, or a damaged record: compute it again */ }
    if (!(await this.content.has(layer.digest))) throw new BlobNotFoundError(layer.digest);
    const sink = openSink ? await openSink() : undefined;
    let sinkError: { cause: unknown } | undefined;
    let source = this.content.readStream(layer.digest);
    if (from !== "none") source = decompressChecked(source, from, layer.diffID);
    let body = c.compression === "gzip"
      ? source.pipeThrough(gzipParallel({ level }))
      : c.compression === "zstd"
      ? source.pipeThrough(processStream("zstd", ["-c", "-q", `-${level}`]))
      : source;
    if (sink) body = body.pipeThrough(teeInto(sink.writable, (e) => (sinkError ??= { cause: e })));
    let stored: { digest: string; size: number };
    try {
      stored = await this.content.writeStream(body);
    } catch (e) {
      await sink?.abort(e).catch(() => {});
      throw e;
    }
    const out: LayerBlob = {
      mediaType:
        { gzip: MediaType.OciLayerGzip, zstd: MediaType.OciLayerZstd, none: MediaType.OciLayer }[c.compression],
      digest: stored.digest,
      size: stored.size,
      diffID: layer.diffID,
    };
    await Deno.mkdir(this.#dir, { recursive: true });
    const tmp = `${file}.${crypto.randomUUID()}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(out));
    await Deno.rename(tmp, file);
    if (!sink) return { blob: out, sink: { state: "unused" } };
    if (sinkError) {
      const own = await sink.abort(sinkError.cause).catch(() => undefined);
      return { blob: out, sink: { state: "failed", error: own ?? sinkError.cause } };
    }
    try {
      await sink.commit(stored);
      return { blob: out, sink: { state: "committed" } };
    } catch (e) {
      await sink.abort(e).catch(() => {});
      return { blob: out, sink: { state: "failed", error: e } };
    }
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

/**
 * Passes chunks through while also writing each to `into`, waiting for its backpressure so neither side runs
 * ahead of the other; after a failure of `into` (reported once to `failed`) chunks only pass through.
 */
function teeInto(
  into: WritableStream<Uint8Array>,
  failed: (e: unknown) => void,
): TransformStream<Uint8Array, Uint8Array> {
  const writer = into.getWriter();
  let broken = false;
  const fail = (e: unknown) => {
    if (broken) return;
    broken = true;
    failed(e);
    writer.releaseLock();
  };
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, c) {
      if (!broken) {
        try {
          await writer.ready;
          writer.write(chunk).catch(fail);
        } catch (e) {
          fail(e);
        }
      }
      c.enqueue(chunk);
    },
    async flush() {
      if (broken) return;
      // Closed now, so the registry finishes its side while the store syncs the blob; commit() then only PUTs.
      await writer.close().then(() => writer.releaseLock(), fail);
    },
  });
}

/**
 * The tar inside a compressed layer, hashed on the way: a tar that does not hash to the layer's diffID fails the
 * stream (a base image's layer is only trusted by its compressed digest until then).
 */
function decompressChecked(
  source: ReadableStream<Uint8Array>,
  from: "gzip" | "zstd",
  diffID: string,
): ReadableStream<Uint8Array> {
  return verifiedStream(decompressStream(source, from), { digest: diffID });
}

/** The tar inside a layer blob compressed with `compression` (gzip built in, zstd through its tool). */
export function decompressStream(
  blob: ReadableStream<Uint8Array>,
  compression: "gzip" | "zstd" | "none",
): ReadableStream<Uint8Array> {
  if (compression === "gzip") {
    return blob.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
  }
  return compression === "zstd" ? blob.pipeThrough(processStream("zstd", ["-d", "-c", "-q"])) : blob;
}

/**
 * A compressor TransformStream backed by a process (zstd has no Web or Node built-in). A failure upstream (a source
 * that errors, a diffID check that fails) or a failed exit fails the output too: a process's stdout would otherwise
 * just end, and a truncated blob would be stored as if it were whole.
 */
export function processStream(cmd: string, args: string[]): TransformStream<Uint8Array, Uint8Array> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
  const stdin = child.stdin.getWriter();
  let failure: { reason: unknown } | undefined;
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => stdin.write(chunk),
    close: () => stdin.close(),
    async abort(reason) {
      failure ??= { reason };
      await stdin.abort(reason).catch(() => {});
      try {
        child.kill();
      } catch { /* already exited */ }
    },
  });
  const readable = child.stdout.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async flush() {
        const status = await child.status;
        if (failure) throw failure.reason;
        if (!status.success) throw new TsbuildError(`${cmd} ${args.join(" ")} failed (exit ${status.code})`);
      },
    }),
  );
  return { writable, readable };
}

/**
 * Layers compressed (or uploaded) this many at a time: a big layer's gzip already uses every core, but most
 * layers are small, deflated in-thread, and wait on their blob's fsync or a registry round trip, which overlap.
 */
export const LAYER_CONCURRENCY = 3;

/** `fn` over `items`, at most `limit` at a time, results in input order; rejects with the first failure. */
export async function mapInOrder<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** `compressed` for each layer, {@link LAYER_CONCURRENCY} at a time. */
export function compressLayers<L extends LayerBlob>(
  compressor: LayerCompressor,
  layers: L[],
  c: Compression,
): Promise<LayerBlob[]> {
  return mapInOrder(layers, LAYER_CONCURRENCY, (l) => compressor.compressed(l, c));
}
