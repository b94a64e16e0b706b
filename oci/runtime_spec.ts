/**
 * OCI runtime-spec (v1.1) `config.json` types: the subset tsbuild's executor writes for runc, typed from the spec's
 * config.md, config-linux.md and config-process sections. Fields tsbuild never sets are omitted.
 */

/** The bundle's `config.json`. */
export interface RuntimeSpec {
  ociVersion: string;
  process: RuntimeProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: RuntimeMount[];
  linux: RuntimeLinux;
  annotations?: Record<string, string>;
}

/** The container's process (config.md#process). */
export interface RuntimeProcess {
  terminal?: boolean;
  user: { uid: number; gid: number; umask?: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: {
    bounding?: string[];
    effective?: string[];
    inheritable?: string[];
    permitted?: string[];
    ambient?: string[];
  };
  rlimits?: { type: string; hard: number; soft: number }[];
  noNewPrivileges?: boolean;
  oomScoreAdj?: number;
}

/** A mount (config.md#mounts); `options` are mount(8) options, plus `bind`/`rbind`. */
export interface RuntimeMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** A Linux namespace (config-linux.md#namespaces); `path` joins an existing one. */
export interface RuntimeNamespace {
  type: "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup" | "time";
  path?: string;
}

/** A uid/gid mapping (config-linux.md#user-namespace-mappings). */
export interface RuntimeIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** `linux` (config-linux.md). */
export interface RuntimeLinux {
  namespaces: RuntimeNamespace[];
  uidMappings?: RuntimeIdMapping[];
  gidMappings?: RuntimeIdMapping[];
  maskedPaths?: string[];
  readonlyPaths?: string[];
  rootfsPropagation?: "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared" | "unbindable";
  sysctl?: Record<string, string>;
}
