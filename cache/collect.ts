import type { Graph, VertexId } from "../graph/mod.ts";
import type { CacheRecord, VertexResult } from "../solver/mod.ts";
import type { CacheMode } from "./spec.ts";

/** What an export needs of a solved step. */
export type ExportRecord = Pick<CacheRecord, "key" | "layers" | "empty" | "created">;

/**
 * The step results a cache export carries: for `min` the steps along the target stage's filesystem chain (what the
 * final image is made of, as BuildKit's min mode), for `max` every step the build solved, in every stage.
 */
export function exportRecords(graph: Graph, results: Map<VertexId, VertexResult>, mode: CacheMode): ExportRecord[] {
  const ids: VertexId[] = [];
  if (mode === "max") ids.push(...results.keys());
  else {
    const seen = new Set<VertexId>();
    const stack: VertexId[] = [graph.stages[graph.target].root];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      ids.push(id);
      const v = graph.vertices[id];
      if ((v.kind === "exec" || v.kind === "file") && v.input !== null) stack.push(v.input);
      else if (v.kind === "merge") stack.push(...v.inputs);
    }
  }
  const out: ExportRecord[] = [];
  for (const id of ids.sort((a, b) => a - b)) {
    const v = graph.vertices[id];
    const r = results.get(id);
    if ((v?.kind !== "exec" && v?.kind !== "file") || r?.kind !== "fs") continue;
    out.push({ key: r.key, layers: r.layers, empty: r.empty, created: r.created ?? new Date().toISOString() });
  }
  return out;
}
