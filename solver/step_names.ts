import type { Graph, VertexId } from "../graph/mod.ts";

/**
 * BuildKit-style display names for steps (`[build 2/4] RUN make`; `platform` is set in a multi-platform build),
 * and which stage each vertex belongs to (for `--no-cache-filter`). Derived from the stages' history, so the
 * frontend needs no extra bookkeeping.
 */
export function stepNames(
  graph: Graph,
  platform?: string,
): { names: Map<VertexId, string>; stageOf: Map<VertexId, number> } {
  const names = new Map<VertexId, string>();
  const stageOf = new Map<VertexId, number>();
  // As BuildKit: the stage goes into the label only when the Dockerfile has several, FROM is a step only when it
  // pulls an image (not scratch, not another stage), and the index is padded to the total's width ([ 3/12]).
  const multi = graph.stages.length > 1;
  for (const stage of graph.stages) {
    // A multi-platform build names each platform's steps by it too: [linux/arm64 build 2/4].
    const prefix = (platform ? `${platform} ` : "") + (multi ? `${stage.name ?? `stage-${stage.index}`} ` : "");
    // A stage built FROM an earlier one carries that one's history: those steps are the earlier stage's.
    const steps = stage.history.filter((h) => h.vertex !== undefined && !stageOf.has(h.vertex));
    const first = steps.length ? graph.vertices[steps[0].vertex!] : undefined;
    const base = first === undefined
      ? stage.root
      : first.kind === "merge"
      ? first.inputs[0]
      : (first.kind === "exec" || first.kind === "file") && first.input !== null
      ? first.input
      : undefined;
    const bv = base === undefined ? undefined : graph.vertices[base];
    const fromStep = bv?.kind === "image" ? 1 : 0;
    const total = steps.length + fromStep;
    const label = (n: number) => `[${prefix}${String(n).padStart(String(total).length)}/${total}]`;
    if (bv?.kind === "image" && !names.has(base!)) {
      names.set(base!, `${label(1)} FROM ${bv.ref.split("@")[0]}@${bv.digest}`);
    }
    steps.forEach((h, i) => {
      const id = h.vertex!;
      const n = i + 1 + fromStep;
      stageOf.set(id, stage.index);
      const v = graph.vertices[id];
      // A linked COPY runs as the file vertex under its merge: that is the step the user sees.
      if (v.kind === "merge") {
        const linked = v.inputs[v.inputs.length - 1];
        const lv = graph.vertices[linked];
        if (lv.kind === "file" && lv.location) names.set(linked, `${label(n)} ${lv.location.text}`);
        stageOf.set(linked, stage.index);
      }
      const text = "location" in v && v.location
        ? v.location.text
        : h.createdBy.replace(/ # buildkit$/, "").replace(/^\|\d+ (\S+=\S* )*/, "");
      if (!names.has(id)) names.set(id, `${label(n)} ${text}`);
    });
  }
  graph.vertices.forEach((v, id) => {
    if (!names.has(id) && "location" in v && v.location) names.set(id, v.location.text);
    if (!names.has(id) && v.kind === "local") names.set(id, `[internal] load build context ${v.name}`);
  });
  return { names, stageOf };
}
