/**
 * Typed Dockerfile instructions: flag validation, argument shapes and `RUN --mount` options, from the parser's AST.
 *
 * @example
 * ```ts
 * import { parseDockerfile } from "../parser/mod.ts";
 * import { parseDockerfileSpec } from "./mod.ts";
 * const spec = parseDockerfileSpec(parseDockerfile("FROM busybox AS base\nRUN echo hi\n"), "Dockerfile");
 * console.log(spec.stages[0].name, spec.stages[0].commands[0].kind); // base run
 * ```
 * @module
 */
export * from "./types.ts";
export { DockerfileError } from "./errors.ts";
export { isValidChmod, KEYWORDS, parseDockerfileSpec, parseInstruction } from "./parse.ts";
export { type MountSpec, parseMount } from "./mount.ts";
export { parseSize, splitCsv } from "./spec_values.ts";
export { type FlagKind, type FlagSpec, type ParsedFlags, parseFlags } from "./flags.ts";
export { formatGoDuration, parseGoDuration } from "./duration.ts";
export { levenshtein, suggest } from "./suggest.ts";
