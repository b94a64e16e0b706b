/**
 * The OCI runtime spec of a RUN: what Docker/BuildKit give a build container, minus what a rootless runc nested in a
 * user namespace cannot have (no user namespace of its own, no cgroups, /sys bound from the host).
 */
import type { RuntimeMount, RuntimeNamespace, RuntimeSpec } from "../oci/mod.ts";
import type { ResolvedUser } from "./user.ts";

/** Docker's default capability set (moby oci/caps/defaults.go), which BuildKit also gives RUN. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

/** BuildKit's PATH for a RUN whose image sets none. */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Docker's masked and read-only /proc paths: they leak host information or allow host changes. */
const MASKED_PATHS = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** Facts about the host the spec depends on. */
export interface SpecHost {
  /** Hard RLIMIT_NOFILE the container may have (raising past the current hard limit needs init-namespace root). */
  nofile: number;
  /** Whether gid 5 (tty) is mapped, which devpts' `gid=5` option needs. */
  ttyGidMapped: boolean;
  /** Whether mqueue can be mounted here. */
  mqueue: boolean;
}

/** Inputs of {@link buildSpec}, all already resolved. */
export interface SpecInput {
  rootfs: string;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  network: "default" | "none" | "host";
  /** Bundle-owned files bind-mounted over /etc/hosts and /etc/resolv.conf. */
  hostsFile: string;
  resolvConfFile: string;
  /** Mounts requested by the RUN, in order, already as runtime mounts. */
  extraMounts: RuntimeMount[];
  host: SpecHost;
}

/** Adds BuildKit's default PATH when `env` has none. */
export function withDefaultPath(env: string[]): string[] {
  return env.some((e) => e.startsWith("PATH=")) ? env : [...env, DEFAULT_PATH];
}

/** Builds the runtime spec of one RUN. */
export function buildSpec(input: SpecInput): RuntimeSpec {
  const namespaces: RuntimeNamespace[] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  if (input.network === "none") namespaces.push({ type: "network" });
  const caps = [...DEFAULT_CAPABILITIES];
  const devpts = ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"];
  if (input.host.ttyGidMapped) devpts.push("gid=5");
  const mounts: RuntimeMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: devpts },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    ...(input.host.mqueue
      ? [{ destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] }]
      : []),
    // sysfs cannot be mounted fresh without an own network namespace: bind the host's, read-only.
    { destination: "/sys", type: "none", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "ro"] },
    { destination: "/etc/hosts", type: "bind", source: input.hostsFile, options: ["rbind", "ro"] },
    { destination: "/etc/resolv.conf", type: "bind", source: input.resolvConfFile, options: ["rbind", "ro"] },
    ...input.extraMounts,
  ];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: {
        uid: input.user.uid,
        gid: input.user.gid,
        umask: 0o022,
        ...(input.user.additionalGids.length > 0 ? { additionalGids: input.user.additionalGids } : {}),
      },
      args: input.args,
      env: withDefaultPath(input.env),
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: "RLIMIT_NOFILE", hard: input.host.nofile, soft: input.host.nofile }],
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts,
    linux: { namespaces, maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS },
  };
}
