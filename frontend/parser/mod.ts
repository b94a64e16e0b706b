/**
 * The Dockerfile parser: source text → a syntax tree shaped like BuildKit's
 * `parser.Node`, with BuildKit's rules for line continuations, comments, parser
 * directives (`# syntax=`, `# escape=`, `# check=`), CRLF, a UTF-8 BOM, the
 * JSON (exec) form, per-instruction argument splitting, `--flags` and heredocs.
 * Variables are not expanded here (see `../shell/mod.ts`).
 *
 * @example
 * ```ts
 * import { parseDockerfile, validateInstructions } from "./mod.ts";
 *
 * const result = parseDockerfile(
 *   "# syntax=docker/dockerfile:1\nFROM busybox\nCOPY --chmod=644 <<EOF /etc/motd\nhello\nEOF\nCMD [\"cat\", \"/etc/motd\"]\n",
 *   { file: "Dockerfile" },
 * );
 * validateInstructions(result.ast, "Dockerfile");
 * console.log(result.directives); // [{ name: "syntax", value: "docker/dockerfile:1", line: 1 }]
 * console.log(result.ast.children[1].heredocs[0].content); // "hello\n"
 * console.log(result.dump());
 * // (from "busybox")
 * // (copy ["--chmod=644"] "<<EOF" "/etc/motd")
 * // (cmd "cat" "/etc/motd")
 * ```
 *
 * @module
 */
export type { Directive, Heredoc, Node, ParseResult, Warning } from "./ast.ts";
export { parseDockerfile } from "./parser.ts";
export { DockerfileParseError } from "./errors.ts";
export { suggestInstruction, validateInstructions } from "./validate.ts";
export { chompHeredocContent, parseHeredoc } from "./heredoc.ts";
export { dumpNode } from "./dump.ts";
export { knownInstructions } from "./line_parsers.ts";
