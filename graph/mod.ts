/**
 * The build graph IR: typed vertices with inputs, a deterministic digest per vertex, and JSON/DOT printing.
 *
 * @example
 * ```ts
 * import { type Graph } from "./mod.ts";
 * const g: Graph = { vertices: [{ kind: "scratch" }], stages: [], target: 0 };
 * console.log(g.vertices.length);
 * ```
 * @module
 */
export * from "./types.ts";
export { graphToDot, graphToJson, type PlatformGraph } from "./print.ts";
