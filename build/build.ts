import { basename, dirname, join, resolve } from "node:path";
import { convertDockerfile } from "../frontend/mod.ts";
import { checkReport, progressLines, runBuildChecks } from "./build_checks.ts";
import { leaseStore } from "./store_lease.ts";
import { readDockerignore } from "../context/mod.ts";
import { compressLayers, ImageIndex, LayerCompressor, LayerStore } from "../snapshotter/mod.ts";
import { CacheMounts, RuncExecutor } from "../executor/mod.ts";
import { parseReference, RegistryClient } from "../registry/mod.ts";
import { formatPlatform, hostPlatform } from "../oci/mod.ts";
import { graphToDot, graphToJson } from "../graph/mod.ts";
import { type CachedLayer, CacheStore, ImageSource, Solver } from "../solver/mod.ts";
import type { Stage } from "../graph/mod.ts";
import {
  imageConfig,
  imageRecord,
  compressForPush,
  pushImage,
  type StepOutcome,
  storeImage,
  writeDockerArchive,
  writeLocalOutput,
  writeOciLayout,
} from "../exporter/mod.ts";
import type { SshAgentServer } from "../ssh/mod.ts";
import { CacheImporter, describeCacheSpec, exportCache, exportRecords, INLINE_CACHE_KEY, inlineCache } from "../cache/mod.ts";
import { TsbuildError } from "../errors.ts";
import type { BuildRequest, BuildResult } from "./request.ts";

/** The Dockerfile could not be read. */
export class DockerfileNotFoundError extends TsbuildError {}

/**
 * Runs one build: Dockerfile → graph → solve → image → outputs. Must run inside the build namespace (see
 * runtime/); the CLI enters it before calling this.
 */
export async function build(req: BuildRequest): Promise<BuildResult> {
  const contextDir = resolve(req.contextDir);
  try {
    if (!(await Deno.stat(contextDir)).isDirectory) throw new Error("not a directory");
  } catch (e) {
    throw new TsbuildError(
      `unable to prepare context: path "${req.contextDir}" not found or not a directory (${(e as Error).message})`,
    );
  }
  const dockerfilePath = req.dockerfilePath === "-" ? "-" : resolve(req.dockerfilePath);
  let text = req.dockerfileText;
  if (text === undefined) {
    try {
      text = await Deno.readTextFile(dockerfilePath);
    } catch (e) {
      const why = e instanceof Deno.errors.NotFound ? "no such file or directory" : (e as Error).message;
      throw new DockerfileNotFoundError(`failed to read dockerfile: open ${req.dockerfilePath}: ${why}`);
    }
  }
  const shownPath = req.dockerfilePath === "-" ? "Dockerfile" : basename(req.dockerfilePath);
  const excludes = await readDockerignore(contextDir, dockerfilePath === "-" ? undefined : dockerfilePath);

  await Deno.mkdir(req.storeRoot, { recursive: true });
  // Held until this process exits: `prune` waits for it instead of deleting what this build uses.
  await leaseStore(req.storeRoot, false);
  const layers = await LayerStore.open(req.storeRoot, { snapshotter: req.snapshotter ?? "auto" });
  const registry = new RegistryClient({
    insecureRegistries: req.insecureRegistries,
    mirrors: req.registryMirrors,
    caFile: req.registryCa,
  });
  const index = new ImageIndex(req.storeRoot);
  const images = new ImageSource(registry, layers.content, { index, pull: req.pull });
  const platform = req.platform ?? hostPlatform();
  const warn = (message: string, line?: number) =>
    req.progress.emit({
      type: "warn",
      message: line ? `${shownPath}:${line}: ${message}` : message,
      time: performance.now(),
    });

  const baseEnvs = new Map<string, string[]>();
  const graph = await convertDockerfile({
    dockerfile: text,
    dockerfilePath: shownPath,
    buildArgs: req.buildArgs,
    target: req.target,
    platform,
    buildPlatform: hostPlatform(),
    labels: req.labels,
    buildContexts: req.buildContexts,
    contextPath: contextDir,
    contextExcludes: excludes,
    resolveImage: async (ref, p) => {
      const pinned = await images.resolve(ref, p);
      baseEnvs.set(ref, pinned.config.config?.Env ?? []);
      return { ref: pinned.ref, digest: pinned.manifestDigest, config: pinned.config };
    },
    warn,
  });
  if (req.printGraph) return { graphText: req.printGraph === "dot" ? graphToDot(graph) : graphToJson(graph) };
  const checks = await runBuildChecks({
    source: text,
    file: shownPath,
    buildArgs: req.buildArgs,
    target: req.target,
    dockerignore: excludes,
    platform: formatPlatform(platform),
    baseEnvs,
    allStages: req.check && !req.target,
    resolveEnv: req.check ? async (ref) => (await images.resolve(ref, platform)).config.config?.Env ?? [] : undefined,
  });
  if (req.check) {
    return { checkReport: checkReport(checks, shownPath, text, "check"), checkFailed: checks.warnings.length > 0 };
  }
  for (const line of progressLines(checks)) warn(line);
  const warningSummary = checkReport(checks, shownPath, text, "build");
  if (checks.violation) {
    req.progress.emit({ type: "info", message: warningSummary.trimEnd(), time: performance.now() });
    throw checks.violation;
  }

  const noCacheStages = new Set<number>();
  for (const s of graph.stages) {
    if (
      req.noCache || req.noCacheFilter.includes(s.name ?? String(s.index)) ||
      req.noCacheFilter.includes(String(s.index))
    ) {
      noCacheStages.add(s.index);
    }
  }
  const importer = req.cacheFrom?.length
    ? new CacheImporter(req.cacheFrom, { content: layers.content, registry, platform, warn: (m) => warn(m) })
    : undefined;
  const sshAgents = await startSshAgents(req);
  const executor = new RuncExecutor({ stateDir: join(req.storeRoot, "runc") });
  // Containers a killed tsbuild left behind would otherwise hold their mounts forever.
  await executor.cleanupStale();
  const solver = new Solver(graph, {
    storeRoot: req.storeRoot,
    layers,
    images,
    executor,
    cacheMounts: new CacheMounts(join(req.storeRoot, "cache-mounts")),
    cache: new CacheStore(req.storeRoot),
    importer,
    progress: req.progress,
    secrets: req.secrets,
    sshAgents: sshAgents.agents,
    noCacheStages,
    maxParallelism: req.maxParallelism,
    signal: req.signal,
    dockerfileSource: text,
    explain: req.explain,
    sourceDateEpoch: req.sourceDateEpoch,
    network: req.network,
    extraHosts: req.extraHosts,
  });
  const results = await solver.solveTarget().finally(() => sshAgents.close());
  const stage = graph.stages[graph.target];
  const root = results.get(stage.root);
  if (!root || root.kind !== "fs") throw new TsbuildError("internal: target stage did not produce a filesystem");
  const outcomes = new Map<number, StepOutcome>();
  for (const [id, r] of results) if (r.kind === "fs") outcomes.set(id, { empty: r.empty, created: r.created });
  let imageLayers = root.layers;
  if (req.squash) ({ layers: imageLayers } = await squashStage(layers, images, stage, root.layers, outcomes, req));
  const config = imageConfig(stage, imageLayers, outcomes, { sourceDateEpoch: req.sourceDateEpoch });
  if (req.cacheTo?.some((c) => c.type === "inline")) {
    (config as unknown as Record<string, unknown>)[INLINE_CACHE_KEY] = inlineCache(
      exportRecords(graph, results, "min"),
      imageLayers.map((l) => l.diffID),
    );
  }
  // Layers are compressed only when the image leaves the store; one kept under a tag remembers how it will be.
  const compression = req.compression ?? { compression: "gzip" };
  const leaves = req.outputs.some((o) => (o.type === "image" && o.push) || o.type === "oci" || o.type === "docker");
  const log = (message: string) => req.progress.emit({ type: "info", message, time: performance.now() });
  if (leaves) {
    // A push uploads each layer it compresses now while compressing it (exporter/push.ts).
    const pushTo = req.outputs.some((o) => o.type === "image" && o.push) && req.tags[0];
    const compressor = new LayerCompressor(layers.content);
    imageLayers = pushTo
      ? await compressForPush(registry, compressor, imageLayers, compression, parseReference(pushTo), log)
      : await compressLayers(compressor, imageLayers, compression);
  }
  const image = await storeImage(layers.content, config, imageLayers, req.format);
  // Named like `docker build -t` names: later builds, `history` and `push` find the image here.
  for (const tag of req.tags) {
    const created = config.created ?? new Date().toISOString();
    await index.put(imageRecord(parseReference(tag).toString(), image, created, leaves ? undefined : compression));
  }

  for (const out of req.outputs) {
    switch (out.type) {
      case "image": {
        if (!out.push) break;
        if (req.tags.length === 0) throw new TsbuildError("--push needs at least one -t/--tag");
        await pushImage(registry, layers.content, image, req.tags.map(parseReference), images, log);
        break;
      }
      case "oci":
      case "docker": {
        for (const l of imageLayers) await images.ensureBlob(l);
        if (out.dest === "-" && out.type === "oci" && !out.tar) {
          throw new TsbuildError("--output type=oci,tar=false needs a directory as dest, not -");
        }
        await viaStdout(req.storeRoot, out.dest, async (dest) => {
          await Deno.mkdir(dirname(dest), { recursive: true });
          if (out.type === "oci") {
            await writeOciLayout(dest, out.tar ? "tar" : "dir", layers.content, [{
              desc: image.manifestDesc,
              refName: req.tags[0] ? parseReference(req.tags[0]).tag ?? "latest" : undefined,
            }]);
          } else {
            await writeDockerArchive(dest, layers.content, {
              manifest: image.manifest,
              config: image.configBytes,
              tags: req.tags.map((t) => parseReference(t).familiar()),
            });
          }
        });
        log(`exported ${out.type} to ${out.dest === "-" ? "stdout" : out.dest}`);
        break;
      }
      case "local":
      case "tar": {
        if (out.dest === "-" && out.type === "local") {
          throw new TsbuildError(
            "--output type=local needs a directory as dest; use type=tar,dest=- for a tar on stdout",
          );
        }
        for (const l of root.layers) await images.ensureBlob(l);
        await viaStdout(
          req.storeRoot,
          out.dest,
          (dest) => writeLocalOutput(layers, root.layers, dest, out.type === "tar"),
        );
        log(`exported filesystem to ${out.dest === "-" ? "stdout" : out.dest}`);
        break;
      }
    }
  }
  // After the image and its outputs, as BuildKit does: a cache that cannot be written fails a build that is done.
  for (const spec of req.cacheTo ?? []) {
    if (spec.type === "inline") continue;
    try {
      const r = await exportCache(spec, exportRecords(graph, results, spec.mode), { content: layers.content, registry });
      log(`exported cache ${describeCacheSpec(spec)}: ${r.records} records, ${r.layers} layers (${r.manifestDigest})`);
    } catch (e) {
      if (!spec.ignoreError) throw e;
      warn((e as Error).message);
    }
  }
  if (req.iidFile) await writeOutputFile("--iidfile", req.iidFile, image.manifest.config.digest);
  if (req.metadataFile) {
    await writeOutputFile(
      "--metadata-file",
      req.metadataFile,
      JSON.stringify(
        {
          "containerimage.config.digest": image.manifest.config.digest,
          "containerimage.digest": image.manifestDesc.digest,
          "containerimage.descriptor": image.manifestDesc,
          ...(req.tags.length ? { "image.name": req.tags.join(",") } : {}),
        },
        null,
        2,
      ),
    );
  }
  return {
    manifestDigest: image.manifestDesc.digest,
    configDigest: image.manifest.config.digest,
    warningSummary: warningSummary || undefined,
  };
}

/**
 * Runs `write` on `dest`, or for `-` on a temp file in the store that is then streamed to stdout (the writers
 * rename temp files into place, which a pipe cannot take) and removed.
 */
async function viaStdout(storeRoot: string, dest: string, write: (path: string) => Promise<void>): Promise<void> {
  if (dest !== "-") return await write(resolve(dest));
  const dir = join(storeRoot, "tmp");
  await Deno.mkdir(dir, { recursive: true });
  const tmp = join(dir, `stdout-${crypto.randomUUID()}`);
  try {
    await write(tmp);
    const f = await Deno.open(tmp);
    await f.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Writes a file the user asked for by flag, failing with the flag, path and cause. */
async function writeOutputFile(flag: string, path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (e) {
    const why = e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Deno.errors.NotFound
      ? "no such directory"
      : (e as Error).message;
    throw new TsbuildError(`${flag} ${path}: cannot write: ${why}`);
  }
}

/** Starts one agent per `--ssh` id in a private temp dir; `close()` stops them and removes the dir. */
async function startSshAgents(
  req: BuildRequest,
): Promise<{ agents: Map<string, SshAgentServer>; close(): Promise<void> }> {
  const agents = new Map<string, SshAgentServer>();
  if (!req.ssh?.length) return { agents, close: () => Promise.resolve() };
  // Short path under the temp dir: unix socket paths are limited to 108 bytes, store paths can be long.
  const dir = await Deno.makeTempDir({ prefix: "tsbuild-ssh-" });
  const close = async () => {
    for (const a of agents.values()) await a.close().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    // Loaded only when asked for: ssh2 is most of what a build would otherwise load and never use.
    const { SshAgentServer } = await import("../ssh/mod.ts");
    for (const spec of req.ssh) {
      if (agents.has(spec.id)) throw new TsbuildError(`--ssh ${spec.id} is given more than once`);
      agents.set(spec.id, await SshAgentServer.start(spec, dir));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { agents, close };
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
): Promise<{ layers: CachedLayer[] }> {
  const baseCount = Math.min(stage.image.baseLayers, chain.length);
  if (chain.length - baseCount <= 1) return { layers: chain };
  const ensure = (l: CachedLayer) => images.ensureBlob(l);
  const lower = await store.unpack(chain.slice(0, baseCount), ensure);
  const upper = await store.unpack(chain, ensure);
  const { layer, empty } = await store.squash(lower, upper, { sourceDateEpoch: req.sourceDateEpoch });
  const layerSteps = stage.history.filter((h) => h.vertex !== undefined && outcomes.get(h.vertex)?.empty === false);
  layerSteps.slice(0, -1).forEach((h) => outcomes.set(h.vertex!, { ...outcomes.get(h.vertex!)!, empty: true }));
  if (empty && layerSteps.length) {
    outcomes.set(layerSteps.at(-1)!.vertex!, { ...outcomes.get(layerSteps.at(-1)!.vertex!)!, empty: true });
  }
  return { layers: empty ? chain.slice(0, baseCount) : [...chain.slice(0, baseCount), layer] };
}
