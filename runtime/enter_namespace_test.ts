import { assert, assertEquals } from "../test/util/assert.ts";
import { inNamespace } from "./mod.ts";

const fixture = new URL("./testdata/reexec.ts", import.meta.url).pathname;
const dec = new TextDecoder();

/** Runs the fixture as a fresh program outside any tsbuild namespace (the mark is removed from its env). */
function fixtureCommand(
  args: string[],
  env: Record<string, string> = {},
  cmd = Deno.execPath(),
  script = fixture,
  runtimeArgs = ["run", "-A"],
) {
  const e = Deno.env.toObject();
  delete e.TSBUILD_IN_NAMESPACE;
  return new Deno.Command(cmd, {
    args: [...runtimeArgs, script, ...args],
    env: { ...e, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function expectedUidMap(uid: number): Promise<string[][]> {
  const ownMap = (await Deno.readTextFile("/proc/self/uid_map")).trim().split(/\s+/).join(" ");
  if (uid === 0 && ownMap === "0 0 4294967295") return [["0", "0", "4294967295"]];
  return [];
}

Deno.test("inNamespace follows the TSBUILD_IN_NAMESPACE mark", () => {
  assertEquals(inNamespace(), Deno.env.get("TSBUILD_IN_NAMESPACE") === "1");
});

Deno.test("the child runs inside with the args, the mark and its own mount namespace, and its exit code returns", async () => {
  const out = await fixtureCommand(["report", "7", "a b"]).output();
  assertEquals(out.code, 7, dec.decode(out.stderr));
  const inside = JSON.parse(dec.decode(out.stdout));
  assertEquals([inside.args, inside.uid, inside.mark], [["7", "a b"], 0, "1"]);
  assert(inside.mountNs !== await Deno.readLink("/proc/self/ns/mnt"), "the child shares our mount namespace");
  const expected = await expectedUidMap(Deno.uid() ?? 0);
  if (expected.length > 0) assertEquals(inside.uidMap, expected);
  else assertEquals(inside.uidMap[0].slice(0, 1), ["0"]);
});

Deno.test("mounts made inside vanish with the namespace", async () => {
  const dir = await Deno.makeTempDir();
  const out = await fixtureCommand(["mount", dir]).output();
  assertEquals(out.code, 0, dec.decode(out.stderr));
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  assert(!mountinfo.includes(` ${dir} `), "the tmpfs leaked out of the namespace");
});

Deno.test("SIGTERM to the outer process reaches the program inside", async () => {
  const child = fixtureCommand(["signal"]).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  child.kill("SIGTERM");
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  const status = await child.status;
  await child.stderr.cancel();
  assertEquals([status.code, text], [42, "ready\ngot SIGTERM\n"]);
});

Deno.test("a host without unshare gets a NamespaceError naming the fix", async () => {
  const out = await fixtureCommand(["report"], { PATH: "/nonexistent" }).output();
  assertEquals(out.code, 1);
  const err = dec.decode(out.stderr);
  assert(err.includes("NamespaceError") && err.includes("apt-get install util-linux"), err);
});

/** The unprivileged path for real: only possible when this test runs as real root and the test user exists. */
Deno.test("an unprivileged user gets its /etc/subuid range mapped", async (t) => {
  const realRoot = Deno.uid() === 0 &&
    (await Deno.readTextFile("/proc/self/uid_map")).trim().split(/\s+/).join(" ") === "0 0 4294967295";
  const passwd = await Deno.readTextFile("/etc/passwd");
  const entry = passwd.split("\n").find((l) => l.startsWith("tsbuild-test:"));
  if (!realRoot || !entry) {
    await t.step({ name: "needs real root and user tsbuild-test", ignore: true, fn: () => {} });
    return;
  }
  const uid = Number(entry.split(":")[2]);
  const range = (await Deno.readTextFile("/etc/subuid")).split("\n").find((l) => l.startsWith("tsbuild-test:"))!
    .split(":").map(Number);
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-ns-" });
  await Deno.chmod(dir, 0o755);
  const repo = new URL("..", import.meta.url).pathname;
  for (const p of ["runtime", "errors.ts", "deno.json", "package.json"]) {
    await new Deno.Command("cp", { args: ["-r", `${repo}/${p}`, dir] }).output();
  }
  await Deno.copyFile(Deno.execPath(), `${dir}/deno`);
  await new Deno.Command("chmod", { args: ["-R", "a+rX", dir] }).output();
  try {
    const out = await new Deno.Command("su", {
      args: [
        "tsbuild-test",
        "-s",
        "/bin/sh",
        "-c",
        `cd ${dir} && HOME=${dir} DENO_DIR=${dir}/.deno-$$ ` +
        `./deno run -A runtime/testdata/reexec.ts report`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, dec.decode(out.stderr));
    const inside = JSON.parse(dec.decode(out.stdout));
    assertEquals(inside.uidMap, [["0", String(uid), "1"], ["1", String(range[1]), String(range[2] - 1)]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("under Node (bundled with the Deno shim) the re-exec, exit code and SIGTERM forwarding work too", async (t) => {
  const node = await new Deno.Command("sh", { args: ["-c", "command -v node"], stdout: "piped" }).output();
  if (!node.success) {
    await t.step({ name: "needs node", ignore: true, fn: () => {} });
    return;
  }
  const dir = await Deno.makeTempDir();
  const repo = new URL("..", import.meta.url).pathname;
  const built = await new Deno.Command(`${repo}/node_modules/.bin/esbuild`, {
    args: [
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--target=node20",
      "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      new URL("./testdata/node_entry.ts", import.meta.url).pathname,
      `--outfile=${dir}/reexec.mjs`,
    ],
    stderr: "piped",
  }).output();
  assert(built.success, dec.decode(built.stderr));
  const nodePath = dec.decode(node.stdout).trim();
  const report = await fixtureCommand(["report", "6"], {}, nodePath, `${dir}/reexec.mjs`, []).output();
  assertEquals(report.code, 6, dec.decode(report.stderr));
  const inside = JSON.parse(dec.decode(report.stdout));
  assertEquals([inside.args, inside.uid, inside.mark], [["6"], 0, "1"]);

  const child = fixtureCommand(["signal"], {}, nodePath, `${dir}/reexec.mjs`, []).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("ready\n")) {
    const r = await reader.read();
    if (r.done) break;
    text += dec.decode(r.value);
  }
  child.kill("SIGTERM");
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += dec.decode(r.value);
  await child.stderr.cancel();
  assertEquals([(await child.status).code, text], [42, "ready\ngot SIGTERM\n"]);
});
