// The `Deno` global for Node: @deno/shim-deno plus what tsbuild uses that the shim lacks or gets wrong.
// - Deno.Command (the shim has only the removed Deno.run), on node:child_process.
// - Deno.makeTempDir/makeTempFile honouring `dir` and `suffix` (the shim ignores them).
// - Deno.execPath() returning node itself (the shim looks for a `deno` binary), so re-executing works.
import { Deno as shim } from "@deno/shim-deno";
import { spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  constants as fsConstants,
  createReadStream,
  createWriteStream,
  fstatSync,
  fsync as fsFsync,
  fsyncSync as fsFsyncSync,
  mkdtempSync,
  read as fsRead,
  readSync as fsReadSync,
  write as fsWrite,
  writeSync as fsWriteSync,
} from "node:fs";
import { mkdtemp, open } from "node:fs/promises";
import { constants as osConstants, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Readable, Writable } from "node:stream";

const Deno = Object.assign(Object.create(null), shim);

/** Deno's exit code for a signalled child is 128 + the signal number. */
function exitStatus(code, signal) {
  if (signal) return { success: false, code: 128 + (osConstants.signals[signal] ?? 0), signal };
  return { success: code === 0, code: code ?? 1, signal: null };
}

// Deno throws NotFound synchronously from spawn(); node only emits 'error' later, so resolve the program first.
function resolveProgram(cmd, env) {
  const name = cmd instanceof URL ? cmd.pathname : String(cmd);
  const candidates = name.includes("/")
    ? [name]
    : (env?.PATH ?? process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      return name;
    } catch { /* next */ }
  }
  throw new shim.errors.NotFound(`Failed to spawn '${name}': No such file or directory (os error 2)`);
}

function nodeOptions(opts, defaults) {
  const env = opts.clearEnv ? { ...(opts.env ?? {}) } : { ...process.env, ...(opts.env ?? {}) };
  const io = (v, d) => ({ piped: "pipe", inherit: "inherit", null: "ignore" })[v ?? d];
  return {
    cwd: opts.cwd instanceof URL ? opts.cwd.pathname : opts.cwd,
    env,
    uid: opts.uid,
    gid: opts.gid,
    signal: opts.signal,
    windowsHide: true,
    stdio: [io(opts.stdin, defaults[0]), io(opts.stdout, defaults[1]), io(opts.stderr, defaults[2])],
  };
}

class ChildProcess {
  #child;
  #status;
  constructor(child) {
    this.#child = child;
    this.pid = child.pid;
    this.stdin = child.stdin ? Writable.toWeb(child.stdin) : null;
    // Collected lazily by output(), or handed out as web streams.
    this.stdout = child.stdout ? Readable.toWeb(child.stdout) : null;
    this.stderr = child.stderr ? Readable.toWeb(child.stderr) : null;
    this.#status = new Promise((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(exitStatus(code, signal)));
    });
  }
  get status() {
    return this.#status;
  }
  async output() {
    const collect = async (s) => (s ? new Uint8Array(await new Response(s).arrayBuffer()) : new Uint8Array());
    const [stdout, stderr, status] = await Promise.all([collect(this.stdout), collect(this.stderr), this.#status]);
    return { ...status, stdout, stderr };
  }
  kill(signo = "SIGTERM") {
    this.#child.kill(signo);
  }
  ref() {
    this.#child.ref();
  }
  unref() {
    this.#child.unref();
  }
  async [Symbol.asyncDispose]() {
    try {
      this.kill();
    } catch { /* exited */ }
    await this.#status.catch(() => {});
  }
}

Deno.ChildProcess = ChildProcess;

Deno.Command = class Command {
  #cmd;
  #opts;
  constructor(cmd, opts = {}) {
    this.#cmd = cmd;
    this.#opts = opts;
  }
  spawn() {
    const program = resolveProgram(
      this.#cmd,
      this.#opts.clearEnv ? this.#opts.env : { ...process.env, ...this.#opts.env },
    );
    return new ChildProcess(
      spawn(program, this.#opts.args ?? [], nodeOptions(this.#opts, ["inherit", "inherit", "inherit"])),
    );
  }
  output() {
    try {
      const program = resolveProgram(
        this.#cmd,
        this.#opts.clearEnv ? this.#opts.env : { ...process.env, ...this.#opts.env },
      );
      const child = spawn(program, this.#opts.args ?? [], nodeOptions(this.#opts, ["null", "piped", "piped"]));
      return new ChildProcess(child).output();
    } catch (e) {
      return Promise.reject(e);
    }
  }
  outputSync() {
    const program = resolveProgram(
      this.#cmd,
      this.#opts.clearEnv ? this.#opts.env : { ...process.env, ...this.#opts.env },
    );
    const r = spawnSync(program, this.#opts.args ?? [], nodeOptions(this.#opts, ["null", "piped", "piped"]));
    if (r.error) throw r.error;
    const bytes = (b) => (b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array());
    return { ...exitStatus(r.status, r.signal), stdout: bytes(r.stdout), stderr: bytes(r.stderr) };
  }
};

Deno.makeTempDir = ({ dir, prefix = "", suffix = "" } = {}) =>
  mkdtemp(join(dir ?? tmpdir(), prefix)).then(async (p) => {
    if (!suffix) return p;
    const { rename } = await import("node:fs/promises");
    await rename(p, p + suffix);
    return p + suffix;
  });
Deno.makeTempDirSync = ({ dir, prefix = "" } = {}) => mkdtempSync(join(dir ?? tmpdir(), prefix));
Deno.makeTempFile = async ({ dir, prefix = "", suffix = "" } = {}) => {
  for (;;) {
    const p = join(dir ?? tmpdir(), `${prefix}${Math.random().toString(36).slice(2, 10)}${suffix}`);
    try {
      await (await open(p, "wx", 0o600)).close();
      return p;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
  }
};
Deno.execPath = () => process.execPath;

export { Deno };

// Code that reaches the global through globalThis (or a library checking `typeof Deno`) sees the same object.
globalThis.Deno ??= Deno;

// Deno has Array.fromAsync; Node gained it only in 22, and the sources use it on Deno.readDir.
if (!Array.fromAsync) {
  Array.fromAsync = async function fromAsync(items, map) {
    const out = [];
    let i = 0;
    for await (const x of items) out.push(map ? await map(x, i++) : x);
    return out;
  };
}

// Deno has `navigator` (hardwareConcurrency sizes the solver's parallelism); Node only from 21.
if (typeof globalThis.navigator === "undefined") {
  const { availableParallelism, cpus } = await import("node:os");
  globalThis.navigator = {
    hardwareConcurrency: availableParallelism?.() ?? cpus().length,
    userAgent: `Node.js/${process.versions.node}`,
    language: "en-US",
  };
}

// FsFile.lock/tryLock/unlock (flock): Node has no flock binding, so a helper `flock(1)` process holds the lock on
// the same path while its stdin stays open. Semantics match what the store relies on: other processes (and other
// opens in this one) are excluded, and the lock goes when the file is closed or this process dies (the helper
// sees EOF on its stdin).
function attachLocks(file, path) {
  let holder = null;
  const take = (exclusive, wait) =>
    new Promise((resolve, reject) => {
      const args = [
        exclusive ? "-x" : "-s",
        ...(wait ? [] : ["-n"]),
        String(path),
        "sh",
        "-c",
        "echo; exec cat >/dev/null",
      ];
      const child = spawn("flock", args, { stdio: ["pipe", "pipe", "ignore"] });
      child.once("error", reject);
      child.stdout.once("data", () => {
        holder = child;
        child.unref();
        child.stdin.unref?.();
        child.stdout.unref?.();
        resolve(true);
      });
      child.once("exit", (code) => {
        if (holder !== child) code === 1 && !wait ? resolve(false) : reject(new Error(`flock ${path} exited ${code}`));
      });
    });
  const release = () => {
    const h = holder;
    holder = null;
    if (!h) return Promise.resolve();
    return new Promise((resolve) => {
      if (h.exitCode !== null || h.signalCode !== null) return resolve();
      h.once("exit", () => resolve());
      h.stdin.end();
    });
  };
  file.lock = async (exclusive = false) => {
    if (!holder) await take(exclusive, true);
  };
  file.tryLock = async (exclusive = false) => holder ? true : await take(exclusive, false);
  file.unlock = () => release();
  const close = file.close.bind(file);
  file.close = () => {
    close();
    release();
  };
  return file;
}

// FsFile.seek/sync (the shim throws "Method not implemented"): Node has no lseek, so the file keeps its own
// position and every read/write is positional (pread/pwrite); streams start at that position.
function attachPositions(file, append) {
  const fd = file.rid;
  let pos = 0;
  const toNull = (n, p) => (n === 0 && p.length > 0 ? null : n);
  file.read = (p) =>
    new Promise((resolve, reject) =>
      fsRead(fd, p, 0, p.length, pos, (err, n) => (err ? reject(err) : (pos += n, resolve(toNull(n, p)))))
    );
  file.readSync = (p) => {
    const n = fsReadSync(fd, p, 0, p.length, pos);
    pos += n;
    return toNull(n, p);
  };
  file.write = (p) =>
    new Promise((resolve, reject) =>
      fsWrite(fd, p, 0, p.length, append ? null : pos, (err, n) => (err ? reject(err) : (pos += n, resolve(n))))
    );
  file.writeSync = (p) => {
    const n = fsWriteSync(fd, p, 0, p.length, append ? null : pos);
    pos += n;
    return n;
  };
  const whence = (offset, w) => {
    if (w === shim.SeekMode.Current) return pos + Number(offset);
    if (w === shim.SeekMode.End) return fstatSync(fd).size + Number(offset);
    return Number(offset);
  };
  file.seek = (offset, w) => Promise.resolve(pos = whence(offset, w));
  file.seekSync = (offset, w) => (pos = whence(offset, w));
  file.sync = () => new Promise((resolve, reject) => fsFsync(fd, (err) => (err ? reject(err) : resolve())));
  file.syncSync = () => fsFsyncSync(fd);
  let readable, writable;
  Object.defineProperty(file, "readable", {
    get: () => (readable ??= Readable.toWeb(createReadStream(null, { fd, autoClose: false, start: pos }))),
  });
  Object.defineProperty(file, "writable", {
    get: () => (writable ??= Writable.toWeb(
      createWriteStream(null, { fd, autoClose: false, ...(append ? {} : { start: pos }) }),
    )),
  });
  return file;
}

const patchFile = (file, path, opts) =>
  attachPositions(attachLocks(file, path instanceof URL ? path.pathname : path), !!opts?.append);
Deno.open = async (path, opts) => patchFile(await shim.open(path, opts), path, opts);
Deno.openSync = (path, opts) => patchFile(shim.openSync(path, opts), path, opts);
Deno.create = (path) => Deno.open(path, { read: true, write: true, create: true, truncate: true });
Deno.createSync = (path) => Deno.openSync(path, { read: true, write: true, create: true, truncate: true });
