/**
 * End-to-end helpers: the unprivileged test user, a copy of the project that user can read, and running
 * `./tsbuild` as root or as that user exactly as a person would from a shell.
 *
 * @module
 */

const REPO = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const USER = Deno.env.get("TSBUILD_TEST_USER") ?? "tsbuild-test";
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  /** A world-readable copy of this checkout (sources + node_modules) the user runs tsbuild from. */
  projectDir: string;
}

export interface RunOptions {
  as: "root" | "user";
  /** Defaults to a world-writable scratch dir both root and the user can use. */
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
}

export interface RunResult {
  code: number;
  stdout: string;
  /** stdout as bytes, for outputs written there (`-o -`). */
  stdoutBytes: Uint8Array;
  stderr: string;
}

let cached: Promise<TestUser> | undefined;

/** Ensures the test user (with its subuid range) and its copy of the project exist; memoised per process. */
export function testUser(): Promise<TestUser> {
  cached ??= makeTestUser();
  return cached;
}

async function makeTestUser(): Promise<TestUser> {
  await run("bash", [`${REPO}/scripts/create_test_user.sh`, USER]);
  const uid = Number((await run("id", ["-u", USER])).trim());
  const gid = Number((await run("id", ["-g", USER])).trim());
  return { name: USER, uid, gid, projectDir: await projectCopy() };
}

/**
 * The checkout usually sits under root-only dirs (CI clones, /work), so the user gets its own copy in /tmp, named
 * by a fingerprint of the source files so that an edit produces a fresh copy. node_modules is hard-linked (it is
 * large and never edited in place), sources are copied.
 */
async function projectCopy(): Promise<string> {
  const files = await sourceFiles();
  const parts: string[] = [];
  for (const f of files) {
    const st = await Deno.lstat(`${REPO}/${f}`).catch(() => undefined);
    if (st) parts.push(`${f}\0${st.size}\0${st.mtime?.getTime()}\0${st.mode}`);
  }
  const lock = await Deno.readFile(`${REPO}/node_modules/.package-lock.json`).catch(() => new Uint8Array());
  const fp = await sha256(new TextEncoder().encode(parts.join("\n") + new TextDecoder().decode(lock)));
  const dir = `/tmp/tsbuild-e2e-${fp.slice(0, 16)}`;
  if (await exists(`${dir}/.complete`)) return dir;

  const tmp = await Deno.makeTempDir({ dir: "/tmp", prefix: "tsbuild-e2e-tmp-" });
  try {
    // cpio-like copy of the listed files keeping modes (the tsbuild wrapper must stay executable).
    const list = `${tmp}.list`;
    await Deno.writeTextFile(list, files.join("\0") + "\0");
    await run("sh", ["-c", `tar -C "$1" --null -T "$2" -cf - | tar -C "$3" -xf -`, "sh", REPO, list, tmp]);
    await Deno.remove(list);
    if (await exists(`${REPO}/node_modules`)) {
      const linked = await runStatus("cp", ["-al", `${REPO}/node_modules`, `${tmp}/node_modules`]);
      if (!linked) await run("cp", ["-a", `${REPO}/node_modules`, `${tmp}/node_modules`]);
    }
    await run("chmod", ["-R", "a+rX", tmp]);
    await Deno.chmod(tmp, 0o755);
    await Deno.writeTextFile(`${tmp}/.complete`, new Date().toISOString() + "\n");
    try {
      await Deno.rename(tmp, dir);
    } catch (e) {
      if (!(await exists(`${dir}/.complete`))) throw e; // a concurrent test file made the same copy first
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  await removeStaleCopies(dir);
  return dir;
}

/** Every edit makes a new copy; old ones (unused for an hour: no test run lasts that long) are removed. */
async function removeStaleCopies(keep: string): Promise<void> {
  const cutoff = Date.now() - 3600_000;
  for await (const e of Deno.readDir("/tmp")) {
    const p = `/tmp/${e.name}`;
    if (!/^tsbuild-e2e-[0-9a-f]{16}$/.test(e.name) || p === keep) continue;
    const st = await Deno.stat(`${p}/.complete`).catch(() => undefined);
    if (st?.mtime && st.mtime.getTime() < cutoff) await Deno.remove(p, { recursive: true }).catch(() => {});
  }
}

/** Tracked and untracked-but-not-ignored files (what a CI checkout plus local edits hold), or a walk without git. */
async function sourceFiles(): Promise<string[]> {
  const out = await new Deno.Command("git", {
    args: ["-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  if (out?.success) {
    const names = new TextDecoder().decode(out.stdout).split("\0").filter((f) => f && !f.startsWith("node_modules/"));
    const present: string[] = [];
    for (const f of names) if (await exists(`${REPO}/${f}`)) present.push(f); // deleted but still in the index
    return [...present, ...await bundleFiles()];
  }
  const found: string[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(`${REPO}/${rel}`)) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (["node_modules", ".git", "dist", ".tsbuild-test"].includes(p)) continue;
      if (e.isDirectory) await walk(p);
      else found.push(p);
    }
  };
  await walk("");
  return [...found, ...await bundleFiles()];
}

/**
 * The CLI bundle scripts/install.sh made (git ignores it), so that the user runs what root runs; copied with its
 * mtimes, the wrapper finds it exactly as fresh (or stale) as in the checkout.
 */
async function bundleFiles(): Promise<string[]> {
  const version = (await Deno.readTextFile(`${REPO}/dist/deno/current`).catch(() => "")).trim();
  if (!version || !(await exists(`${REPO}/dist/deno/${version}/main.js`))) return [];
  const files = ["dist/deno/current"];
  for await (const e of Deno.readDir(`${REPO}/dist/deno/${version}`)) {
    if (e.isFile) files.push(`dist/deno/${version}/${e.name}`);
  }
  return files;
}

/** A scratch dir writable by everyone (sticky, like /tmp), the default cwd of `runTsbuild`. */
export async function workDir(): Promise<string> {
  const dir = "/tmp/tsbuild-e2e-work";
  await Deno.mkdir(dir, { recursive: true });
  await Deno.chmod(dir, 0o1777);
  return dir;
}

/**
 * Runs `./tsbuild ...args` as root (from this checkout) or as the test user (from its copy, with a clean login-like
 * environment so nothing of root's leaks in: HOME is the user's own, hence its own Deno cache and tsbuild store).
 */
export async function runTsbuild(args: string[], opts: RunOptions): Promise<RunResult> {
  const cwd = opts.cwd ?? await workDir();
  let cmd: string, cmdArgs: string[], env: Record<string, string> | undefined, clearEnv = false;
  if (opts.as === "root") {
    cmd = `${REPO}/tsbuild`;
    cmdArgs = args;
    env = opts.env;
  } else {
    const u = await testUser();
    const home = (await run("sh", ["-c", `getent passwd "$1" | cut -d: -f6`, "sh", u.name])).trim() || "/tmp";
    const vars = { PATH, HOME: home, USER: u.name, LOGNAME: u.name, LANG: "C.UTF-8", ...opts.env };
    cmd = "runuser";
    cmdArgs = [
      "-u",
      u.name,
      "--",
      "env",
      "-i",
      ...Object.entries(vars).map(([k, v]) => `${k}=${v}`),
      `${u.projectDir}/tsbuild`,
      ...args,
    ];
    clearEnv = true;
    env = { PATH };
  }
  const child = new Deno.Command(cmd, {
    args: cmdArgs,
    cwd,
    env,
    clearEnv,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin);
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stdoutBytes: out.stdout, stderr: dec.decode(out.stderr) };
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

async function runStatus(cmd: string, args: string[]): Promise<boolean> {
  return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).success;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}
