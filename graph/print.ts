import type { Graph, Vertex } from "./types.ts";

/** The graph as indented JSON (`--print=graph`): vertices with ids, stages, target. */
export function graphToJson(graph: Graph): string {
  return JSON.stringify({
    target: graph.stages[graph.target]?.name ?? graph.target,
    vertices: graph.vertices.map((v, id) => ({ id, ...v })),
    stages: graph.stages.map((s) => ({ name: s.name, index: s.index, root: s.root, steps: s.history.map((h) => h.createdBy) })),
  }, null, 2) + "\n";
}

/** Inputs a vertex reads, with the edge's meaning, for DOT output. */
function edges(v: Vertex): { from: number; label: string }[] {
  const out: { from: number; label: string }[] = [];
  if ((v.kind === "exec" || v.kind === "file") && v.input !== null) out.push({ from: v.input, label: "rootfs" });
  if (v.kind === "exec") {
    for (const m of v.mounts) if ((m.type === "bind" || m.type === "cache") && m.from !== undefined) out.push({ from: m.from, label: `mount ${m.target}` });
  }
  if (v.kind === "file") {
    for (const a of v.actions) if (a.action === "copy") out.push({ from: a.from, label: `copy ${a.src.join(" ")}` });
  }
  if (v.kind === "merge") v.inputs.forEach((i, n) => out.push({ from: i, label: n === 0 ? "lower" : "linked" }));
  return out;
}

function label(v: Vertex): string {
  switch (v.kind) {
    case "image":
      return `image ${v.ref}`;
    case "scratch":
      return "scratch";
    case "local":
      return `local ${v.name}`;
    case "exec":
      return v.location?.text ?? `exec ${v.args.join(" ")}`;
    case "file":
      return v.location?.text ?? `file ${v.actions.map((a) => a.action).join(",")}`;
    case "merge":
      return `merge ${v.location?.text ?? ""}`.trim();
  }
}

/** The graph in Graphviz DOT (`--print=graph-dot`). */
export function graphToDot(graph: Graph): string {
  const q = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s);
  const lines = ["digraph tsbuild {", "  rankdir=BT;", "  node [shape=box];"];
  graph.vertices.forEach((v, id) => {
    lines.push(`  v${id} [label=${q(label(v))}${v.kind === "image" || v.kind === "local" ? ", shape=ellipse" : ""}];`);
    for (const e of edges(v)) lines.push(`  v${e.from} -> v${id} [label=${q(e.label)}];`);
  });
  for (const s of graph.stages) lines.push(`  s${s.index} [label=${q(`stage ${s.name ?? s.index}`)}, shape=note]; v${s.root} -> s${s.index};`);
  lines.push("}");
  return lines.join("\n") + "\n";
}
