/**
 * The Dockerfile frontend: parser and shell lexer (text → AST, word expansion), typed instructions, and the
 * converter from a Dockerfile to the build graph the solver runs.
 *
 * @example
 * ```ts
 * import { convertDockerfile } from "./mod.ts";
 * const amd64 = { os: "linux", architecture: "amd64" };
 * const graph = await convertDockerfile({
 *   dockerfile: "FROM busybox\nENV GREETING=hi\nRUN echo $GREETING\n",
 *   dockerfilePath: "Dockerfile", buildArgs: {}, labels: {}, contextPath: ".", contextExcludes: [],
 *   platform: amd64, buildPlatform: amd64,
 *   // The caller looks images up in a registry; here a made-up config stands in for busybox.
 *   resolveImage: (ref) => Promise.resolve({ ref, digest: "sha256:" + "0".repeat(64),
 *     config: { ...amd64, rootfs: { type: "layers", diff_ids: [] }, config: { Env: ["PATH=/bin"] } } }),
 * });
 * console.log(graph.stages[graph.target].history.map((h) => h.createdBy));
 * // ["ENV GREETING=hi", "RUN /bin/sh -c echo $GREETING # buildkit"]
 * ```
 * @module
 */
export * from "./parser/mod.ts";
export * from "./shell/mod.ts";
export * from "./instructions/mod.ts";
export * from "./convert/mod.ts";
export { type BuildTarget, formatTargets, listTargets, targetsJson } from "./targets.ts";
