import type { ExtraHost } from "./etc_files.ts";
/** What a RUN asks of an executor, independent of runc. */

/** A mount a RUN sees besides its rootfs; every `source` is a host path the caller has already resolved. */
export type RunMount =
  | { type: "bind"; source: string; target: string; readonly: boolean }
  | { type: "tmpfs"; target: string; size?: number }
  /** Secrets and SSH sockets' files: written outside the rootfs and bind-mounted, so they never reach a layer. */
  | { type: "file"; target: string; data: Uint8Array; mode: number; uid: number; gid: number };

/** A resource limit of the RUN's processes (`--ulimit nofile=1024:2048`): `name` as ulimit names it, -1 unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** One RUN. */
export interface RunRequest {
  /** A mounted, writable rootfs dir (overlay merged dir). */
  rootfs: string;
  args: string[];
  /** `KEY=value` entries; `PATH` gets BuildKit's default when missing. */
  env: string[];
  /** Working directory inside the container; created (owned by `user`) when missing. */
  cwd: string;
  /** As written in `USER`; resolved against the rootfs' /etc/passwd and /etc/group. */
  user: string;
  hostname?: string;
  /** `default` is the host network, as rootless BuildKit; `none` a network namespace with only loopback. */
  network: "default" | "none" | "host";
  /** `--add-host` entries appended to the generated /etc/hosts. */
  extraHosts?: ExtraHost[];
  mounts: RunMount[];
  /** `insecure` (RUN --security=insecure, allowed by --allow security.insecure): every capability, /proc unmasked. */
  security?: "sandbox" | "insecure";
  /** `--ulimit`: replace the defaults of the same name. */
  ulimits?: Ulimit[];
  /** `--shm-size`: bytes of /dev/shm (default 64 MiB, as Docker). */
  shmSize?: number;
  stdout(chunk: Uint8Array): void;
  stderr(chunk: Uint8Array): void;
  /** Abort kills the container (SIGKILL), removes it and rejects with `RunAbortedError`. */
  signal?: AbortSignal;
}

/** How a RUN ended; `signal` is set when the process was killed by one (exitCode is then 128 + number). */
export interface RunResult {
  exitCode: number;
  signal?: string;
}
