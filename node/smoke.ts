/**
 * Exercises the Deno APIs and npm packages tsbuild relies on and prints what it saw as one JSON line, so that the
 * same file run by Deno and bundled for Node must print the same thing (node/node_test.ts).
 * @module
 */
import { sha256 } from "../snapshotter/node.ts";
import { nodeZlib } from "../runtime/builtins.ts";
import xxhash from "xxhash-wasm";
import tar from "tar-stream";

const dec = new TextDecoder();
const report: Record<string, unknown> = { args: Deno.args, os: Deno.build.os };

const base = await Deno.makeTempDir({ prefix: "tsbuild-smoke-" });
try {
  const dir = await Deno.makeTempDir({ dir: base, prefix: "inner-" });
  report.tempDirInside = dir.startsWith(`${base}/inner-`);
  await Deno.writeTextFile(`${dir}/f.txt`, "hello\n");
  await Deno.chmod(`${dir}/f.txt`, 0o640);
  const st = await Deno.stat(`${dir}/f.txt`);
  report.file = { text: await Deno.readTextFile(`${dir}/f.txt`), size: st.size, mode: st.mode! & 0o777 };
  await Deno.symlink("f.txt", `${dir}/link`);
  report.readLink = await Deno.readLink(`${dir}/link`);
  const fh = await Deno.open(`${dir}/seek.bin`, { read: true, write: true, create: true });
  await fh.write(new TextEncoder().encode("0123456789"));
  await fh.sync();
  await fh.seek(3, Deno.SeekMode.Start);
  const four = new Uint8Array(4);
  await fh.read(four);
  const endPos = await fh.seek(-2, Deno.SeekMode.End);
  const rest = new Uint8Array(8);
  const restN = await fh.read(rest);
  const eof = await fh.read(rest);
  fh.close();
  report.seek = { four: dec.decode(four), endPos, rest: dec.decode(rest.subarray(0, restN ?? 0)), eof };

  // flock: a second open of the same file cannot take the lock until the first is closed.
  const l1 = await Deno.open(`${dir}/lock`, { read: true, write: true, create: true });
  const l2 = await Deno.open(`${dir}/lock`, { read: true, write: true, create: true });
  await l1.lock(true);
  const whileHeld = await l2.tryLock(true);
  l1.close();
  await l2.lock(true); // waits for the release
  l2.close();
  report.lock = { whileHeld };
  await Deno.remove(`${dir}/lock`);
  await Deno.remove(`${dir}/seek.bin`);

  report.entries = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

  const out = await new Deno.Command("sh", { args: ["-c", "echo out; echo err >&2; pwd; exit 3"], cwd: dir }).output();
  report.output = {
    code: out.code,
    success: out.success,
    stdout: dec.decode(out.stdout).replace(dir, "<dir>"),
    stderr: dec.decode(out.stderr),
  };

  const env = await new Deno.Command("sh", {
    args: ["-c", 'echo "${A:-unset} ${HOME:-nohome}"'],
    env: { A: "1", PATH: "/usr/bin:/bin" },
    clearEnv: true,
  }).output();
  report.clearEnv = dec.decode(env.stdout);

  const cat = new Deno.Command("cat", { stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
  const w = cat.stdin.getWriter();
  await w.write(new TextEncoder().encode("through stdin"));
  await w.close();
  const catOut = await cat.output();
  report.spawn = { stdout: dec.decode(catOut.stdout), code: catOut.code, pidIsNumber: typeof cat.pid === "number" };

  const killed = await new Deno.Command("sh", { args: ["-c", "kill -TERM $$"] }).output();
  report.signalled = { code: killed.code, signal: killed.signal };

  try {
    await new Deno.Command("/nonexistent/tsbuild-smoke").output();
    report.notFound = "no error";
  } catch (e) {
    report.notFound = e instanceof Deno.errors.NotFound;
  }
} finally {
  await Deno.remove(base, { recursive: true });
}

// Through runtime/builtins.ts: the built-ins tsbuild loads on first use (process.getBuiltinModule).
report.sha256 = sha256().update("abc").digest("hex");
report.gunzip = dec.decode(nodeZlib().gunzipSync(nodeZlib().gzipSync("zipped")));
report.xxh64 = (await xxhash()).h64ToString("tsbuild");

const pack = tar.pack();
pack.entry({ name: "a.txt", mode: 0o644 }, "in a tar");
pack.finalize();
const extract = tar.extract();
const seen: string[] = [];
extract.on("entry", (header, stream, next) => {
  const chunks: Uint8Array[] = [];
  stream.on("data", (c) => chunks.push(c as Uint8Array));
  stream.on("end", () => {
    seen.push(`${header.name}=${dec.decode(new Uint8Array(chunks.flatMap((c) => [...c])))}`);
    next();
  });
});
await new Promise<void>((resolve, reject) => {
  extract.on("finish", resolve);
  extract.on("error", reject);
  pack.pipe(extract);
});
report.tar = seen;

console.log(JSON.stringify(report));
