/**
 * The Deno/Node boundary for spawning: @deno/shim-deno has no `Deno.Command`, so under Node the few process
 * operations the namespace entry needs go through node:child_process instead.
 */

// deno-lint-ignore no-explicit-any
const nodeProcess: any = (globalThis as any).process;

/** Whether this program runs under Node (with the Deno shim) rather than Deno. */
export function underNode(): boolean {
  return !!nodeProcess?.versions?.node && !nodeProcess?.versions?.deno;
}

// deno-lint-ignore no-explicit-any
async function childProcess(): Promise<any> {
  const name = "node:child_process"; // a variable keeps Deno's type check from needing @types/node
  return await import(name);
}

/** Runs a probe command: success and stderr, never throwing on a missing binary. */
export async function probe(cmd: string, args: string[], cwd?: string): Promise<{ ok: boolean; stderr: string }> {
  if (underNode()) {
    const r = (await childProcess()).spawnSync(cmd, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    return { ok: r.status === 0, stderr: r.error ? String(r.error.message) : String(r.stderr ?? "").trim() };
  }
  try {
    const out = await new Deno.Command(cmd, { args, cwd, stdin: "null", stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (e) {
    return { ok: false, stderr: e instanceof Error ? e.message : String(e) };
  }
}

/** A child sharing this process' stdio. */
export interface InheritingChild {
  pid: number;
  /** Exit code, or 128 + signal number when a signal ended it. */
  status: Promise<number>;
  kill(sig: "SIGINT" | "SIGTERM"): void;
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
};

/** Spawns `cmd args` with inherited stdio and `extraEnv` added to this process' environment. */
export async function spawnInheriting(
  cmd: string,
  args: string[],
  extraEnv: Record<string, string>,
): Promise<InheritingChild> {
  if (underNode()) {
    const child = (await childProcess()).spawn(cmd, args, {
      stdio: "inherit",
      env: { ...nodeProcess.env, ...extraEnv },
    });
    const status = new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on(
        "exit",
        (code: number | null, signal: string | null) => resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0)),
      );
    });
    return { pid: child.pid, status, kill: (sig) => child.kill(sig) };
  }
  const child = new Deno.Command(cmd, {
    args,
    env: extraEnv,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = child.status.then((s) => s.signal ? 128 + (SIGNAL_NUMBERS[s.signal] ?? 0) : s.code);
  return { pid: child.pid, status, kill: (sig) => child.kill(sig) };
}

/** Sends `sig` to `pid`, ignoring a process that is already gone. */
export function killPid(pid: number, sig: "SIGINT" | "SIGTERM"): void {
  try {
    if (underNode()) nodeProcess.kill(pid, sig);
    else Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Calls `handler` on SIGINT and SIGTERM until the returned function is called. */
export function onInterrupt(handler: (sig: "SIGINT" | "SIGTERM") => void): () => void {
  const sigs = ["SIGINT", "SIGTERM"] as const;
  const hs = sigs.map((s) => [s, () => handler(s)] as const);
  if (underNode()) {
    for (const [s, h] of hs) nodeProcess.on(s, h);
    return () => {
      for (const [s, h] of hs) nodeProcess.off(s, h);
    };
  }
  for (const [s, h] of hs) Deno.addSignalListener(s, h);
  return () => {
    for (const [s, h] of hs) Deno.removeSignalListener(s, h);
  };
}

/** The command line that runs `script argv...` again with this runtime and its flags. */
export function selfCommand(script: string, argv: string[]): string[] {
  if (underNode()) return [nodeProcess.execPath, ...(nodeProcess.execArgv ?? []), script, ...argv];
  return [Deno.execPath(), "run", "-A", script, ...argv];
}

/** Runs `cmd args` and returns its stdout (empty when it cannot run). */
export async function stdoutOf(cmd: string, args: string[]): Promise<string> {
  if (underNode()) {
    const r = (await childProcess()).spawnSync(cmd, args, { stdio: ["ignore", "pipe", "ignore"] });
    return r.status === 0 ? String(r.stdout) : "";
  }
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : "";
  } catch {
    return "";
  }
}
