/**
 * The build graph: tsbuild's LLB. The frontend emits it, the solver executes it; it holds no I/O and no secrets.
 *
 * A vertex either produces a root filesystem state (image, scratch, exec, file) or a directory source (local).
 * Every filesystem-producing vertex with an `input` yields exactly one new layer on top of that input, so a stage's
 * image layers are its base image's layers plus one diff per such vertex along its `input` chain.
 */
import type { HealthConfig, Platform } from "../oci/mod.ts";

/** Index of a vertex in `Graph.vertices`. */
export type VertexId = number;

/** A base image from a registry (or `oci-layout://`), resolved to a digest by the frontend. */
export interface ImageVertex {
  kind: "image";
  /** Normalized reference as written, e.g. `127.0.0.1:5000/busybox:latest`. */
  ref: string;
  /** Manifest digest pinned at conversion time; the cache key uses it. */
  digest: string;
  platform: Platform;
}

/** The empty filesystem (`FROM scratch`). */
export interface ScratchVertex {
  kind: "scratch";
}

/** A local directory source: the build context or a named `--build-context`. */
export interface LocalVertex {
  kind: "local";
  /** `context` for the main context, else the build-context name. */
  name: string;
  /** Absolute path on the host. */
  path: string;
  /** `.dockerignore` patterns (already read); the solver never exposes excluded files. */
  excludes: string[];
}

/**
 * A mount of a RUN (`RUN --mount=...`), generic in how `from` is named: the frontend parses it with the name as
 * written (`MountOf<string>`), the graph holds the vertex it resolved to (`ExecMount`).
 */
export type MountOf<From> =
  | { type: "bind"; target: string; from?: From; source: string; readonly: boolean }
  | {
    type: "cache";
    target: string;
    id: string;
    sharing: "shared" | "private" | "locked";
    from?: From;
    source: string;
    mode: number;
    uid: number;
    gid: number;
    readonly: boolean;
  }
  | { type: "tmpfs"; target: string; size?: number }
  | {
    type: "secret";
    target?: string;
    env?: string;
    id: string;
    required: boolean;
    mode: number;
    uid: number;
    gid: number;
  }
  | { type: "ssh"; target?: string; id: string; required: boolean; mode: number; uid: number; gid: number };

/** A RUN mount in the graph; `from` vertices are resolved by the solver. */
export type ExecMount = MountOf<VertexId>;

/** A RUN. */
export interface ExecVertex {
  kind: "exec";
  input: VertexId;
  args: string[];
  /** `KEY=value`, build args included (they never reach the image config). */
  env: string[];
  cwd: string;
  /** As written in USER (`name`, `uid`, `name:group`); resolved by the executor against the rootfs. */
  user: string;
  network: "default" | "none" | "host";
  security?: "sandbox" | "insecure";
  mounts: ExecMount[];
  /** Dockerfile location, for errors. */
  location?: SourceLocation;
}

/** Ownership for created files: ids, or names resolved against the destination rootfs. */
export interface Chown {
  user: string;
  group?: string;
}

/** One file operation; paths are absolute in the destination unless said otherwise. */
export type FileAction =
  | {
    action: "copy";
    /** Vertex whose result is read (a local source or a filesystem state). */
    from: VertexId;
    /** Source paths relative to the source root; may contain globs. */
    src: string[];
    dest: string;
    chown?: Chown;
    /** Octal mode, or a symbolic one (`u+x`), applied to everything copied. */
    chmod?: string;
    /** Copy directory contents (Docker's default) rather than the directory itself. */
    copyDirContents: boolean;
    /** Whether `dest` ended with `/` (forces directory semantics). */
    destIsDir: boolean;
    /** `ADD`: extract local archives. */
    extractArchives: boolean;
    allowWildcard: boolean;
    allowEmptyWildcard: boolean;
    followSymlinks: boolean;
    excludes: string[];
    parents: boolean;
    createDestPath: boolean;
  }
  | { action: "mkdir"; path: string; mode: number; makeParents: boolean; chown?: Chown }
  | { action: "mkfile"; path: string; mode: number; data: string; chown?: Chown }
  | { action: "rm"; path: string; allowNotFound: boolean; allowWildcard: boolean }
  | {
    action: "http";
    url: string;
    dest: string;
    destIsDir: boolean;
    checksum?: string;
    chown?: Chown;
    chmod?: string;
    filename?: string;
    /** `ADD --unpack=true`: an archive is extracted into `dest` instead of saved. */
    unpack?: boolean;
  }
  /** `ADD <git url> dest`: the repository's tree at `ref` (its `subdir`), copied into the directory `dest`. */
  | {
    action: "git";
    url: string;
    ref?: string;
    subdir?: string;
    keepGitDir: boolean;
    dest: string;
    /** A commit id (or its prefix) the ref must resolve to. */
    checksum?: string;
    /** False when the URL said `?submodules=false`. */
    submodules?: boolean;
    chown?: Chown;
    chmod?: string;
  };

/** A copy action with Dockerfile COPY's defaults (directory contents, no archives, no wildcards), for internal copies. */
export function copyAction(
  from: VertexId,
  src: string[],
  dest: string,
  over: Partial<Extract<FileAction, { action: "copy" }>> = {},
): Extract<FileAction, { action: "copy" }> {
  return {
    action: "copy",
    from,
    src,
    dest,
    copyDirContents: true,
    destIsDir: true,
    extractArchives: false,
    allowWildcard: false,
    allowEmptyWildcard: false,
    followSymlinks: false,
    excludes: [],
    parents: false,
    createDestPath: true,
    ...over,
  };
}

/** COPY, ADD, WORKDIR's mkdir and friends: file actions applied in order on `input` (or on scratch when null). */
export interface FileVertex {
  kind: "file";
  input: VertexId | null;
  actions: FileAction[];
  location?: SourceLocation;
}

/**
 * Layers stacked without being rebased (`COPY --link`): the result is the first input's layers followed by the
 * layers of the others, so a linked step's cache and layer do not depend on what it lands on.
 */
export interface MergeVertex {
  kind: "merge";
  inputs: VertexId[];
  location?: SourceLocation;
}

export type Vertex = ImageVertex | ScratchVertex | LocalVertex | ExecVertex | FileVertex | MergeVertex;

/** Where in a Dockerfile a vertex came from. */
export interface SourceLocation {
  file: string;
  startLine: number;
  endLine: number;
  /** The instruction as written (one line), for messages and `created_by`. */
  text: string;
}

/** One history entry the exporter writes; `vertex` is set when the step produced a layer. */
export interface HistoryStep {
  createdBy: string;
  comment?: string;
  vertex?: VertexId;
  emptyLayer: boolean;
}

/** The image configuration a stage ends with, minus rootfs (the solver fills layers in). */
export interface StageImage {
  platform: Platform;
  env: string[];
  user?: string;
  workingDir?: string;
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  exposedPorts: string[];
  volumes: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  healthcheck?: HealthConfig;
  onBuild: string[];
  shell?: string[];
  argsEscaped?: boolean;
  /** Base image's history, kept in front of the new steps. */
  baseHistory: { created?: string; created_by?: string; author?: string; comment?: string; empty_layer?: boolean }[];
  /** Base image's layer count, to match history entries to layers. */
  baseLayers: number;
  author?: string;
}

/** A named or numbered build stage after conversion. */
export interface Stage {
  name?: string;
  index: number;
  /** Vertex holding the stage's final filesystem. */
  root: VertexId;
  image: StageImage;
  history: HistoryStep[];
}

/** The whole build. */
export interface Graph {
  vertices: Vertex[];
  stages: Stage[];
  /** Index into `stages` of the target. */
  target: number;
}
