/**
 * The comments above an instruction, as BuildKit's parser keeps them (`Node.PrevComment`): the comment lines
 * since the previous instruction, where an empty `#` starts the list again. A stage's or an ARG's description is
 * the comment that starts with its name (`# build compiles the app`, `# VERSION of the toolchain`).
 *
 * @example
 * ```ts
 * import { describedAs, prevComments, sourceLines } from "./prev_comments.ts";
 * const lines = sourceLines("# VERSION of go\nARG VERSION=1.22\n");
 * console.log(describedAs(prevComments(lines, 2, 0), "VERSION")); // "of go"
 * ```
 * @module
 */
import type { DockerfileSpec } from "./instructions/mod.ts";

/** The Dockerfile's lines (1-based line N is index N-1), without a BOM or CRs. */
export function sourceLines(source: string): string[] {
  return source.replace(/^\uFEFF/, "").split("\n").map((l) => l.replace(/\r$/, ""));
}

/** The comment texts (without `#`, trimmed) between line `previousEnd` and the instruction at `startLine`. */
export function prevComments(lines: string[], startLine: number, previousEnd: number): string[] {
  const out: string[] = [];
  for (let n = startLine - 1; n > previousEnd && n >= 1; n--) {
    const text = lines[n - 1].trim();
    if (text === "") continue;
    if (!text.startsWith("#")) break;
    const comment = text.slice(1).trim();
    if (comment === "") break; // BuildKit drops the comments gathered before an empty one
    out.unshift(comment);
  }
  return out;
}

/**
 * The comments above each instruction of `spec` (by the line it starts on): {@link prevComments} with the end of the
 * instruction before it, whichever stage or global ARG that was.
 */
export function commentsAbove(source: string, spec: DockerfileSpec): (startLine: number) => string[] {
  const lines = sourceLines(source);
  const previousEnd = new Map<number, number>();
  const all = [
    ...spec.metaArgs.map((a) => a.location),
    ...spec.stages.flatMap((s) => [s.from.location, ...s.commands.map((c) => c.location)]),
  ].sort((a, b) => a.startLine - b.startLine);
  let end = 0;
  for (const loc of all) {
    previousEnd.set(loc.startLine, end);
    end = loc.endLine;
  }
  return (startLine) => prevComments(lines, startLine, previousEnd.get(startLine) ?? 0);
}

/** BuildKit's getComment: the rest of the first comment that starts with `name` and a space, else "". */
export function describedAs(comments: string[], name: string): string {
  if (name === "") return "";
  const hit = comments.find((c) => c.startsWith(`${name} `));
  return hit === undefined ? "" : hit.slice(name.length + 1);
}
