/** What the solver works with: the results of vertices and everything a build gives it (`SolverDeps`). */
import type { ProgressSink } from "../progress/mod.ts";
import type { LayerStore } from "../snapshotter/mod.ts";
import type { CacheMounts, ExtraHost, RuncExecutor, Ulimit } from "../executor/mod.ts";
import type { ContextHasher } from "../context/mod.ts";
import type { GitSources, HttpSources } from "../fileop/mod.ts";
import type { CachedLayer, CacheImportSource, CacheStore } from "./cache_store.ts";
import type { ImageSource } from "./image_source.ts";
import type { SshAgentServer } from "../ssh/mod.ts";

/** A filesystem state: the full layer chain, and whether the step that made it added nothing. */
export interface FsResult {
  kind: "fs";
  key: string;
  layers: CachedLayer[];
  empty: boolean;
  cached: boolean;
  /** What made this state when it is a base image (`--explain` names it). */
  label?: string;
  /** When the step's result was first made (from its cache record on a hit): history times come from here. */
  created?: string;
}

/** A local directory source with its hasher. */
export interface LocalResult {
  kind: "local";
  key: string;
  path: string;
  excludes: string[];
  hasher: ContextHasher;
}

export type VertexResult = FsResult | LocalResult;

/** Everything the solver needs; built once per build by `build()`. */
export interface SolverDeps {
  storeRoot: string;
  layers: LayerStore;
  images: ImageSource;
  executor: RuncExecutor;
  cacheMounts: CacheMounts;
  cache: CacheStore;
  /** `--cache-from`: asked when the store has no usable record; what it returns is kept in the store. */
  importer?: CacheImportSource;
  progress: ProgressSink;
  secrets: Map<string, Uint8Array>;
  /** One agent per `--ssh` id, for RUN `--mount=type=ssh` (never part of a cache key). */
  sshAgents?: Map<string, SshAgentServer>;
  /** Stage indexes whose steps must not be read from the cache (`--no-cache` = all). */
  noCacheStages: Set<number>;
  maxParallelism: number;
  signal: AbortSignal;
  dockerfileSource?: string;
  /** SOURCE_DATE_EPOCH: layer mtimes are clamped to it, so it is part of every step's key. */
  sourceDateEpoch?: number;
  /** Explain misses (`--explain`): compare each missed step's inputs with the last build of the same step. */
  explain: boolean;
  /** `--network`: what RUN steps without `--network` use (absent: `default`). Part of those steps' keys. */
  network?: "default" | "none" | "host";
  /** `--add-host` entries for every RUN's /etc/hosts. Part of RUN keys, as BuildKit's ExecOp meta is. */
  extraHosts?: ExtraHost[];
  /** `--ulimit` and `--shm-size` for every RUN; part of RUN keys when set, as in BuildKit's ExecOp meta. */
  ulimits?: Ulimit[];
  shmSize?: number;
  /** Local sources removed after the build (stdin, URL or git contexts): no stat cache is kept for them. */
  temporaryDirs?: ReadonlySet<string>;
  /** Bodies of `ADD <url>` sources, fetched once per build for their keys and then copied from the store. */
  httpSources?: HttpSources;
  /** `ADD <git url>` sources: refs resolved once per build for their keys, checkouts kept by commit. */
  gitSources?: GitSources;
  /** `--allow`: the entitlements granted (`security.insecure` lets RUN --security=insecure run). */
  entitlements?: ReadonlySet<string>;
  /** A multi-platform build: the platform each step's name leads with (`[linux/arm64 2/3] RUN …`). */
  platformLabel?: string;
  /** Step numbers shared by the solvers of one build (one per platform), so `#N` stays unique in the progress. */
  stepCounter?: { next: number };
}
