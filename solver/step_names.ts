import type { Graph, VertexId } from "../graph/mod.ts";

/**
 * BuildKit-style display names for steps (`[build 2/4] RUN make`), and which stage each vertex belongs to (for
 * `--no-cache-filter`). Derived from the stages' history, so the frontend needs no extra bookkeeping.
 */
export function stepNames(graph: Graph): { names: Map<VertexId, string>; stageOf: Map<VertexId, number> } {
  const names = new Map<VertexId, string>();
  const stageOf = new Map<VertexId, number>();
  for (const stage of graph.stages) {
    const label = stage.name ?? `stage-${stage.index}`;
    const steps = stage.history.filter((h) => h.vertex !== undefined);
    const total = steps.length + 1;
    // The FROM vertex: walk the input chain from the root to its start.
    let base = stage.root;
    for (let guard = 0; guard < graph.vertices.length; guard++) {
      const v = graph.vertices[base];
      if ((v.kind === "exec" || v.kind === "file") && v.input !== null) base = v.input;
      else if (v.kind === "merge") base = v.inputs[0];
      else break;
    }
    const bv = graph.vertices[base];
    if (!names.has(base)) {
      names.set(base, `[${label} 1/${total}] FROM ${bv.kind === "image" ? `${bv.ref.split("@")[0]}@${bv.digest}` : bv.kind}`);
    }
    steps.forEach((h, i) => {
      const id = h.vertex!;
      stageOf.set(id, stage.index);
      const v = graph.vertices[id];
      // A linked COPY runs as the file vertex under its merge: that is the step the user sees.
      if (v.kind === "merge") {
        const linked = v.inputs[v.inputs.length - 1];
        const lv = graph.vertices[linked];
        if (lv.kind === "file" && lv.location) names.set(linked, `[${label} ${i + 2}/${total}] ${lv.location.text}`);
        stageOf.set(linked, stage.index);
      }
      const text = "location" in v && v.location ? v.location.text : h.createdBy.replace(/ # buildkit$/, "").replace(/^\|\d+ (\S+=\S* )*/, "");
      if (!names.has(id)) names.set(id, `[${label} ${i + 2}/${total}] ${text}`);
    });
  }
  graph.vertices.forEach((v, id) => {
    if (!names.has(id) && "location" in v && v.location) names.set(id, v.location.text);
    if (!names.has(id) && v.kind === "local") names.set(id, `[internal] load build context ${v.name}`);
  });
  return { names, stageOf };
}
