/**
 * The same code on Deno and on Node: node/smoke.ts (Deno APIs and npm packages tsbuild uses) must print the same
 * report under both, and the bundled CLI must answer `--version` under Node.
 */
import { assert, assertEquals } from "../test/util/assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DENO = `${ROOT}node_modules/.bin/deno`;
const dec = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const o = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "piped" }).output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

// Node >= 20.16 (process.getBuiltinModule) is what package.json promises; the test is only meaningful with such a node.
Deno.test("node on PATH is >= 20.16", async () => {
  const v = (await run("node", ["--version"])).stdout.trim();
  const [major, minor] = v.replace(/^v/, "").split(".").map(Number);
  assert(major > 20 || (major === 20 && minor >= 16), `node ${v}`);
});

Deno.test("node/smoke.ts prints the same report under Deno and bundled for Node", async () => {
  const out = `dist/smoke-${crypto.randomUUID().slice(0, 8)}.mjs`; // inside the project: node resolves node_modules
  try {
    const built = await run("node", ["node/build.mjs", "node/smoke.ts", out]);
    assertEquals(built.code, 0, built.stderr);
    const onDeno = await run(DENO, ["run", "-A", "--quiet", "node/smoke.ts", "a", "b c"]);
    assertEquals(onDeno.code, 0, onDeno.stderr);
    const onNode = await run("node", [out, "a", "b c"]);
    assertEquals(onNode.code, 0, onNode.stderr);
    const d = JSON.parse(onDeno.stdout), n = JSON.parse(onNode.stdout);
    assertEquals(n, d);
    // And the report itself is right, not just equally wrong on both.
    assertEquals(d.args, ["a", "b c"]);
    assertEquals(d.output, { code: 3, success: false, stdout: "out\n<dir>\n", stderr: "err\n" });
    assertEquals(d.signalled, { code: 143, signal: "SIGTERM" });
    assertEquals(d.clearEnv, "1 nohome\n");
    assertEquals(d.notFound, true);
    assertEquals(d.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertEquals(d.gunzip, "zipped");
    assertEquals(d.tar, ["a.txt=in a tar"]);
    assertEquals(d.file, { text: "hello\n", size: 6, mode: 0o640 });
    assertEquals(d.seek, { four: "3456", endPos: 8, rest: "89", eof: null });
    assertEquals(d.lock, { whileHeld: false });
  } finally {
    await Deno.remove(`${ROOT}${out}`).catch(() => {});
    await Deno.remove(`${ROOT}${out}.map`).catch(() => {});
  }
});

Deno.test("node/tsbuild-node --version prints the same version as ./tsbuild", async () => {
  const viaNode = await run(`${ROOT}node/tsbuild-node`, ["--version"]);
  assertEquals(viaNode.code, 0, viaNode.stderr);
  const viaDeno = await run(`${ROOT}tsbuild`, ["--version"]);
  assertEquals(viaDeno.code, 0, viaDeno.stderr);
  assert(/\d+\.\d+\.\d+/.test(viaNode.stdout), viaNode.stdout);
  assertEquals(viaNode.stdout, viaDeno.stdout);
});
