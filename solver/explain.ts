/**
 * `--explain`: why a step missed the cache, in words. The step's key inputs (step_inputs.ts) are compared with those
 * of the last build of the same step (its identity: the instruction where it sits, whatever its inputs), and each
 * input that changed is named: which context files, which build arg, which base image, which earlier step.
 *
 * @example
 * ```ts
 * import { describeInput } from "./explain.ts";
 * console.log(describeInput("env VERSION", "1", "2")); // build arg or env VERSION changed
 * ```
 * @module
 */
import type { CacheStore } from "./cache_store.ts";
import type { VertexId } from "../graph/mod.ts";
import type { VertexResult } from "./types.ts";

/** One changed key input, said as a user thinks of it. */
export function describeInput(k: string, before: string | undefined, after: string | undefined): string {
  if (before === undefined) return `${k} is new`;
  if (after === undefined) return `${k} was removed`;
  if (k === "previous step") return "an earlier step changed";
  if (k === "base image") return `base image changed: ${before} -> ${after}`;
  if (k.startsWith("files ")) return `context files changed: ${k.slice(6)}`;
  if (k.startsWith("env ")) return `build arg or env ${k.slice(4)} changed`;
  if (k.startsWith("url ")) return `the file at ${k.slice(4)} changed`;
  if (k.startsWith("git ")) return `git ${k.slice(4)} moved: ${before.slice(0, 12)} -> ${after.slice(0, 12)}`;
  return `${k} changed`;
}

/** Why the step `identity` with key `inputs` ran; `sources` name the context files that changed since the last build. */
export async function explainMiss(
  cache: CacheStore,
  identity: string,
  inputs: Record<string, string>,
  useCache: boolean,
  sources: Map<VertexId, VertexResult>,
): Promise<string> {
  if (!useCache) return "--no-cache";
  const last = await cache.lastFor(identity);
  if (!last) return "no earlier build of this step";
  const changed: string[] = [];
  const files = [...sources.values()].flatMap((s) => (s.kind === "local" ? [...s.hasher.changed] : []));
  for (const k of new Set([...Object.keys(inputs), ...Object.keys(last.inputs)])) {
    if (inputs[k] === last.inputs[k]) continue;
    let text = describeInput(k, last.inputs[k], inputs[k]);
    if (k.startsWith("files ") && files.length) {
      text += ` (${files.slice(0, 5).join(", ")}${files.length > 5 ? `, and ${files.length - 5} more` : ""})`;
    }
    changed.push(text);
  }
  return changed.length ? changed.join("; ") : "cached result was removed from the store";
}
