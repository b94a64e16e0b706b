/**
 * One target platform of a build: the Dockerfile converted for it, solved, and its image config made. A
 * multi-platform build runs this once per platform on the same store, so a step that is the same on every platform
 * (a `FROM --platform=$BUILDPLATFORM` stage) runs once and is a cache hit for the others.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { convertDockerfile, type ConvertOptions, type Outline, outlineDockerfile } from "../frontend/mod.ts";
import { formatPlatform, hostPlatform, type ImageConfig, type Platform } from "../oci/mod.ts";
import type { Graph, Stage, VertexId } from "../graph/mod.ts";
import {
  type CachedLayer,
  CacheStore,
  type FsResult,
  type ImageSource,
  Solver,
  type VertexResult,
} from "../solver/mod.ts";
import { CacheMounts, type RuncExecutor } from "../executor/mod.ts";
import { GitSources, HttpSources } from "../fileop/mod.ts";
import type { LayerStore } from "../snapshotter/mod.ts";
import { imageConfig, type StepOutcome } from "../exporter/mod.ts";
import { CacheImporter, exportRecords, INLINE_CACHE_KEY, inlineCache } from "../cache/mod.ts";
import type { SshAgentServer } from "../ssh/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { BuildSession } from "./session.ts";
import type { BuildRequest } from "./request.ts";

/** A platform's build graph, before anything runs. */
export interface PlatformPlan {
  platform: Platform;
  graph: Graph;
  /** The Env of each base image the conversion resolved, by the name its FROM gave (for the build checks). */
  baseEnvs: Map<string, string[]>;
}

/** A platform's solved target: its results, filesystem and image config. */
export interface PlatformBuild {
  platform: Platform;
  graph: Graph;
  results: Map<VertexId, VertexResult>;
  root: FsResult;
  /** The image's layers (the target's chain, or its squash). */
  layers: CachedLayer[];
  config: ImageConfig;
}

/** What the solvers of one build share. */
export interface SolveShared {
  executor: RuncExecutor;
  sshAgents: Map<string, SshAgentServer>;
  stepCounter: { next: number };
  /** Set in a multi-platform build: steps are named by their platform too. */
  multiPlatform: boolean;
}

/** Converts the Dockerfile for one target platform (base images resolved for it). */
export async function planPlatform(s: BuildSession, platform: Platform): Promise<PlatformPlan> {
  const baseEnvs = new Map<string, string[]>();
  const graph = await convertDockerfile(convertOptions(s, platform, baseEnvs));
  return { platform, graph, baseEnvs };
}

/** `--call=outline`: what the target takes (build args, secrets, SSH), for the first platform. */
export async function outlineTarget(s: BuildSession, platform: Platform): Promise<Outline> {
  return await outlineDockerfile(convertOptions(s, platform, new Map()));
}

function convertOptions(s: BuildSession, platform: Platform, baseEnvs: Map<string, string[]>): ConvertOptions {
  return {
    dockerfile: s.dockerfile,
    dockerfilePath: s.shownPath,
    buildArgs: s.req.buildArgs,
    target: s.req.target,
    platform,
    buildPlatform: hostPlatform(),
    labels: s.req.labels,
    buildContexts: s.req.buildContexts,
    contextPath: s.contextDir,
    contextExcludes: s.excludes,
    resolveImage: async (ref, p) => {
      const pinned = await s.images.resolve(ref, p);
      baseEnvs.set(ref, pinned.config.config?.Env ?? []);
      return { ref: pinned.ref, digest: pinned.manifestDigest, config: pinned.config };
    },
    warn: s.warn,
  };
}

/** Solves a platform's target stage and makes its image config. */
export async function solvePlatform(s: BuildSession, plan: PlatformPlan, shared: SolveShared): Promise<PlatformBuild> {
  const { req } = s;
  const { graph, platform } = plan;
  const noCacheStages = new Set<number>();
  for (const st of graph.stages) {
    const name = st.name ?? String(st.index);
    if (req.noCache || req.noCacheFilter.includes(name) || req.noCacheFilter.includes(String(st.index))) {
      noCacheStages.add(st.index);
    }
  }
  const importer = req.cacheFrom?.length
    ? new CacheImporter(req.cacheFrom, { content: s.layers.content, registry: s.registry, platform, warn: s.warn })
    : undefined;
  const solver = new Solver(graph, {
    storeRoot: req.storeRoot,
    layers: s.layers,
    images: s.images,
    executor: shared.executor,
    cacheMounts: new CacheMounts(join(req.storeRoot, "cache-mounts")),
    cache: new CacheStore(req.storeRoot),
    importer,
    progress: req.progress,
    secrets: req.secrets,
    sshAgents: shared.sshAgents,
    noCacheStages,
    maxParallelism: req.maxParallelism,
    signal: req.signal,
    dockerfileSource: s.dockerfile,
    explain: req.explain,
    sourceDateEpoch: req.sourceDateEpoch,
    network: req.network,
    extraHosts: req.extraHosts,
    ulimits: req.ulimits,
    shmSize: req.shmSize,
    entitlements: new Set(req.allow ?? []),
    temporaryDirs: new Set((req.temporaryDirs ?? []).map((d) => resolve(d))),
    httpSources: new HttpSources(req.storeRoot),
    gitSources: new GitSources(req.storeRoot),
    platformLabel: shared.multiPlatform ? formatPlatform(platform) : undefined,
    stepCounter: shared.stepCounter,
  });
  const results = await solver.solveTarget();
  const stage = graph.stages[graph.target];
  const root = results.get(stage.root);
  if (!root || root.kind !== "fs") throw new TsbuildError("internal: target stage did not produce a filesystem");
  const outcomes = new Map<number, StepOutcome>();
  for (const [id, r] of results) if (r.kind === "fs") outcomes.set(id, { empty: r.empty, created: r.created });
  let layers = root.layers;
  if (req.squash) layers = await squashStage(s.layers, s.images, stage, root.layers, outcomes, req);
  const config = imageConfig(stage, layers, outcomes, { sourceDateEpoch: req.sourceDateEpoch });
  if (req.cacheTo?.some((c) => c.type === "inline")) {
    (config as unknown as Record<string, unknown>)[INLINE_CACHE_KEY] = inlineCache(
      exportRecords(graph, results, "min"),
      layers.map((l) => l.diffID),
    );
  }
  return { platform, graph, results, root, layers, config };
}

/**
 * `--squash`: the layers this build added on top of the base image become one (a file added then deleted costs
 * nothing). History keeps every step; all but the last layer step are marked empty, since their layers are gone.
 */
async function squashStage(
  store: LayerStore,
  images: ImageSource,
  stage: Stage,
  chain: CachedLayer[],
  outcomes: Map<number, StepOutcome>,
  req: BuildRequest,
): Promise<CachedLayer[]> {
  const baseCount = Math.min(stage.image.baseLayers, chain.length);
  if (chain.length - baseCount <= 1) return chain;
  const ensure = (l: CachedLayer) => images.ensureBlob(l);
  const lower = await store.unpack(chain.slice(0, baseCount), ensure);
  const upper = await store.unpack(chain, ensure);
  const { layer, empty } = await store.squash(lower, upper, { sourceDateEpoch: req.sourceDateEpoch });
  const layerSteps = stage.history.filter((h) => h.vertex !== undefined && outcomes.get(h.vertex)?.empty === false);
  layerSteps.slice(0, -1).forEach((h) => outcomes.set(h.vertex!, { ...outcomes.get(h.vertex!)!, empty: true }));
  if (empty && layerSteps.length) {
    outcomes.set(layerSteps.at(-1)!.vertex!, { ...outcomes.get(layerSteps.at(-1)!.vertex!)!, empty: true });
  }
  return empty ? chain.slice(0, baseCount) : [...chain.slice(0, baseCount), layer];
}
