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
import { cpus } from "node:os";
import { Worker } from "node:worker_threads";
import zlib from "node:zlib";
import { TsbuildError } from "../errors.ts";

/** Options of {@linkcode gzipParallel}. */
export interface GzipParallelOptions {
  /** zlib level 0-9 (default 6, as gzip and BuildKit). */
  level?: number;
  /** Bytes per independently deflated block, at least 32 KiB (default 1 MiB). Part of what the output depends on. */
  blockSize?: number;
  /** Worker threads (default: the number of CPUs); 0 compresses on the calling thread. Never changes the output. */
  workers?: number;
}

/** Compression failed (a worker died mid-block, zlib refused) or the options were invalid. */
export class GzipError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The gzip header every output starts with: deflate, no flags, mtime 0, no extra flags, OS 3 (Unix) as zlib. */
export const GZIP_HEADER: Uint8Array = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3);

const DEFAULT_BLOCK = 1 << 20;
const WINDOW = 32 << 10;
/**
 * A last block this small (most often a whole small layer) is deflated in-thread: starting a worker costs more
 * than the deflate, and the bytes are the same either way.
 */
const IN_THREAD_BELOW = 64 << 10;

/** Worker threads gzipParallel uses when not told: one per CPU. */
export function defaultGzipWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, n || cpus().length || 1);
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

/**
 * The deflate of one block, run in a worker (its source is embedded in {@linkcode WORKER_SOURCE}, so it may use only
 * its parameters and literals) and in-thread: one function, so both give the same bytes.
 *
 * A block that does not compress is emitted as deflate stored blocks, the way zstd and lz4 skip incompressible
 * input: deflating random or already-compressed bytes (a tarball, a JPEG, a .gz inside the layer) spends ~15 MB/s
 * per core on a match search that finds nothing and grows the data anyway. The probe is 8 evenly spaced 4 KiB
 * samples deflated together at level 1: a block is stored only when they shrink by less than 3 %, so a block with
 * any compressible stretch among the samples is deflated as before. The decision depends on the block's bytes
 * only, so the output stays a function of (input, level, block size).
 */
function deflateBlock(
  z: typeof zlib,
  data: Uint8Array,
  dict: Uint8Array | undefined,
  level: number,
  last: boolean,
): Uint8Array {
  const samples = 8, sample = 4096, max = 65535;
  if (level > 0 && data.byteLength >= 4 * samples * sample) {
    const probe = new Uint8Array(samples * sample);
    const step = Math.floor((data.byteLength - sample) / (samples - 1));
    for (let i = 0; i < samples; i++) probe.set(data.subarray(i * step, i * step + sample), i * sample);
    if (z.deflateRawSync(probe, { level: 1 }).byteLength * 100 >= probe.byteLength * 97) {
      // Stored blocks: a 3-bit header (BFINAL, BTYPE 00) padded to a byte (the previous block ended byte-aligned
      // with a sync flush), LEN and its complement, then up to 65535 bytes as they are.
      const n = Math.ceil(data.byteLength / max);
      const out = new Uint8Array(data.byteLength + 5 * n);
      for (let i = 0, at = 0; i < n; i++) {
        const len = Math.min(max, data.byteLength - i * max);
        out[at] = last && i === n - 1 ? 1 : 0;
        out[at + 1] = len & 0xff;
        out[at + 2] = len >>> 8;
        out[at + 3] = ~len & 0xff;
        out[at + 4] = (~len >>> 8) & 0xff;
        out.set(data.subarray(i * max, i * max + len), at + 5);
        at += 5 + len;
      }
      return out;
    }
  }
  const out = z.deflateRawSync(data, { level, dictionary: dict, finishFlush: last ? 4 : 2 }); // Z_FINISH : Z_SYNC_FLUSH
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

const WORKER_SOURCE = `
const { parentPort } = require("worker_threads");
const zlib = require("zlib");
const deflateBlock = ${deflateBlock.toString()};
parentPort.on("message", (job) => {
  let out;
  try {
    const data = new Uint8Array(job.data, 0, job.length);
    const dictionary = job.dict && new Uint8Array(job.dict);
    out = deflateBlock(zlib, data, dictionary, job.level, job.last);
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message || e), input: job.data }, [job.data]);
    return;
  }
  // A small Buffer may be a slice of a shared pool, which must not be transferred.
  const own = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out.buffer : new Uint8Array(out).buffer;
  parentPort.postMessage({ out: own, length: out.byteLength, input: job.data }, [own, job.data]);
});
parentPort.postMessage({ ready: true });
`;

function deflateInThread(data: Uint8Array, dict: Uint8Array | undefined, level: number, last: boolean): Uint8Array {
  return deflateBlock(zlib, data, dict, level, last);
}

interface Job {
  data: Uint8Array;
  dict?: Uint8Array;
  last: boolean;
  resolve(out: Uint8Array): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job?: Job;
}

/** Worker threads deflating one block at a time each, started on demand, with in-thread deflate as fallback. */
class DeflatePool {
  #slots: Slot[] = [];
  #queue: Job[] = [];
  #free: ArrayBuffer[] = [];
  #max: number;
  #closed = false;
  #exits: Promise<unknown>[] = [];

  constructor(readonly level: number, max: number) {
    this.#max = max;
  }

  /** A block buffer, recycled from finished jobs when one is free. */
  buffer(size: number): Uint8Array {
    const b = this.#free.pop();
    return b && b.byteLength === size ? new Uint8Array(b) : new Uint8Array(size);
  }

  deflate(data: Uint8Array, dict: Uint8Array | undefined, last: boolean): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(new GzipError("gzip: the compressor was closed"));
    if (this.#max === 0 || (last && data.byteLength < IN_THREAD_BELOW)) {
      try {
        const r = deflateInThread(data, dict, this.level, last);
        this.#recycle(data.buffer as ArrayBuffer);
        return Promise.resolve(r);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ data, dict, last, resolve, reject });
      this.#pump();
    });
  }

  /** Terminates every worker; jobs not finished are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const err = new GzipError("gzip: the compressor was closed");
    for (const j of this.#queue.splice(0)) j.reject(err);
    for (const s of this.#slots.splice(0)) {
      s.job?.reject(err);
      this.#exits.push(s.worker.terminate());
    }
    await Promise.allSettled(this.#exits);
  }

  #recycle(b: ArrayBuffer): void {
    if (this.#free.length < 4) this.#free.push(b);
  }

  #pump(): void {
    if (this.#closed) return;
    const starting = this.#slots.filter((s) => !s.ready).length;
    for (let n = this.#queue.length - starting; n > 0 && this.#slots.length < this.#max; n--) this.#start();
    if (this.#max === 0) return this.#drainInThread();
    // Jobs go only to workers that said they are ready, so a worker that fails to start loses no block.
    for (const slot of this.#slots) {
      if (!slot.ready || slot.job || this.#queue.length === 0) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // a busy worker keeps the process alive until its block is back
      // Plain ArrayBuffers, transferred: Deno's node:worker_threads clones typed-array views at ~10 MB/s.
      const data = job.data.buffer as ArrayBuffer, dict = job.dict?.buffer as ArrayBuffer | undefined;
      const msg = { data, length: job.data.byteLength, dict, level: this.level, last: job.last };
      slot.worker.postMessage(msg, dict ? [data, dict] : [data]);
    }
  }

  #start(): void {
    let worker: Worker;
    try {
      // Each block leaves ~2 MB of zlib buffers behind in the worker's heap; with V8's default young generation a
      // worker held ~40 MB more of them before collecting (peak RSS 256 → 178 MB gzipping 384 MB with 2 workers).
      worker = new Worker(WORKER_SOURCE, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 1 } });
    } catch {
      this.#max = this.#slots.length;
      return;
    }
    const slot: Slot = { worker, ready: false };
    this.#slots.push(slot);
    this.#exits.push(new Promise((r) => worker.once("exit", r)));
    type Reply = { ready?: true; out?: ArrayBuffer; length?: number; input?: ArrayBuffer; error?: string };
    worker.on("message", (m: Reply) => {
      if (m.ready) slot.ready = true;
      else {
        const job = slot.job!;
        slot.job = undefined;
        this.#recycle(m.input!);
        if (m.error !== undefined) job.reject(new Error(m.error));
        else job.resolve(new Uint8Array(m.out!, 0, m.length));
      }
      this.#pump();
      // An idle worker must not hold the process open if a stream is abandoned without being cancelled.
      if (!slot.job) worker.unref();
    });
    const lost = (e: unknown) => {
      const i = this.#slots.indexOf(slot);
      if (i < 0) return; // terminated by close(), or already reported
      this.#slots.splice(i, 1);
      if (!slot.ready) {
        // Could not start here (no threads, no zlib in workers): go on with fewer, in-thread at worst.
        this.#max = this.#slots.length;
        this.#pump();
        return;
      }
      slot.job?.reject(new GzipError(`gzip: a worker thread failed: ${(e as Error)?.message ?? e}`, { cause: e }));
      slot.job = undefined;
    };
    worker.on("error", lost);
    worker.on("exit", (code: number) => lost(new Error(`worker exited with code ${code}`)));
  }

  #drainInThread(): void {
    for (const j of this.#queue.splice(0)) {
      try {
        j.resolve(deflateInThread(j.data, j.dict, this.level, j.last));
      } catch (e) {
        j.reject(e);
      }
    }
  }
}

/** CRC-32 of `data` continuing from `crc`: zlib's (Node >= 20.15, Deno), else {@linkcode crc32Portable}. */
function crc32(data: Uint8Array, crc: number): number {
  const native = (zlib as { crc32?: (d: Uint8Array, v: number) => number }).crc32;
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
