/**
 * `tsbuild doctor`: what this host allows for rootless building, found by trying (unshare, overlay in a user
 * namespace) rather than guessing, with a fix for every problem.
 */
import { probe, type SubIdRange, subIdRange, sysctl, userName, which } from "./host_probe.ts";
import { stdoutOf } from "./process.ts";

/** A problem found on the host and the command or setting that fixes it. */
export interface HostProblem {
  what: string;
  fix: string;
}

/** Everything `tsbuild doctor` reports. */
export interface HostReport {
  uid: number;
  user: string;
  /** Real root in the initial user namespace: no user namespace is needed. */
  realRoot: boolean;
  /** Already inside tsbuild's namespace (TSBUILD_IN_NAMESPACE=1); the probes then describe the inner view. */
  insideNamespace: boolean;
  subuid?: SubIdRange;
  subgid?: SubIdRange;
  /** Kernel knobs: Debian's `kernel.unprivileged_userns_clone`, `user.max_user_namespaces`, Ubuntu's AppArmor one. */
  sysctls: Record<string, string | undefined>;
  /** The sysctls permit unprivileged user namespaces. */
  usernsAllowed: boolean;
  /** Creating the namespaces tsbuild needs was tried and worked. */
  unshareWorks: boolean;
  unshareError?: string;
  /** `Seccomp:` of /proc/self/status: 0 none, 1 strict, 2 filter. */
  seccompMode?: number;
  /** The sysctls allow user namespaces but creating one fails: a seccomp filter or container runtime forbids it. */
  seccompBlocksUnshare: boolean;
  newuidmap?: string;
  newgidmap?: string;
  unshare?: string;
  runc?: { path: string; version: string };
  /** Kernel overlayfs mounts inside the namespace tsbuild will use (with `userxattr` when rootless). */
  overlayUsable: boolean;
  fuseOverlayfs?: string;
  /** The uid mapping tsbuild will use, as uid_map lines. */
  mapping: string;
  snapshotter: "overlay" | "fuse-overlayfs" | "native";
  problems: HostProblem[];
}

function inInitialUserNamespaceText(uidMap: string): boolean {
  const f = uidMap.trim().split(/\s+/);
  return f.length === 3 && f[0] === "0" && f[1] === "0" && f[2] === "4294967295";
}

/** The unshare arguments tsbuild uses for this user (shared with enterNamespace so the probe tests the real thing). */
export function unshareArgs(realRoot: boolean, hasRanges: boolean): string[] {
  // No pid namespace: runc needs a /proc matching its own pid namespace, and the store's ownership records need
  // host pids. What a SIGKILLed build leaves running is stopped by the next build (RuncExecutor.cleanupStale).
  // --kill-child: when unshare itself is killed, the build goes with it.
  if (realRoot) return ["--mount", "--propagation", "private", "--fork", "--kill-child"];
  return ["--user", "--map-root-user", ...(hasRanges ? ["--map-auto"] : []), "--mount", "--fork", "--kill-child"];
}

async function overlayProbe(realRoot: boolean, hasRanges: boolean): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-doctor-" });
  try {
    for (const d of ["l", "u", "w", "m"]) await Deno.mkdir(`${dir}/${d}`);
    await Deno.writeTextFile(`${dir}/l/f`, "x");
    const opts = "lowerdir=l,upperdir=u,workdir=w" + (realRoot ? "" : ",userxattr");
    const r = await probe("unshare", [
      ...unshareArgs(realRoot, hasRanges),
      "sh",
      "-c",
      `mount -t overlay overlay -o ${opts} m && test -f m/f`,
    ], dir);
    return r.ok;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Probes the host. Run it outside the namespace (as `tsbuild doctor` does) for the user's real view. */
export async function inspectHost(): Promise<HostReport> {
  const uid = Deno.uid() ?? 0;
  const user = await userName(uid);
  const uidMap = await Deno.readTextFile("/proc/self/uid_map").catch(() => "0 0 4294967295");
  const realRoot = uid === 0 && inInitialUserNamespaceText(uidMap);
  const subuid = await subIdRange("/etc/subuid", user, uid);
  const subgid = await subIdRange("/etc/subgid", user, uid);
  const hasRanges = subuid !== undefined && subgid !== undefined;
  const sysctls = {
    "kernel.unprivileged_userns_clone": await sysctl("kernel.unprivileged_userns_clone"),
    "user.max_user_namespaces": await sysctl("user.max_user_namespaces"),
    "kernel.apparmor_restrict_unprivileged_userns": await sysctl("kernel.apparmor_restrict_unprivileged_userns"),
  };
  const usernsAllowed = sysctls["kernel.unprivileged_userns_clone"] !== "0" &&
    sysctls["user.max_user_namespaces"] !== "0";
  const [newuidmap, newgidmap, unshare, runcPath, fuseOverlayfs] = await Promise.all(
    ["newuidmap", "newgidmap", "unshare", "runc", "fuse-overlayfs"].map(which),
  );
  const trial = unshare
    ? await probe("unshare", [...unshareArgs(realRoot, hasRanges), "true"])
    : { ok: false, stderr: "unshare not found" };
  const seccompMatch = (await Deno.readTextFile("/proc/self/status")).match(/^Seccomp:\s*(\d+)/m);
  const seccompMode = seccompMatch ? Number(seccompMatch[1]) : undefined;
  // If the kernel allows user namespaces yet even a bare one fails, something filters the syscall.
  const bare = !realRoot && unshare && !trial.ok && usernsAllowed
    ? await probe("unshare", ["--user", "true"])
    : { ok: true, stderr: "" };
  const seccompBlocksUnshare = !realRoot && usernsAllowed && !bare.ok &&
    /operation not permitted/i.test(bare.stderr) && sysctls["kernel.apparmor_restrict_unprivileged_userns"] !== "1";
  let runc: HostReport["runc"];
  if (runcPath) {
    runc = { path: runcPath, version: (await stdoutOf(runcPath, ["--version"])).split("\n")[0].trim() };
  }
  const overlayUsable = trial.ok && await overlayProbe(realRoot, hasRanges);
  const mapping = realRoot
    ? "none: real root, no user namespace"
    : hasRanges
    ? `0 ${uid} 1; 1 ${subuid!.start} ${subuid!.count - 1}`
    : `0 ${uid} 1 (single id: no /etc/subuid range)`;
  const snapshotter = overlayUsable ? "overlay" : fuseOverlayfs ? "fuse-overlayfs" : "native";
  const report: HostReport = {
    uid,
    user,
    realRoot,
    insideNamespace: Deno.env.get("TSBUILD_IN_NAMESPACE") === "1",
    subuid,
    subgid,
    sysctls,
    usernsAllowed,
    unshareWorks: trial.ok,
    unshareError: trial.ok ? undefined : trial.stderr,
    seccompMode,
    seccompBlocksUnshare,
    newuidmap,
    newgidmap,
    unshare,
    runc,
    overlayUsable,
    fuseOverlayfs,
    mapping,
    snapshotter,
    problems: [],
  };
  report.problems = diagnose(report);
  return report;
}

/** Turns a report's facts into problems with fixes, most fundamental first. */
export function diagnose(r: HostReport): HostProblem[] {
  const problems: HostProblem[] = [];
  const u = r.user;
  if (!r.unshare) {
    problems.push({ what: "unshare (util-linux) is not installed", fix: "apt-get install util-linux" });
  }
  if (!r.realRoot) {
    if (r.sysctls["kernel.unprivileged_userns_clone"] === "0") {
      problems.push({
        what: "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)",
        fix: "sysctl -w kernel.unprivileged_userns_clone=1 (persist it in /etc/sysctl.d/)",
      });
    }
    if (r.sysctls["user.max_user_namespaces"] === "0") {
      problems.push({
        what: "user namespaces are disabled (user.max_user_namespaces=0)",
        fix: "sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)",
      });
    }
    if (r.sysctls["kernel.apparmor_restrict_unprivileged_userns"] === "1" && !r.unshareWorks) {
      problems.push({
        what: "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1)",
        fix: "add an AppArmor profile allowing `userns` for tsbuild's deno/node, or " +
          "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
      });
    }
    if (r.seccompBlocksUnshare) {
      problems.push({
        what: "creating a user namespace is forbidden although the kernel allows it: a seccomp filter or the " +
          "container tsbuild runs in blocks unshare(2)",
        fix: "run tsbuild on the host, or start its container with --security-opt seccomp=unconfined " +
          "(and --security-opt apparmor=unconfined)",
      });
    }
    if (!r.newuidmap || !r.newgidmap) {
      problems.push({
        what: "newuidmap/newgidmap are missing, so only a single uid can be mapped",
        fix: "apt-get install uidmap",
      });
    }
    if (!r.subuid || !r.subgid) {
      problems.push({
        what: `user ${u} has no /etc/subuid and /etc/subgid range: only uid/gid 0 exist inside, so images with ` +
          "files owned by other users fail to unpack",
        fix: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${u}`,
      });
    }
  }
  if (!r.unshareWorks && problems.length === 0) {
    problems.push({
      what: `entering the namespace failed: ${r.unshareError ?? "unknown error"}`,
      fix: "check `unshare " + unshareArgs(r.realRoot, !!r.subuid && !!r.subgid).join(" ") + " true` by hand",
    });
  }
  if (!r.runc) problems.push({ what: "runc is not installed, so RUN steps cannot run", fix: "apt-get install runc" });
  if (r.unshareWorks && !r.overlayUsable) {
    problems.push({
      what: "kernel overlayfs cannot be mounted in the namespace; builds fall back to " +
        (r.fuseOverlayfs ? "fuse-overlayfs" : "full copies per layer (slow, uses more disk)"),
      fix: r.fuseOverlayfs
        ? "none needed (a kernel >= 5.11 mounts overlay rootless)"
        : "apt-get install fuse-overlayfs",
    });
  }
  return problems;
}
