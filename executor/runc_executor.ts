/**
 * Runs RUN steps with runc: one bundle per run (spec + hosts/resolv.conf + secret files, all outside the rootfs),
 * `runc run` with pipes this process created (runc fchowns its stdio, which fails rootless on fds owned by another
 * user), each runc the init of a pid namespace of its own (so nothing of a RUN outlives it, even after a SIGKILL),
 * and `runc delete --force` plus mount-stub cleanup on every exit path.
 */
import type { RuntimeMount } from "../oci/mod.ts";
import { RunAbortedError, RuncError } from "./errors.ts";
import { hostsFile, resolvConf } from "./etc_files.ts";
import { detectSpecHost } from "./host_facts.ts";
import { killOnInterrupt } from "./interrupts.ts";
import { findMissingStubs, type MountStubs, removeStubs } from "./mount_stubs.ts";
import { resolveInRootfs } from "./rootfs_path.ts";
import { makeSecretDir, type SecretDir } from "./secret_dir.ts";
import { ownerStubs, staleOwner, writeOwner } from "./run_owner.ts";
import { buildSpec, type SpecHost, specJson } from "./spec.ts";
import type { RunMount, RunRequest, RunResult } from "./types.ts";
import { type ResolvedUser, resolveUser } from "./user.ts";

const SIGNALS = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
];

/** Runs RUN steps in runc containers. `stateDir` is owned by the executor: runc state and per-run bundles. */
export class RuncExecutor {
  readonly #runcRoot: string;
  readonly #bundles: string;
  readonly #runc: string;
  #host?: Promise<SpecHost>;

  constructor(opts: { stateDir: string; runcPath?: string }) {
    this.#runcRoot = `${opts.stateDir}/runc`;
    this.#bundles = `${opts.stateDir}/bundles`;
    this.#runc = opts.runcPath ?? "runc";
  }

  /** Runs `req` to completion; rejects with `RunAbortedError` on abort, `RuncError` when runc itself fails. */
  async run(req: RunRequest): Promise<RunResult> {
    if (req.signal?.aborted) throw new RunAbortedError(req.args);
    const id = `tsbuild-${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const bundle = `${this.#bundles}/${id}`;
    await Deno.mkdir(this.#runcRoot, { recursive: true, mode: 0o700 });
    await Deno.mkdir(bundle, { recursive: true, mode: 0o700 });
    let stubs: MountStubs = { paths: [], parentTimes: new Map() };
    let secrets: SecretDir | undefined;
    try {
      await writeOwner(bundle, req.rootfs, stubs);
      this.#host ??= detectSpecHost();
      const user = await resolveUser(req.rootfs, req.user);
      const cwd = req.cwd.startsWith("/") ? req.cwd : `/${req.cwd}`;
      await ensureCwd(req.rootfs, cwd, user);
      // BuildKit's name for every build container: scripts that print or resolve the hostname see what they would there.
      const hostname = req.hostname ?? "buildkitsandbox";
      await Deno.writeTextFile(`${bundle}/hosts`, hostsFile(hostname, req.extraHosts));
      await Deno.writeTextFile(`${bundle}/resolv.conf`, await resolvConf());
      const spec = buildSpec({
        rootfs: req.rootfs,
        args: req.args,
        env: req.env,
        cwd,
        user,
        hostname,
        network: req.network,
        hostsFile: `${bundle}/hosts`,
        resolvConfFile: `${bundle}/resolv.conf`,
        extraMounts: await runtimeMounts(
          req.mounts,
          async () => (secrets ??= await makeSecretDir(bundle)).path,
        ),
        host: await this.#host,
        privileged: req.security === "insecure",
        ulimits: req.ulimits,
        shmSize: req.shmSize,
      });
      stubs = await findMissingStubs(req.rootfs, spec.mounts.map((m) => m.destination));
      await writeOwner(bundle, req.rootfs, stubs);
      await Deno.writeTextFile(`${bundle}/config.json`, specJson(spec));
      return await this.#runContainer(id, bundle, req);
    } finally {
      await this.#delete(id);
      await removeStubs(req.rootfs, stubs);
      await secrets?.dispose();
      await Deno.remove(bundle, { recursive: true }).catch(() => {});
    }
  }

  /**
   * Removes what runs of dead tsbuild processes (SIGKILL, power loss) left: their containers, bundles (which may
   * hold secrets) and the mount stubs in rootfses that still exist. Returns the container ids cleaned up.
   */
  async cleanupStale(): Promise<string[]> {
    const cleaned: string[] = [];
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(this.#bundles));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return cleaned;
      throw e;
    }
    for (const e of entries) {
      const bundle = `${this.#bundles}/${e.name}`;
      const owner = await staleOwner(bundle);
      if (!owner) continue;
      // The dead tsbuild's unshare (and under it runc and the RUN) may outlive it when only tsbuild was killed.
      await killRunProcesses(bundle);
      await this.#delete(e.name);
      try {
        await removeStubs(owner.rootfs, ownerStubs(owner));
      } catch {
        // the rootfs (an overlay mount of the dead process) may be gone; nothing left to clean there
      }
      // Its secrets tmpfs, if the dead process' mount namespace outlived it (real root without a namespace).
      await new Deno.Command("umount", { args: [`${bundle}/files`], stdout: "null", stderr: "null" }).output()
        .catch(() => {});
      await Deno.remove(bundle, { recursive: true }).catch(() => {});
      cleaned.push(e.name);
    }
    return cleaned;
  }

  async #runContainer(id: string, bundle: string, req: RunRequest): Promise<RunResult> {
    const log = `${bundle}/runc.log`;
    // runc runs as init of a pid namespace of its own (with a /proc to match, which runc needs): when it dies,
    // the kernel kills every process of the RUN, whose shell runc has put in a session of its own that no ^C or
    // process-group kill reaches; and --kill-child SIGKILLs runc when unshare dies, so even a SIGKILL of
    // tsbuild's process group leaves no RUN process holding the store's mounts. It also makes "kill the run"
    // one signal to unshare, with no race against runc still creating the container.
    const child = new Deno.Command("unshare", {
      args: [
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        this.#runc,
        "--root",
        this.#runcRoot,
        "--log",
        log,
        "--log-format",
        "json",
        "run",
        "--bundle",
        bundle,
        id,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await child.stdin.close();
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    const unregister = killOnInterrupt(() => {
      if (!aborted) onAbort();
    });
    // An abort (^C) that came while the bundle was being prepared fired no listener: the container just started
    // would otherwise run to its end, however long, and tsbuild with it.
    if (req.signal?.aborted && !aborted) onAbort();
    try {
      const [status] = await Promise.all([
        child.status,
        pump(child.stdout, (c) => req.stdout(c)),
        pump(child.stderr, (c) => req.stderr(c)),
      ]);
      if (aborted) throw new RunAbortedError(req.args);
      const failure = await runcFailure(log);
      if (failure) throw new RuncError(`runc could not run ${JSON.stringify(req.args)}: ${failure}`);
      // runc reports a signal death as 128 + signal number, as a shell does (and unshare passes it on).
      const sig = status.code > 128 ? SIGNALS[status.code - 128] : undefined;
      return sig ? { exitCode: status.code, signal: sig } : { exitCode: status.code };
    } finally {
      unregister();
      req.signal?.removeEventListener("abort", onAbort);
    }
  }

  async #delete(id: string): Promise<void> {
    await new Deno.Command(this.#runc, {
      args: ["--root", this.#runcRoot, "delete", "--force", id],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => {});
  }
}

/**
 * SIGKILLs the processes of the run whose bundle is `bundle` (its unshare and runc name the bundle on their command
 * lines; the pid namespace takes the RUN's processes with them) and waits until they are gone.
 */
async function killRunProcesses(bundle: string): Promise<void> {
  const needle = `\0--bundle\0${bundle}\0`;
  const find = async () => {
    const pids: number[] = [];
    for await (const e of Deno.readDir("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const cmdline = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
      if (cmdline.includes(needle)) pids.push(Number(e.name));
    }
    return pids;
  };
  for (let i = 0; i < 200; i++) {
    const pids = await find();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // exited meanwhile, or not ours to kill
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function pump(stream: ReadableStream<Uint8Array>, sink: (c: Uint8Array) => void): Promise<void> {
  for await (const chunk of stream) sink(chunk);
}

/** The first error runc logged, if any: distinguishes "runc failed" from "the command exited non-zero". */
async function runcFailure(log: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(log);
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === "error" || entry.level === "fatal") return entry.msg ?? line;
    } catch {
      // runc's child may write non-JSON lines; they are not errors of the run itself.
    }
  }
  return undefined;
}

/** Creates a missing working directory owned by the user (as BuildKit does); it stays in the layer. */
async function ensureCwd(rootfs: string, cwd: string, user: ResolvedUser): Promise<void> {
  const parts = cwd.split("/").filter((c) => c !== "" && c !== ".");
  for (let i = 1; i <= parts.length; i++) {
    const host = await resolveInRootfs(rootfs, "/" + parts.slice(0, i).join("/"));
    try {
      await Deno.lstat(host);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      await Deno.mkdir(host, { mode: 0o755 });
      await Deno.chown(host, user.uid, user.gid);
    }
  }
}

/** Turns the RUN's mounts into runtime mounts; file mounts are written (to memory when possible) first. */
async function runtimeMounts(mounts: RunMount[], secretDir: () => Promise<string>): Promise<RuntimeMount[]> {
  const out: RuntimeMount[] = [];
  let n = 0;
  for (const m of mounts) {
    if (m.type === "bind") {
      out.push({ destination: m.target, type: "bind", source: m.source, options: ["rbind", m.readonly ? "ro" : "rw"] });
    } else if (m.type === "tmpfs") {
      const options = ["nosuid", "nodev", "mode=1777"];
      if (m.size !== undefined) options.push(`size=${m.size}`);
      out.push({ destination: m.target, type: "tmpfs", source: "tmpfs", options });
    } else {
      const path = `${await secretDir()}/${n++}`;
      await Deno.writeFile(path, m.data, { mode: 0o600 });
      await Deno.chown(path, m.uid, m.gid);
      await Deno.chmod(path, m.mode);
      out.push({ destination: m.target, type: "bind", source: path, options: ["rbind", "ro"] });
    }
  }
  return out;
}
