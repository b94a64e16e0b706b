/**
 * Test support: convertDockerfile with a registry stand-in. `resolveImage` is the caller's boundary (the registry
 * client answers it in real builds), so tests hand it configs they construct and record which refs were asked for.
 */
import type { ExecVertex, FileVertex, Graph, Stage } from "../../graph/mod.ts";
import type { ContainerConfig, ImageConfig, Platform } from "../../oci/mod.ts";
import { convertDockerfile, type ConvertOptions } from "./convert.ts";

export const AMD64: Platform = { os: "linux", architecture: "amd64" };

/** An image config as a registry would return it, with `layers` fake diff ids. */
export function imageConfig(config: ContainerConfig, layers = 1, platform: Platform = AMD64): ImageConfig {
  return {
    ...platform,
    config,
    rootfs: {
      type: "layers",
      diff_ids: Array.from({ length: layers }, (_, i) => `sha256:${String(i).padStart(64, "0")}`),
    },
    history: Array.from({ length: layers }, (_, i) => ({ created_by: `base layer ${i}` })),
  };
}

export interface TestConversion {
  graph: Graph;
  /** `ref|os/arch` of every resolveImage call, in order. */
  resolved: string[];
  warnings: { message: string; line?: number }[];
  target: Stage;
}

/** Converts `dockerfile`; images in `images` resolve, any other ref rejects like a registry's "not found". */
export async function convert(
  dockerfile: string,
  options: Partial<ConvertOptions> & { images?: Record<string, ImageConfig> } = {},
): Promise<TestConversion> {
  const resolved: string[] = [];
  const warnings: { message: string; line?: number }[] = [];
  const images = options.images ?? { busybox: imageConfig({ Env: ["PATH=/bin"], Cmd: ["sh"] }) };
  const graph = await convertDockerfile({
    dockerfile,
    dockerfilePath: "Dockerfile",
    buildArgs: {},
    labels: {},
    platform: AMD64,
    buildPlatform: AMD64,
    contextPath: "/ctx",
    contextExcludes: [],
    resolveImage: (ref, platform) => {
      resolved.push(`${ref}|${platform.os}/${platform.architecture}`);
      const config = images[ref];
      if (!config) return Promise.reject(new Error(`${ref}: not found`));
      const digest = `sha256:${
        [...ref].map((c) => c.charCodeAt(0).toString(16)).join("").padEnd(64, "0").slice(0, 64)
      }`;
      return Promise.resolve({ ref, digest, config: structuredClone(config) });
    },
    warn: (message, line) => warnings.push({ message, line }),
    ...options,
  });
  return { graph, resolved, warnings, target: graph.stages[graph.target] };
}

/** The exec vertices on a stage's root chain, first first. */
export function execsOf(graph: Graph, stage: Stage): ExecVertex[] {
  return chain(graph, stage).filter((v): v is ExecVertex => v.kind === "exec");
}

/** The file vertices on a stage's root chain, first first. */
export function filesOf(graph: Graph, stage: Stage): FileVertex[] {
  return chain(graph, stage).filter((v): v is FileVertex => v.kind === "file");
}

function chain(graph: Graph, stage: Stage) {
  const out = [];
  let id: number | null = stage.root;
  while (id !== null) {
    const v: Graph["vertices"][number] = graph.vertices[id];
    out.unshift(v);
    id = v.kind === "exec" || v.kind === "file" ? v.input : null;
  }
  return out;
}

/** `created_by` of every history step. */
export function createdBy(stage: Stage): string[] {
  return stage.history.map((h) => h.createdBy);
}
