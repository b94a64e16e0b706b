/**
 * Re-executing tsbuild inside its user + mount namespace. A threaded process (Deno, Node) cannot unshare its own
 * user namespace, so the program runs itself again under util-linux `unshare`, which also writes the id maps
 * through newuidmap/newgidmap.
 */
import { NamespaceError } from "./errors.ts";
import { subIdRange, userName } from "./host_probe.ts";
import { killPid, onInterrupt, probe, selfCommand, spawnInheriting } from "./process.ts";
import { diagnose, inspectHost, unshareArgs } from "./host_report.ts";

const MARK = "TSBUILD_IN_NAMESPACE";

/** Whether this process is the re-executed child (inside the namespace). */
export function inNamespace(): boolean {
  return Deno.env.get(MARK) === "1";
}

let warnedSingleId = false;

/** Pids whose parent is `pid` (util-linux unshare does not pass SIGTERM on to the process it forked). */
async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${e.name}/stat`);
      // Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch {
      // the process exited while scanning
    }
  }
  return out;
}

/**
 * Runs `script argv...` again inside the namespaces and resolves with its exit code (128 + signal number when a
 * signal ended it); the caller then exits with that code. SIGINT and SIGTERM are passed on to the child.
 * Throws {@link NamespaceError} explaining the host problem and its fix when the namespace cannot be created.
 */
export async function enterNamespace(opts: { argv: string[]; script: string }): Promise<number> {
  if (inNamespace()) throw new NamespaceError(`already inside tsbuild's namespace (${MARK}=1): nothing to enter`);
  const uid = Deno.uid() ?? 0;
  const uidMap = (await Deno.readTextFile("/proc/self/uid_map")).trim().split(/\s+/);
  const realRoot = uid === 0 && uidMap.join(" ") === "0 0 4294967295";
  const user = await userName(uid);
  const hasRanges = !!(await subIdRange("/etc/subuid", user, uid)) && !!(await subIdRange("/etc/subgid", user, uid));
  const args = unshareArgs(realRoot, hasRanges);

  const trial = await probe("unshare", [...args, "true"]);
  if (!trial.ok) {
    const problems = diagnose(await inspectHost());
    const details = problems.map((p) => `  - ${p.what}\n    fix: ${p.fix}`).join("\n");
    throw new NamespaceError(
      `cannot create tsbuild's ${realRoot ? "mount" : "user"} namespace: ${trial.stderr || "unshare failed"}\n` +
        (details || "  run `tsbuild doctor` for details"),
    );
  }
  if (!realRoot && !hasRanges && !warnedSingleId) {
    warnedSingleId = true;
    console.error(
      `warning: user ${user} has no /etc/subuid and /etc/subgid range; only uid/gid 0 is mapped, so images with ` +
        `files owned by other users will fail. Fix: usermod --add-subuids 100000-165535 --add-subgids ` +
        `100000-165535 ${user}`,
    );
  }

  const child = await spawnInheriting("unshare", [...args, ...selfCommand(opts.script, opts.argv)], { [MARK]: "1" });
  const stop = onInterrupt(async (sig) => {
    const kids = await childrenOf(child.pid);
    if (kids.length === 0) child.kill(sig);
    for (const pid of kids) killPid(pid, sig);
  });
  try {
    return await child.status;
  } finally {
    stop();
  }
}
