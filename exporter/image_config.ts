import type { ContainerConfig, History, ImageConfig } from "../oci/mod.ts";
import type { Stage } from "../graph/mod.ts";

/** A layer as the exporter sees it. */
export interface ExportLayer {
  mediaType: string;
  digest: string;
  size: number;
  diffID: string;
}

/** What the solver says about each step's vertex. */
export interface StepOutcome {
  /** The step changed nothing: its history entry says `empty_layer`. */
  empty: boolean;
  /** When the step's result was first made (cache record time on a hit). */
  created?: string;
}

/**
 * The image config of a solved stage: the stage's runtime settings, its layer diff ids, and one history entry per
 * instruction after the base image's own history.
 *
 * Times follow BuildKit: a step's entry carries the time its result was first made (so a fully cached rebuild gives
 * the very same config and digest), a metadata step the time of the layer step before it (or else the first one
 * after it, or else the base image's last entry), and the config's `created` the latest of them. With
 * `sourceDateEpoch` every time is that instant.
 */
export function imageConfig(
  stage: Stage,
  layers: ExportLayer[],
  outcomes: Map<number, StepOutcome>,
  opts: { sourceDateEpoch?: number; now?: Date } = {},
): ImageConfig {
  const img = stage.image;
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  const fixed = opts.sourceDateEpoch !== undefined ? iso(new Date(opts.sourceDateEpoch * 1000)) : undefined;
  const c: ContainerConfig = {};
  if (img.user) c.User = img.user;
  if (img.exposedPorts.length) c.ExposedPorts = Object.fromEntries(img.exposedPorts.map((p) => [p, {}]));
  c.Env = img.env;
  // Empty lists (`ENTRYPOINT []`, `CMD []`) are left out, as Go's omitempty does in BuildKit's config.
  if (img.entrypoint?.length) c.Entrypoint = img.entrypoint;
  if (img.cmd?.length) c.Cmd = img.cmd;
  if (img.volumes.length) c.Volumes = Object.fromEntries(img.volumes.map((v) => [v, {}]));
  if (img.workingDir) c.WorkingDir = img.workingDir;
  if (Object.keys(img.labels).length) c.Labels = img.labels;
  if (img.stopSignal) c.StopSignal = img.stopSignal;
  if (img.healthcheck) c.Healthcheck = img.healthcheck;
  if (img.onBuild.length) c.OnBuild = img.onBuild;
  if (img.shell?.length) c.Shell = img.shell;
  if (img.argsEscaped) c.ArgsEscaped = true;

  const history: History[] = img.baseHistory.map((h) => ({ ...h }));
  const steps: History[] = stage.history.map((step) => {
    const outcome = step.vertex !== undefined ? outcomes.get(step.vertex) : undefined;
    const empty = step.emptyLayer || !outcome || outcome.empty;
    const h: History = {
      created: fixed ?? (empty ? undefined : outcome?.created),
      created_by: step.createdBy,
      comment: step.comment ?? "buildkit.dockerfile.v0",
    };
    if (empty) h.empty_layer = true;
    return h;
  });
  const baseTime = [...history].reverse().find((h) => h.created)?.created;
  let prev: string | undefined;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i].created) {
      prev = steps[i].created;
      continue;
    }
    steps[i].created = prev ?? steps.slice(i + 1).find((h) => h.created)?.created ?? baseTime ??
      iso(opts.now ?? new Date());
  }
  history.push(...steps);
  const ts = fixed ?? steps.map((h) => h.created!).concat(baseTime ? [baseTime] : []).sort().at(-1) ??
    iso(opts.now ?? new Date());
  const cfg: ImageConfig = {
    architecture: img.platform.architecture,
    os: img.platform.os,
    config: c,
    created: ts,
    history: normalizeHistory(history, layers.length, ts),
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffID) },
  };
  if (img.platform.variant) cfg.variant = img.platform.variant;
  if (img.author) cfg.author = img.author;
  return cfg;
}

/**
 * Keeps the invariant every reader relies on: as many non-empty history entries as layers. A base image with a
 * sloppy history gets entries added in front (as BuildKit does), or its surplus marked empty from the bottom.
 */
function normalizeHistory(history: History[], layerCount: number, ts: string): History[] {
  let nonEmpty = history.filter((h) => !h.empty_layer).length;
  for (let i = 0; nonEmpty > layerCount && i < history.length; i++) {
    if (!history[i].empty_layer) {
      history[i].empty_layer = true;
      nonEmpty--;
    }
  }
  const missing = layerCount - nonEmpty;
  const prefix: History[] = Array.from(
    { length: Math.max(0, missing) },
    () => ({ created: ts, created_by: "", comment: "layer without history" }),
  );
  return [...prefix, ...history];
}
