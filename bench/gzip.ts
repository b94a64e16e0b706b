/**
 * gzip throughput on 256 MB of random bytes and of log-like text: node:zlib createGzip on one stream (what layers
 * used before, `gzipStream` in snapshotter/node.ts) against `gzipParallel` with 1 and 2 workers, at levels 1 and 6.
 * Input is fed in 64 KiB chunks from an 8 MB pattern repeated (too far apart for deflate's 32 KiB window to see),
 * so generating it costs nothing in the timings. A measuring aid for issue #4, not a test.
 *
 *     deno run -A bench/gzip.ts [MB]
 * @module
 */
import { loadavg } from "node:os";
import process from "node:process";
import { defaultGzipWorkers, gzipParallel } from "../snapshotter/gzip.ts";
import { gzipStream } from "../snapshotter/node.ts";

const MB = 1 << 20;
const total = Number(Deno.args[0] ?? 256) * MB;
const CHUNK = 64 << 10;

function randomPattern(): Uint8Array {
  const b = new Uint8Array(8 * MB);
  for (let i = 0; i < b.length; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

function textPattern(): Uint8Array {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < 8 * MB; i++) {
    const line = `2026-11-28T04:${String(i % 60).padStart(2, "0")}:${String((i * 13) % 60).padStart(2, "0")} ` +
      `worker=${i % 7} GET /api/v1/items/${(i * 7919) % 100000} status=${i % 11 ? 200 : 404} ` +
      `took ${(i * 104729) % 1000}ms\n`;
    lines.push(line);
    n += line.length;
  }
  return new TextEncoder().encode(lines.join("")).subarray(0, 8 * MB);
}

function source(pattern: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream({
    pull(c) {
      if (off >= total) return c.close();
      const at = off % pattern.length;
      c.enqueue(pattern.subarray(at, at + CHUNK));
      off += CHUNK;
    },
  }, { highWaterMark: 0 });
}

/** MB/s of wall time, output bytes, and CPU seconds of the whole process (all threads): on a busy machine the
 * wall-clock rate says little, the CPU cost still says how much work each compressor does. */
async function measure(
  pattern: Uint8Array,
  gz: TransformStream<Uint8Array, Uint8Array>,
): Promise<[number, number, number]> {
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  let out = 0;
  for await (const c of source(pattern).pipeThrough(gz)) out += c.byteLength;
  const cpu = process.cpuUsage(cpu0);
  return [total / MB / ((performance.now() - t0) / 1000), out, (cpu.user + cpu.system) / 1e6];
}

// Also runs bundled for Node (node/build.mjs bench/gzip.ts dist/bench-gzip.mjs), where `Deno` is a shim.
const versions = process.versions as Record<string, string | undefined>;
const runtime = versions.deno ? `deno ${versions.deno}` : `node ${process.version}`;
console.log(`gzip of ${total / MB} MB in ${CHUNK >> 10} KiB chunks, ${runtime}, ${defaultGzipWorkers()} CPUs`);
console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")} (others' work skews MB/s)`);
console.log(
  "input".padEnd(8),
  "level",
  "compressor".padEnd(24),
  "MB/s".padStart(7),
  "ratio".padStart(7),
  "cpu s".padStart(7),
);
for (const [name, pattern] of [["random", randomPattern()], ["text", textPattern()]] as const) {
  for (const level of [1, 6]) {
    const runs: [string, () => Promise<TransformStream<Uint8Array, Uint8Array>>][] = [
      ["zlib createGzip", () => gzipStream(level)],
      ["gzipParallel workers=1", () => Promise.resolve(gzipParallel({ level, workers: 1 }))],
      ["gzipParallel workers=2", () => Promise.resolve(gzipParallel({ level, workers: 2 }))],
    ];
    for (const [label, make] of runs) {
      const [rate, out, cpu] = await measure(pattern, await make());
      console.log(
        name.padEnd(8),
        String(level).padEnd(5),
        label.padEnd(24),
        rate.toFixed(1).padStart(7),
        (out / total).toFixed(3).padStart(7),
        cpu.toFixed(2).padStart(7),
      );
    }
  }
}
