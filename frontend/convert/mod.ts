/**
 * Dockerfile → build graph conversion, following BuildKit's dockerfile2llb: stages, ARG scoping, variable
 * expansion, image config and history per stage.
 *
 * @example
 * ```ts
 * import { convertDockerfile } from "./mod.ts";
 * const graph = await convertDockerfile({
 *   dockerfile: "FROM scratch\nCOPY hello /\nCMD [\"/hello\"]\n", dockerfilePath: "Dockerfile",
 *   buildArgs: {}, labels: {}, contextPath: "/tmp", contextExcludes: [],
 *   platform: { os: "linux", architecture: "amd64" }, buildPlatform: { os: "linux", architecture: "amd64" },
 *   resolveImage: () => Promise.reject(new Error("no registry in this example")),
 * });
 * console.log(graph.stages[graph.target].history.map((h) => h.createdBy));
 * ```
 * @module
 */
export { convertDockerfile, type ConvertOptions, outlineDockerfile, type ResolvedImage } from "./convert.ts";
export { formatOutline, type Outline, type OutlineArg, type OutlineNeed } from "./outline.ts";
export { isImageReference, platformArgs, PROXY_ARGS } from "./args.ts";
export { HISTORY_COMMENT, runCommandString } from "./history.ts";
