/**
 * A gzip compressor that uses every core, the pigz way: the input is cut into fixed-size blocks, each block is
 * raw-deflated on its own (in a worker thread) with the previous block's last 32 KiB as preset dictionary and ends
 * with a sync flush (the last one with a finish), and the pieces are joined in order between a constant gzip header
 * and the CRC-32/ISIZE trailer. The result is one ordinary single-member gzip stream whose bytes depend only on the
 * input, the level and the block size (and the runtime's zlib), never on worker count, input chunking or timing, so
 * a layer's compressed digest stays reproducible.
 *
 * Why workers: zlib's async API does not deflate in parallel under Deno, so one layer used one core (~45 MB/s).
 * Why inline worker code: the Node build is a single esbuild bundle where a separate worker file would not exist;
 * `node:worker_threads` with `eval: true` runs the same source under Deno and Node.
 * @module
 */
import { nodeOs, nodeZlib } from "../runtime/builtins.ts";
import { DeflatePool, GzipError } from "./deflate_pool.ts";

export { GzipError };

/** Options of {@linkcode gzipParallel}. */
export interface GzipParallelOptions {
  /** zlib level 0-9 (default 6, as gzip and BuildKit). */
  level?: number;
  /** Bytes per independently deflated block, at least 32 KiB (default 1 MiB). Part of what the output depends on. */
  blockSize?: number;
  /** Worker threads (default: the number of CPUs); 0 compresses on the calling thread. Never changes the output. */
  workers?: number;
}

/** The gzip header every output starts with: deflate, no flags, mtime 0, no extra flags, OS 3 (Unix) as zlib. */
export const GZIP_HEADER: Uint8Array = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);

const DEFAULT_BLOCK = 1 << 20;
const WINDOW = 32 << 10;

/** Worker threads gzipParallel uses when not told: one per CPU. */
export function defaultGzipWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n || nodeOs().cpus().length || 1);
}

/**
 * A TransformStream gzipping its input with up to `workers` threads. At most about 2×workers blocks are in flight
 * (the writable side waits beyond that), so memory stays bounded whatever the input size. Workers start with the
 * first full block and end when the stream ends, errors or is cancelled; if none can start, blocks are compressed
 * in-thread into the same bytes.
 *
 * @example
 * ```ts
 * import { gunzipSync } from "node:zlib";
 * const body = new Blob(["hello ".repeat(1000)]).stream().pipeThrough(gzipParallel({ level: 6 }));
 * const gz = new Uint8Array(await new Response(body).arrayBuffer());
 * console.log(gz.length < 100, gunzipSync(gz).length); // true 6000
 * ```
 */
export function gzipParallel(opts: GzipParallelOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  const level = opts.level ?? 6;
  const blockSize = opts.blockSize ?? DEFAULT_BLOCK;
  const workers = opts.workers ?? defaultGzipWorkers();
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new GzipError(`gzip level must be an integer from 0 to 9, got ${level}`);
  }
  if (!Number.isInteger(blockSize) || blockSize < WINDOW || blockSize > 1 << 30) {
    throw new GzipError(`gzip block size must be an integer from ${WINDOW} to ${1 << 30} bytes, got ${blockSize}`);
  }
  if (!Number.isInteger(workers) || workers < 0) {
    throw new GzipError(`gzip worker count must be a non-negative integer, got ${workers}`);
  }
  const pool = new DeflatePool(level, workers);
  const limit = 2 * Math.max(1, workers);
  let block: Uint8Array | undefined;
  let filled = 0;
  let dictionary: Uint8Array | undefined;
  let crc = 0;
  let total = 0;
  let dispatched = 0;
  let emitted = 0;
  const done = new Map<number, Uint8Array>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  let out!: TransformStreamDefaultController<Uint8Array>;

  // Results arrive in any order; they leave strictly in block order.
  function settle(index: number, result: Uint8Array | undefined, err?: unknown): void {
    if (err !== undefined) failure ??= err;
    else done.set(index, result!);
    for (let r; failure === undefined && (r = done.get(emitted)) !== undefined; emitted++) {
      done.delete(emitted);
      try {
        out.enqueue(r);
      } catch (e) { // the readable side is gone
        failure ??= e;
      }
    }
    wake?.();
  }

  function dispatch(last: boolean): void {
    const data = (block ?? new Uint8Array(0)).subarray(0, filled);
    const dict = dictionary;
    // The next block's dictionary must be copied now: the block's buffer moves to the worker.
    dictionary = last ? undefined : data.slice(filled - WINDOW);
    const index = dispatched++;
    const where = `block ${index} (input bytes ${index * blockSize}-${index * blockSize + filled})`;
    pool.deflate(data, dict, last).then(
      (r) => settle(index, r),
      (e) => settle(index, undefined, new GzipError(`gzip: ${where} failed: ${e?.message ?? e}`, { cause: e })),
    );
    block = undefined;
    filled = 0;
  }

  async function until(cond: () => boolean): Promise<void> {
    while (!cond() && failure === undefined) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    if (failure !== undefined) {
      await pool.close();
      throw failure;
    }
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      out = controller;
      controller.enqueue(GZIP_HEADER.slice());
    },
    async transform(chunk) {
      if (failure !== undefined) await until(() => false);
      crc = crc32(chunk, crc);
      total += chunk.byteLength;
      for (let off = 0; off < chunk.byteLength;) {
        // A full block waits for the next byte: only then is it known not to be the last one.
        if (filled === blockSize) {
          dispatch(false);
          await until(() => dispatched - emitted < limit);
        }
        block ??= pool.buffer(blockSize);
        const n = Math.min(blockSize - filled, chunk.byteLength - off);
        block.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
      }
    },
    async flush() {
      dispatch(true);
      await until(() => emitted === dispatched);
      const trailer = new Uint8Array(8);
      const view = new DataView(trailer.buffer);
      view.setUint32(0, crc, true);
      view.setUint32(4, total % 2 ** 32, true);
      out.enqueue(trailer);
      await pool.close();
    },
    async cancel() {
      failure ??= new GzipError("gzip: the stream was cancelled");
      await pool.close();
    },
  } as Transformer<Uint8Array, Uint8Array>);
}

/** CRC-32 of `data` continuing from `crc`: zlib's (Node >= 20.15, Deno), else {@linkcode crc32Portable}. */
function crc32(data: Uint8Array, crc: number): number {
  const native = (nodeZlib() as { crc32?: (d: Uint8Array, v: number) => number }).crc32;
  return native ? native(data, crc) : crc32Portable(data, crc);
}

let crcTable: Int32Array | undefined;

/** CRC-32 (the gzip one) of `data` continuing from `crc`, by table, for Node before 20.15 (no zlib.crc32). */
export function crc32Portable(data: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
