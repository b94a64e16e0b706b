import zlib from "node:zlib";
import { assert, assertEquals, assertRejects, assertThrows } from "../test/util/assert.ts";
import { crc32Portable, GZIP_HEADER, GzipError, gzipParallel, type GzipParallelOptions } from "./gzip.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}

/** Log-like text: compressible, but not a single repeated string. */
function textBytes(n: number): Uint8Array {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < n; i++) {
    const line = `2026-11-28T04:${String(i % 60).padStart(2, "0")} worker=${i % 7} request ${i} took ${
      (i * 7919) % 1000
    }ms\n`;
    lines.push(line);
    size += line.length;
  }
  return new TextEncoder().encode(lines.join("")).subarray(0, n);
}

/** `data` as a stream of chunks of the given sizes, cycling through them. */
function chunked(data: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let off = 0, i = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= data.length) return c.close();
      const n = Math.max(1, sizes[i++ % sizes.length]);
      c.enqueue(data.slice(off, off + n));
      off += n;
    },
  });
}

/**
 * Worker threads alive in this process (Deno names them `worker-N`). Deno's test sanitizers do not notice a
 * node:worker_threads Worker left running, so the tests count the threads themselves.
 */
function workerThreads(): number {
  let n = 0;
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      if (Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).startsWith("worker-")) n++;
    } catch { /* the thread ended while listed */ }
  }
  return n;
}

/**
 * Waits (up to 5 s) for the worker thread count to return to `threads`, then asserts it did. A terminated worker
 * that is inside a native deflate call ends its thread only when that block is done, after terminate() resolved.
 */
async function assertWorkersEnded(threads: number, what: string): Promise<void> {
  for (let i = 0; i < 500 && workerThreads() !== threads; i++) await new Promise((r) => setTimeout(r, 10));
  assertEquals(workerThreads(), threads, what);
}

async function collect(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

function gz(data: Uint8Array, opts: GzipParallelOptions, sizes = [data.length]): Promise<Uint8Array> {
  return collect(chunked(data, sizes).pipeThrough(gzipParallel(opts)));
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  assertEquals(a.length, b.length, `${what}: length`);
  const at = a.findIndex((v, i) => v !== b[i]);
  assert(at < 0, `${what}: first difference at byte ${at}`);
}

/** Every decoder the brief names must agree with the input: gunzip(1), DecompressionStream, node:zlib. */
async function assertDecodes(gzipped: Uint8Array, input: Uint8Array, what: string): Promise<void> {
  sameBytes(new Uint8Array(zlib.gunzipSync(gzipped)), input, `${what}: node:zlib gunzip`);
  const ds = new Blob([gzipped as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  sameBytes(await collect(ds), input, `${what}: DecompressionStream`);
  const child = new Deno.Command("gunzip", { args: ["-c"], stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const [, out] = await Promise.all([
    new Blob([gzipped as Uint8Array<ArrayBuffer>]).stream().pipeTo(child.stdin),
    child.output(),
  ]);
  assertEquals(out.code, 0, `${what}: gunzip: ${new TextDecoder().decode(out.stderr)}`);
  sameBytes(out.stdout, input, `${what}: gunzip`);
}

/**
 * The rule for storing a block, written out plainly: blocks of at least 128 KiB whose 8 evenly spaced 4 KiB samples,
 * deflated together at level 1, shrink by less than 3 %.
 */
function incompressible(block: Uint8Array): boolean {
  if (block.length < 128 * KiB) return false;
  const step = Math.floor((block.length - 4 * KiB) / 7);
  const samples = Array.from({ length: 8 }, (_, i) => block.subarray(i * step, i * step + 4 * KiB));
  return zlib.deflateRawSync(Buffer.concat(samples), { level: 1 }).length >= 0.97 * 32 * KiB;
}

/** `block` as deflate stored blocks of at most 65535 bytes, the last one final when `last`. */
function stored(block: Uint8Array, last: boolean): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let off = 0; off < block.length; off += 65535) {
    const piece = block.subarray(off, off + 65535);
    const head = Buffer.alloc(5);
    head[0] = last && off + 65535 >= block.length ? 1 : 0;
    head.writeUInt16LE(piece.length, 1);
    head.writeUInt16LE(piece.length ^ 0xffff, 3);
    parts.push(head, piece);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The pigz scheme written out plainly on this thread, to hold the stream to the format the brief fixes. */
function reference(data: Uint8Array, level: number, blockSize: number): Uint8Array {
  const parts: Uint8Array[] = [GZIP_HEADER];
  let off = 0;
  do {
    const end = Math.min(data.length, off + blockSize);
    const last = end === data.length;
    const dictionary = off > 0 ? data.subarray(off - 32 * KiB, off) : undefined;
    const finishFlush = last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH;
    const block = data.subarray(off, end);
    if (level > 0 && incompressible(block)) parts.push(stored(block, last));
    else parts.push(zlib.deflateRawSync(block, { level, dictionary, finishFlush }));
    off = end;
  } while (off < data.length);
  const trailer = new DataView(new ArrayBuffer(8));
  trailer.setUint32(0, zlib.crc32(data), true);
  trailer.setUint32(4, data.length, true);
  parts.push(new Uint8Array(trailer.buffer));
  return new Uint8Array(Buffer.concat(parts));
}

Deno.test("the same bytes for every worker count and input chunking, and those of the plain pigz scheme", async () => {
  const input = randomBytes(3 * MiB + 12345);
  const blockSize = 256 * KiB;
  const expected = reference(input, 6, blockSize);
  const chunkings = [[input.length], [1000, 77777, 3], [blockSize], [blockSize + 1, blockSize - 1], [65536]];
  const threads = workerThreads();
  for (const workers of [0, 1, 2, 3]) {
    for (const sizes of chunkings) {
      sameBytes(await gz(input, { blockSize, workers }, sizes), expected, `workers=${workers} chunks=${sizes}`);
      await assertWorkersEnded(threads, `workers=${workers}: every worker ended with the stream`);
    }
  }
  await assertDecodes(expected, input, "random 3 MB");
});

Deno.test("multi-MB random input at the default block size decodes with gunzip, DecompressionStream and zlib", async () => {
  const input = randomBytes(5 * MiB + 777);
  for (const level of [1, 6, 9]) {
    const out = await gz(input, { level, workers: 2 }, [100_000]);
    sameBytes(out, reference(input, level, MiB), `level ${level}`);
    await assertDecodes(out, input, `level ${level}`);
  }
});

Deno.test("empty input, exactly one block, exactly two blocks and a block plus one byte", async () => {
  const blockSize = 64 * KiB;
  for (const n of [0, 1, blockSize - 1, blockSize, 2 * blockSize, blockSize + 1]) {
    const input = randomBytes(n);
    const outs = [];
    for (const workers of [0, 2]) outs.push(await gz(input, { blockSize, workers }, [4096]));
    sameBytes(outs[1], outs[0], `${n} bytes: workers 0 and 2`);
    sameBytes(outs[0], reference(input, 6, blockSize), `${n} bytes: pigz scheme`);
    sameBytes(outs[0].subarray(0, GZIP_HEADER.length), Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3), "header");
    await assertDecodes(outs[0], input, `${n} bytes`);
  }
});

Deno.test("compressible text shrinks about as much as one zlib gzip stream and decodes exactly", async () => {
  const input = textBytes(4 * MiB + 3);
  for (const level of [1, 6]) {
    const ours = await gz(input, { level, workers: 2 }, [50_000, 1_000_000]);
    await assertDecodes(ours, input, `text level ${level}`);
    const single = zlib.gzipSync(input, { level }).length;
    assert(ours.length < input.length / 4, `level ${level}: ${ours.length} bytes from ${input.length}`);
    // Dictionaries carry the window across blocks: cost over one stream stays within a few per cent.
    assert(ours.length < single * 1.05 + 1024, `level ${level}: ${ours.length} bytes vs ${single} for one stream`);
  }
});

Deno.test("a consumer that stops reading stops the input after a bounded number of blocks; cancel ends the workers", async () => {
  const blockSize = 64 * KiB, workers = 2;
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      // Endless unless it runs away: a stream without backpressure would pull here without ever yielding.
      if (pulled >= 32 * MiB) return c.error(new Error("ran away"));
      c.enqueue(randomBytes(16 * KiB));
      pulled += 16 * KiB;
    },
  }, { highWaterMark: 0 });
  const threads = workerThreads();
  const reader = source.pipeThrough(gzipParallel({ blockSize, workers })).getReader();
  assertEquals((await reader.read()).value, GZIP_HEADER);
  const first = await reader.read(); // a compressed block: the workers are running
  assert(first.value && first.value.length > 0);
  // Give an unbounded implementation ample room to run away; then count what was taken from the source.
  await new Promise((r) => setTimeout(r, 500));
  // Blocks in flight (2×workers), one being filled, one in the readable queue, one in the pipe.
  const bound = (2 * workers + 3) * blockSize + 16 * KiB;
  assert(pulled <= bound, `pulled ${pulled} bytes from an endless source; bound ${bound}`);
  assertEquals(workerThreads(), threads + workers, "both workers are running");
  await reader.cancel();
  await assertWorkersEnded(threads, "cancel ended the workers");
});

Deno.test("an erroring source errors the output and ends the workers", async () => {
  let sent = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent >= 2 * MiB) return c.error(new Error("disk went away"));
      c.enqueue(randomBytes(256 * KiB));
      sent += 256 * KiB;
    },
  });
  const threads = workerThreads();
  const out = source.pipeThrough(gzipParallel({ blockSize: 128 * KiB, workers: 2 }));
  await assertRejects(() => collect(out), Error, "disk went away");
  await assertWorkersEnded(threads, "the error ended the workers");
});

Deno.test("level 0 (stored blocks) and a block size between 32 and 64 KiB follow the same scheme", async () => {
  const input = textBytes(300 * KiB + 5);
  for (const [level, blockSize] of [[0, 64 * KiB], [6, 48 * KiB]]) {
    const out = await gz(input, { level, blockSize, workers: 2 }, [10_000]);
    sameBytes(out, reference(input, level, blockSize), `level ${level}, block ${blockSize}`);
    await assertDecodes(out, input, `level ${level}, block ${blockSize}`);
  }
});

Deno.test("the portable CRC-32 (Node before 20.15) agrees with zlib's, whole and continued", () => {
  const data = randomBytes(100_003);
  assertEquals(crc32Portable(data), zlib.crc32(data));
  assertEquals(crc32Portable(data.subarray(5000), crc32Portable(data.subarray(0, 5000))), zlib.crc32(data));
  assertEquals(crc32Portable(new Uint8Array(0)), 0);
});

Deno.test("invalid options are refused with a GzipError naming the option", () => {
  assertThrows(() => gzipParallel({ level: 10 }), GzipError, "level");
  assertThrows(() => gzipParallel({ blockSize: 1000 }), GzipError, "block size");
  assertThrows(() => gzipParallel({ workers: -1 }), GzipError, "worker count");
});

Deno.test("under Node (esbuild bundle): workers, in-thread and denied workers (the fallback) give the same bytes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-gzip-node-" });
  try {
    const entry = `${dir}/entry.ts`;
    await Deno.writeTextFile(
      entry,
      `import { readFileSync, writeFileSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { gzipParallel } from ${JSON.stringify(new URL("./gzip.ts", import.meta.url).pathname)};
const [file, tag] = process.argv.slice(2);
let canStart = true;
try { await new Worker("", { eval: true }).terminate(); } catch { canStart = false; }
if (canStart !== (tag === "allowed")) throw new Error("workers can start: " + canStart);
const input = readFileSync(file);
for (const workers of [0, 2]) {
  const src = new ReadableStream({ start(c) { for (let i = 0; i < input.length; i += 99999) c.enqueue(input.subarray(i, i + 99999)); c.close(); } });
  const out = new Uint8Array(await new Response(src.pipeThrough(gzipParallel({ workers, blockSize: 128 * 1024 }))).arrayBuffer());
  writeFileSync(file + "." + tag + ".w" + workers + ".gz", out);
}
`,
    );
    const esbuild = new URL("../node_modules/.bin/esbuild", import.meta.url).pathname;
    const b = await new Deno.Command(esbuild, {
      args: [entry, "--bundle", "--platform=node", "--format=esm", `--outfile=${dir}/entry.mjs`, "--log-level=warning"],
      stderr: "piped",
    }).output();
    assertEquals(b.code, 0, new TextDecoder().decode(b.stderr));
    const input = randomBytes(MiB + 4321);
    await Deno.writeFile(`${dir}/in`, input);
    // Node's permission model without --allow-worker makes `new Worker` throw: a real "workers cannot start".
    const denied = ["--experimental-permission", "--allow-fs-read=*", "--allow-fs-write=*"];
    for (const [tag, flags] of [["allowed", []], ["denied", denied]] as const) {
      // `timeout` turns a worker that keeps Node alive into a failure rather than a hung test.
      const r = await new Deno.Command("timeout", {
        args: ["60", "node", ...flags, `${dir}/entry.mjs`, `${dir}/in`, tag],
        stderr: "piped",
      }).output();
      assertEquals(r.code, 0, `${tag}: ${new TextDecoder().decode(r.stderr)}`);
    }
    const inThread = await Deno.readFile(`${dir}/in.allowed.w0.gz`);
    sameBytes(await Deno.readFile(`${dir}/in.allowed.w2.gz`), inThread, "node: workers 0 and 2");
    sameBytes(await Deno.readFile(`${dir}/in.denied.w2.gz`), inThread, "node: fallback and workers 0");
    await assertDecodes(inThread, input, "node");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("random input is stored, not deflated: barely larger than the input, same bytes for any worker count", async () => {
  const input = randomBytes(6 * MiB + 999);
  const outs = [];
  for (const workers of [0, 1, 2]) outs.push(await gz(input, { workers }, [65536, 3000]));
  sameBytes(outs[1], outs[0], "workers 0 and 1");
  sameBytes(outs[2], outs[0], "workers 0 and 2");
  sameBytes(outs[0], reference(input, 6, MiB), "pigz scheme with stored blocks");
  // 5 bytes per 65535 stored, plus header and trailer: anything more means a block went through deflate.
  const overhead = outs[0].length - input.length;
  assert(overhead <= Math.ceil(input.length / 65535) * 5 + 18 + 7 * 5, `overhead ${overhead} bytes`);
  await assertDecodes(outs[0], input, "random, stored");
});

Deno.test("mixed input: the text part is still compressed, the random part stored, and it all decodes", async () => {
  const text = textBytes(4 * MiB), noise = randomBytes(4 * MiB + 17);
  // Text, noise, then text again after a stored block (its dictionary is the stored bytes), then a short tail.
  const input = new Uint8Array(Buffer.concat([text, noise, text.subarray(0, 2 * MiB), noise.subarray(0, 5000)]));
  const out = await gz(input, { workers: 2 }, [100_000]);
  sameBytes(out, reference(input, 6, MiB), "pigz scheme");
  const textOnly = (await gz(new Uint8Array(Buffer.concat([text, text.subarray(0, 2 * MiB)])), { workers: 2 })).length;
  // Noise costs its own size (stored) and the text what it costs alone, give or take block-boundary effects.
  assert(out.length < noise.length + 5000 + textOnly * 1.1 + 4096, `${out.length} bytes; text alone ${textOnly}`);
  assert(out.length > noise.length, "the noise cannot shrink");
  await assertDecodes(out, input, "mixed");
  // A block that is mostly noise with one compressible sample region is deflated, not stored.
  const block = randomBytes(MiB);
  block.set(text.subarray(0, 8 * KiB), 0);
  const one = await gz(block, { workers: 0 });
  sameBytes(one, reference(block, 6, MiB), "one compressible sample");
  assert(one.length < block.length, `deflated: ${one.length} of ${block.length}`);
});

Deno.test("stored blocks at sizes around the block and 65535-byte stored-block boundaries decode exactly", async () => {
  const blockSize = 128 * KiB;
  for (const n of [0, 1, 65535, 2 * 65535, blockSize - 1, blockSize, blockSize + 1, 2 * blockSize, 3 * blockSize + 65535]) {
    const input = randomBytes(n);
    const outs = [];
    for (const workers of [0, 2]) outs.push(await gz(input, { blockSize, workers }, [4096, 70000]));
    sameBytes(outs[1], outs[0], `${n} bytes: workers 0 and 2`);
    sameBytes(outs[0], reference(input, 6, blockSize), `${n} bytes: pigz scheme`);
    await assertDecodes(outs[0], input, `${n} bytes`);
  }
});
