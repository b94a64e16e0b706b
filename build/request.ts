import type { CacheExportSpec, CacheImportSpec } from "../cache/mod.ts";
import type { ExtraHost, Ulimit } from "../executor/mod.ts";
import type { ImageAnnotation, ProvenanceMode } from "../exporter/mod.ts";
import type { Platform } from "../oci/mod.ts";
import type { ProgressSink } from "../progress/mod.ts";
import type { SshSpec } from "../ssh/mod.ts";

/** One `--output`. */
export type OutputSpec =
  /** `pushByDigest`: buildx's `push-by-digest=true`, the manifest pushed by digest into each name's repo, untagged. */
  | { type: "image"; push: boolean; pushByDigest?: boolean }
  | { type: "oci"; dest: string; tar: boolean }
  | { type: "docker"; dest: string }
  | { type: "local"; dest: string }
  | { type: "tar"; dest: string }
  /** buildx's `type=cacheonly`: build (and fill the cache), export nothing. */
  | { type: "cacheonly" };

/** Everything a build needs to know, whatever front door (CLI or library) it came through. */
export interface BuildRequest {
  contextDir: string;
  /** Path of the Dockerfile; `-` with `dockerfileText` for stdin. */
  dockerfilePath: string;
  dockerfileText?: string;
  tags: string[];
  outputs: OutputSpec[];
  buildArgs: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  /** `--build-context name=value`: a directory, `docker-image://ref` or `oci-layout://path[:tag]`. */
  buildContexts?: Record<string, string>;
  platform?: Platform;
  /** Several target platforms: one image each, under an index (`--platform a,b`). */
  platforms?: Platform[];
  noCache: boolean;
  /** Always ask the registry for base images, even when the store has an image of that name (`--pull`). */
  pull?: boolean;
  noCacheFilter: string[];
  storeRoot: string;
  progress: ProgressSink;
  secrets: Map<string, Uint8Array>;
  /** `--ssh` flags: agents served for RUN `--mount=type=ssh` during the build (absent = none). */
  ssh?: SshSpec[];
  format: "oci" | "docker";
  /** Layer compression for new layers (`--compression`, `--compression-level`; `force`: base layers too). */
  compression?: { compression: "gzip" | "zstd" | "none"; level?: number; force?: boolean };
  /** Merge the layers this build adds into one (`--squash`). */
  squash?: boolean;
  sourceDateEpoch?: number;
  iidFile?: string;
  metadataFile?: string;
  printGraph?: "json" | "dot";
  /** `--check`: run the build checks and report them instead of building. */
  check?: boolean;
  /** `--call=targets`: list the Dockerfile's stages instead of building (see frontend/targets.ts). */
  listTargets?: boolean;
  /** `--call=outline`: tell the target's build args, secrets and SSH instead of building. */
  outline?: boolean;
  /** `--provenance`: an SLSA provenance attestation per image, the result then an index (exporter/provenance.ts). */
  provenance?: ProvenanceMode;
  /** `--call=...,format=json`: the answer as BuildKit's JSON instead of buildx's text. */
  callFormat?: "json";
  explain: boolean;
  maxParallelism: number;
  insecureRegistries: string[];
  registryMirrors?: Record<string, string[]>;
  registryCa?: string;
  snapshotter?: "auto" | "overlay" | "fuse-overlayfs" | "native";
  /** `--network`: the network of RUN steps that do not choose one (`default` is the host's, rootless). */
  network?: "default" | "none" | "host";
  /** `--add-host host:ip` entries for every RUN's /etc/hosts. */
  extraHosts?: ExtraHost[];
  /** Directories (the context, named contexts) removed after the build: read from stdin, a URL or git. */
  temporaryDirs?: string[];
  /** `--annotation`: OCI annotations on the image's manifest, index or index entries. */
  annotations?: ImageAnnotation[];
  /** `--ulimit`: resource limits of every RUN. */
  ulimits?: Ulimit[];
  /** `--shm-size`: bytes of every RUN's /dev/shm. */
  shmSize?: number;
  /** `--allow`: entitlements granted (`security.insecure`, `network.host`). */
  allow?: string[];
  /** `--cache-from`: caches exported by other builds, asked when the store has no result for a step. */
  cacheFrom?: CacheImportSpec[];
  /** `--cache-to`: where this build's step results go (after the image and its outputs). */
  cacheTo?: CacheExportSpec[];
  signal: AbortSignal;
}

/** What a build produced. */
export interface BuildResult {
  /** The image's manifest digest, or its index's in a multi-platform build. */
  manifestDigest?: string;
  /** The image ID; absent in a multi-platform build, whose images each have their own. */
  configDigest?: string;
  /** The platforms of a multi-platform build, in index order. */
  platforms?: string[];
  /** The answer to `listTargets` or `outline` (text or JSON). */
  callText?: string;
  /** JSON or DOT text when `printGraph` was asked. */
  graphText?: string;
  /** `check`: the `--check` report, and whether it found anything (the CLI then exits 1). */
  checkReport?: string;
  checkFailed?: boolean;
  /** The build checks' summary of a build that warned, printed after it as buildx does. */
  warningSummary?: string;
}
