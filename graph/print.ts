import type { Graph, Vertex } from "./types.ts";

/** One target platform's graph, for printing a multi-platform build. */
export interface PlatformGraph {
  platform: string;
  graph: Graph;
}

function graphObject(graph: Graph) {
  return {
    target: graph.stages[graph.target]?.name ?? graph.target,
    vertices: graph.vertices.map((v, id) => ({ id, ...v })),
    stages: graph.stages.map((s) => ({ name: s.name, index: s.index, root: s.root, steps: s.history.map((h) => h.createdBy) })),
  };
}

/**
 * The graph as indented JSON (`--print=graph`): vertices with ids, stages, target. Several platforms' graphs print
 * as `{ "platforms": [{ "platform", …graph }] }`, since each has its own base images and build args.
 */
export function graphToJson(graph: Graph | PlatformGraph[]): string {
  const doc = Array.isArray(graph)
    ? { platforms: graph.map((g) => ({ platform: g.platform, ...graphObject(g.graph) })) }
    : graphObject(graph);
  return JSON.stringify(doc, null, 2) + "\n";
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

const q = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 57) + "..." : s);

/** One graph's nodes and edges, node names led by `p` so several graphs can share a file. */
function dotBody(graph: Graph, p: string, indent: string): string[] {
  const lines: string[] = [];
  graph.vertices.forEach((v, id) => {
    lines.push(`${indent}${p}v${id} [label=${q(label(v))}${v.kind === "image" || v.kind === "local" ? ", shape=ellipse" : ""}];`);
    for (const e of edges(v)) lines.push(`${indent}${p}v${e.from} -> ${p}v${id} [label=${q(e.label)}];`);
  });
  for (const s of graph.stages) {
    lines.push(`${indent}${p}s${s.index} [label=${q(`stage ${s.name ?? s.index}`)}, shape=note]; ${p}v${s.root} -> ${p}s${s.index};`);
  }
  return lines;
}

/** The graph in Graphviz DOT (`--print=graph-dot`); several platforms' graphs are one cluster each. */
export function graphToDot(graph: Graph | PlatformGraph[]): string {
  const lines = ["digraph tsbuild {", "  rankdir=BT;", "  node [shape=box];"];
  if (Array.isArray(graph)) {
    graph.forEach((g, i) => {
      lines.push(`  subgraph cluster_${i} {`, `    label=${q(g.platform)};`, ...dotBody(g.graph, `p${i}_`, "    "), "  }");
    });
  } else lines.push(...dotBody(graph, "", "  "));
  lines.push("}");
  return lines.join("\n") + "\n";
}
