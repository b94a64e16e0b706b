/**
 * The OCI runtime spec of a RUN: what Docker/BuildKit give a build container, minus what a rootless runc nested in a
 * user namespace cannot have (no user namespace of its own, no cgroups, /sys bound from the host).
 */
import type { RuntimeMount, RuntimeNamespace, RuntimeSpec } from "../oci/mod.ts";
import type { ResolvedUser } from "./user.ts";
import type { Ulimit } from "./types.ts";

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

/**
 * Every capability this kernel generation knows (to CAP_CHECKPOINT_RESTORE), for RUN --security=insecure: BuildKit
 * gives such a step all of them. Rootless, they are still confined to the build's user namespace.
 */
const ALL_CAPABILITIES: readonly string[] = [
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
  "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
];

/** Docker's /dev/shm size when --shm-size is not given. */
const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

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
  /**
   * The capability bounding set (bit n: capability n) of the process starting containers: what RUN
   * --security=insecure can have (a containerised root often lacks some, e.g. CAP_SYS_RESOURCE). Absent: all.
   */
  bounding?: bigint;
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
  /** RUN --security=insecure: all capabilities, nothing in /proc masked or read-only. */
  privileged?: boolean;
  /** Replace the default rlimits of the same name (RLIMIT_NOFILE is the host's hard limit otherwise). */
  ulimits?: Ulimit[];
  /** Bytes of /dev/shm. */
  shmSize?: number;
}

/** The runtime's rlimits: the open-files default raised to what the host allows, then the --ulimit ones. */
function rlimits(input: SpecInput): { type: string; hard: number; soft: number }[] {
  const out = new Map([["RLIMIT_NOFILE", { type: "RLIMIT_NOFILE", hard: input.host.nofile, soft: input.host.nofile }]]);
  for (const u of input.ulimits ?? []) {
    const type = `RLIMIT_${u.name.toUpperCase()}`;
    out.set(type, { type, hard: u.hard, soft: u.soft });
  }
  return [...out.values()];
}

/**
 * The spec as runc reads it. An unlimited rlimit (-1) is RLIM_INFINITY, a uint64 with every bit set that a JS number
 * cannot hold exactly, so it is written as text.
 */
export function specJson(spec: RuntimeSpec): string {
  const marker = "\u0000RLIM_INFINITY";
  return JSON.stringify(spec, (k, v) => ((k === "hard" || k === "soft") && v === -1 ? marker : v))
    .replaceAll(JSON.stringify(marker), "18446744073709551615");
}

/** Adds BuildKit's default PATH when `env` has none. */
export function withDefaultPath(env: string[]): string[] {
  return env.some((e) => e.startsWith("PATH=")) ? env : [...env, DEFAULT_PATH];
}

/** Builds the runtime spec of one RUN. */
export function buildSpec(input: SpecInput): RuntimeSpec {
  const namespaces: RuntimeNamespace[] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  if (input.network === "none") namespaces.push({ type: "network" });
  const caps = input.privileged
    // ALL_CAPABILITIES is in capability number order.
    ? ALL_CAPABILITIES.filter((_, n) => input.host.bounding === undefined || ((input.host.bounding >> BigInt(n)) & 1n) === 1n)
    : [...DEFAULT_CAPABILITIES];
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
      options: ["nosuid", "noexec", "nodev", "mode=1777", `size=${Math.ceil((input.shmSize ?? DEFAULT_SHM_SIZE) / 1024)}k`],
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
      rlimits: rlimits(input),
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: false },
    hostname: input.hostname,
    mounts,
    linux: input.privileged
      ? { namespaces, maskedPaths: [], readonlyPaths: [] }
      : { namespaces, maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS },
  };
}
