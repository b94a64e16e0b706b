/** The mutable state of one stage while its instructions are dispatched. */
import type { HistoryStep, StageImage, Vertex, VertexId } from "../../graph/mod.ts";
import type { ImageConfig, Platform } from "../../oci/mod.ts";
import type { StageSpec } from "../instructions/mod.ts";

/** Docker's default PATH for Linux containers, given to RUN (and scratch images) when none is set. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** A declared stage ARG and the value it resolved to (undefined: declared but unset). */
export interface StageArg {
  key: string;
  value?: string;
}

export interface StageState {
  spec: StageSpec;
  root: VertexId;
  image: StageImage;
  history: HistoryStep[];
  /**
   * ARGs declared in this stage, in declaration order, a redeclared name listed again (RUN's history line lists
   * them all); their values live in `stateEnv`.
   */
  args: StageArg[];
  /** Whether CMD was set in this stage (an ENTRYPOINT then keeps it, as Docker does). */
  cmdSet: boolean;
  /**
   * The environment of BuildKit's LLB state (`KEY=value`, in the order keys were first set): the base's ENV, then
   * every ENV and every ARG that got a value, the latest assignment winning. RUN runs with it and instructions
   * expand with it, so an ARG after an ENV of the same name wins there (not in the image config), and a stage
   * built FROM another stage sees that stage's ARG values (dockerd 20.10 does both).
   */
  stateEnv: string[];
}

/** Splits `KEY=value` (a missing `=` means an empty value). */
export function splitEnv(entry: string): [string, string] {
  const eq = entry.indexOf("=");
  return eq < 0 ? [entry, ""] : [entry.slice(0, eq), entry.slice(eq + 1)];
}

/** Sets KEY in an env list in place of an existing entry, or appends it. */
export function setEnv(env: string[], key: string, value: string): void {
  const i = env.findIndex((e) => splitEnv(e)[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
}

/** The variables instructions expand with: the LLB state's environment (see `StageState.stateEnv`). */
export function expansionEnv(state: StageState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of state.stateEnv) {
    const [k, v] = splitEnv(e);
    out[k] = v;
  }
  return out;
}

/** The StageImage of a base image's config, or of an empty image for scratch. */
export function stageImageFrom(config: ImageConfig | undefined, platform: Platform): StageImage {
  const c = config?.config ?? {};
  const img: StageImage = {
    platform: config
      ? {
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
      }
      : { ...platform },
    env: config ? [...(c.Env ?? [])] : [`PATH=${DEFAULT_PATH}`],
    exposedPorts: Object.keys(c.ExposedPorts ?? {}),
    volumes: Object.keys(c.Volumes ?? {}),
    labels: { ...(c.Labels ?? {}) },
    onBuild: [...(c.OnBuild ?? [])],
    baseHistory: (config?.history ?? []).map((h) => ({ ...h })),
    baseLayers: config?.rootfs.diff_ids.length ?? 0,
  };
  if (c.User !== undefined) img.user = c.User;
  if (c.WorkingDir !== undefined) img.workingDir = c.WorkingDir;
  // BuildKit's empty image (FROM scratch) says WorkingDir "/" as well as the default PATH.
  if (!config) img.workingDir = "/";
  if (c.Entrypoint !== undefined) img.entrypoint = c.Entrypoint ? [...c.Entrypoint] : null;
  if (c.Cmd !== undefined) img.cmd = c.Cmd ? [...c.Cmd] : null;
  if (c.StopSignal !== undefined) img.stopSignal = c.StopSignal;
  if (c.Healthcheck !== undefined) img.healthcheck = { ...c.Healthcheck };
  if (c.Shell !== undefined) img.shell = [...c.Shell];
  if (c.ArgsEscaped !== undefined) img.argsEscaped = c.ArgsEscaped;
  if (config?.author !== undefined) img.author = config.author;
  return img;
}

/** A deep copy, so that a stage built `FROM` another one never changes it. */
export function cloneStageImage(img: StageImage): StageImage {
  return structuredClone(img);
}

/** Appends vertices and hands out their ids. */
export class VertexList {
  readonly vertices: Vertex[] = [];
  add(v: Vertex): VertexId {
    this.vertices.push(v);
    return this.vertices.length - 1;
  }
}
