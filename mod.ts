/**
 * tsbuild: a rootless, daemonless container image builder.
 *
 * The library API: run a whole build with {@link build}, or use the pieces: the Dockerfile parser and shell lexer,
 * the converter to the build graph, the registry client, and the OCI types.
 *
 * @example
 * ```ts
 * import { parseDockerfile, ShellLex } from "./mod.ts";
 * const df = parseDockerfile("FROM busybox\nRUN echo $HOME\n");
 * console.log(df.dump());
 * console.log(new ShellLex().processWord("${A:-fallback}", {}));
 * ```
 * @module
 */
export { build, type BuildRequest, type BuildResult, DockerfileNotFoundError, type OutputSpec } from "./build/mod.ts";
export * from "./frontend/mod.ts";
export * from "./graph/mod.ts";
export * from "./oci/mod.ts";
export { parseReference, type Reference, RegistryClient, RegistryError, type RegistryOptions } from "./registry/mod.ts";
export { TsbuildError } from "./errors.ts";
export { VERSION } from "./version.ts";
