/**
 * The deflate workers behind {@linkcode gzipParallel}: one block's raw deflate (with its stored-block shortcut), the
 * same function run in `node:worker_threads` workers from inline source and in-thread, and the pool that hands out
 * blocks and returns their results in any order (gzip.ts puts them back in order).
 * @module
 */
import type * as Zlib from "node:zlib";
import type { Worker } from "node:worker_threads";
import { nodeWorkerThreads, nodeZlib } from "../runtime/builtins.ts";
import { TsbuildError } from "../errors.ts";

/** Compression failed (a worker died mid-block, zlib refused) or the options were invalid. */
export class GzipError extends TsbuildError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * A last block this small (most often a whole small layer) is deflated in-thread: starting a worker costs more
 * than the deflate, and the bytes are the same either way.
 */
const IN_THREAD_BELOW = 64 << 10;
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
  z: typeof Zlib,
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
  return deflateBlock(nodeZlib(), data, dict, level, last);
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
export class DeflatePool {
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
      worker = new (nodeWorkerThreads().Worker)(WORKER_SOURCE, {
        eval: true,
        resourceLimits: { maxYoungGenerationSizeMb: 1 },
      });
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
