import { join } from "node:path";
import { formatPlatform, hostPlatform, type Platform } from "../oci/mod.ts";
import { graphToDot, graphToJson } from "../graph/mod.ts";
import { RuncExecutor } from "../executor/mod.ts";
import type { SshAgentServer } from "../ssh/mod.ts";
import { describeCacheSpec, exportCache, type ExportRecord, exportRecords } from "../cache/mod.ts";
import type { Descriptor } from "../oci/mod.ts";
import { TsbuildError } from "../errors.ts";
import { checkReport, progressLines, runBuildChecks } from "./build_checks.ts";
import { openSession } from "./session.ts";
import { formatOutline, formatTargets, listTargets, targetsJson } from "../frontend/mod.ts";
import { warningsJson } from "../frontend/lint/mod.ts";
import { outlineTarget, planPlatform, type PlatformBuild, solvePlatform } from "./solve_platform.ts";
import { checkOutputs, exportImage } from "./outputs.ts";
import { exportIndex } from "./index_outputs.ts";
import { Provenance } from "./attestations.ts";
import type { BuildRequest, BuildResult } from "./request.ts";

/**
 * Runs one build: Dockerfile → graph → solve → image → outputs; with several platforms, one graph and solve per
 * platform on the same store and an index over their images. Must run inside the build namespace (see runtime/);
 * the CLI enters it before calling this.
 */
export async function build(req: BuildRequest): Promise<BuildResult> {
  const startedOn = new Date();
  const s = await openSession(req);
  if (req.listTargets) {
    const targets = listTargets(s.dockerfile, s.shownPath);
    return { callText: req.callFormat === "json" ? targetsJson(targets, s.dockerfile) : formatTargets(targets) };
  }
  const platforms = buildPlatforms(req);
  if (req.outline) {
    const outline = await outlineTarget(s, platforms[0]);
    return { callText: req.callFormat === "json" ? JSON.stringify(outline, null, 2) + "\n" : formatOutline(outline) };
  }
  const plans = [];
  for (const p of platforms) plans.push(await planPlatform(s, p));
  const first = plans[0];
  if (req.printGraph) {
    const graphs = plans.length > 1
      ? plans.map((p) => ({ platform: formatPlatform(p.platform), graph: p.graph }))
      : first.graph;
    return { graphText: req.printGraph === "dot" ? graphToDot(graphs) : graphToJson(graphs) };
  }
  // The checks read the Dockerfile, not a platform's graph: once, with the first platform's base images.
  const checks = await runBuildChecks({
    source: s.dockerfile,
    file: s.shownPath,
    buildArgs: req.buildArgs,
    target: req.target,
    dockerignore: s.excludes,
    platform: formatPlatform(first.platform),
    baseEnvs: first.baseEnvs,
    allStages: req.check && !req.target,
    resolveEnv: req.check
      ? async (ref) => (await s.images.resolve(ref, first.platform)).config.config?.Env ?? []
      : undefined,
  });
  if (req.check) {
    return {
      checkReport: req.callFormat === "json"
        ? warningsJson(checks.warnings, s.shownPath, s.dockerfile)
        : checkReport(checks, s.shownPath, s.dockerfile, "check"),
      checkFailed: checks.warnings.length > 0,
    };
  }
  for (const line of progressLines(checks)) s.warn(line);
  const warningSummary = checkReport(checks, s.shownPath, s.dockerfile, "build");
  if (checks.violation) {
    s.log(warningSummary.trimEnd());
    throw checks.violation;
  }
  checkOutputs(req, platforms.length);

  const sshAgents = await startSshAgents(req);
  const executor = new RuncExecutor({ stateDir: join(req.storeRoot, "runc") });
  const builds: PlatformBuild[] = [];
  try {
    // Containers a killed tsbuild left behind would otherwise hold their mounts forever.
    await executor.cleanupStale();
    const shared = { executor, sshAgents: sshAgents.agents, stepCounter: { next: 1 }, multiPlatform: plans.length > 1 };
    // One platform after the other: steps every platform shares (FROM --platform=$BUILDPLATFORM) run once and
    // are cache hits for the rest, and emulated RUN steps do not compete for the cores.
    for (const plan of plans) builds.push(await solvePlatform(s, plan, shared));
  } finally {
    await sshAgents.close();
  }

  let result: { manifestDesc: Descriptor; configDigest?: string };
  if (req.provenance) {
    if (req.format === "docker") {
      // BuildKit's own behaviour (and words): attestations need an OCI index.
      s.warn("forcibly turning on oci-mediatype mode for attestations");
      s.req = { ...req, format: "oci" };
    }
    const stored = await exportIndex(s, builds, new Provenance(s, req.provenance, startedOn));
    result = builds.length === 1
      ? { manifestDesc: stored.desc, configDigest: stored.images[0].image.manifest.config.digest }
      : { manifestDesc: stored.desc };
  } else if (builds.length === 1) {
    const image = await exportImage(s, builds[0]);
    result = { manifestDesc: image.manifestDesc, configDigest: image.manifest.config.digest };
  } else {
    result = { manifestDesc: (await exportIndex(s, builds)).desc };
  }

  // After the image and its outputs, as BuildKit does: a cache that cannot be written fails a build that is done.
  for (const spec of req.cacheTo ?? []) {
    if (spec.type === "inline") continue;
    try {
      const records = cacheRecords(builds, spec.mode);
      const r = await exportCache(spec, records, { content: s.layers.content, registry: s.registry });
      s.log(
        `exported cache ${describeCacheSpec(spec)}: ${r.records} records, ${r.layers} layers (${r.manifestDigest})`,
      );
    } catch (e) {
      if (!spec.ignoreError) throw e;
      s.warn((e as Error).message);
    }
  }
  // A multi-platform result has no one config: its ID is the index digest, as buildx reports it.
  if (req.iidFile) await writeOutputFile("--iidfile", req.iidFile, result.configDigest ?? result.manifestDesc.digest);
  if (req.metadataFile) {
    await writeOutputFile(
      "--metadata-file",
      req.metadataFile,
      JSON.stringify(
        {
          ...(result.configDigest ? { "containerimage.config.digest": result.configDigest } : {}),
          "containerimage.digest": result.manifestDesc.digest,
          "containerimage.descriptor": result.manifestDesc,
          ...(req.tags.length ? { "image.name": req.tags.join(",") } : {}),
        },
        null,
        2,
      ),
    );
  }
  return {
    manifestDigest: result.manifestDesc.digest,
    configDigest: result.configDigest,
    platforms: builds.length > 1 ? builds.map((b) => formatPlatform(b.platform)) : undefined,
    warningSummary: warningSummary || undefined,
  };
}

/** The target platforms: `platforms` (several, in order, each once), else `platform`, else this machine's. */
function buildPlatforms(req: BuildRequest): Platform[] {
  const out = new Map<string, Platform>();
  for (const p of req.platforms ?? []) out.set(formatPlatform(p), p);
  if (out.size === 0) return [req.platform ?? hostPlatform()];
  return [...out.values()];
}

/** Every platform's step results for a cache export, each key once. */
function cacheRecords(builds: PlatformBuild[], mode: "min" | "max"): ExportRecord[] {
  const seen = new Map<string, ExportRecord>();
  for (const b of builds) {
    for (const r of exportRecords(b.graph, b.results, mode)) seen.set(r.key, seen.get(r.key) ?? r);
  }
  return [...seen.values()];
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
