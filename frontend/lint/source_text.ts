/**
 * What the rules need from the source text that the parser's tree does not keep: the instruction keyword as
 * written (the tree lowercases it) and the comment right above an instruction.
 *
 * @module
 */
import type { Node } from "../parser/mod.ts";

/** The source split into lines (a leading BOM dropped), indexed from 1 through `line()`. */
export class SourceLines {
  readonly lines: string[];
  /** Lines holding parser directives (`# check=…`): never a description, though they look like comments. */
  directiveLines = new Set<number>();
  constructor(source: string) {
    this.lines = source.replace(/^\uFEFF/, "").split("\n").map((l) => l.replace(/\r$/, ""));
  }
  line(n: number): string {
    return this.lines[n - 1] ?? "";
  }

  /** The keyword of `node` with its original casing (`From`, `copy`), read from its first line. */
  keyword(node: Node): string {
    const m = /^[ \t]*(\S+)/.exec(this.line(node.startLine));
    const word = m?.[1] ?? "";
    // A line like `RUN\` keeps the escape glued to the keyword; the tree's value has the right length.
    return word.length >= node.value.length && word.slice(0, node.value.length).toLowerCase() === node.value
      ? word.slice(0, node.value.length)
      : node.value;
  }

  /**
   * The comment directly above `node` (without `#` and surrounding space), as BuildKit's parser keeps it for
   * descriptions: an empty line or a bare `#` in between means there is none. `after` is the last line of the
   * previous instruction, so heredoc bodies and continuations are never mistaken for comments.
   */
  commentAbove(node: Node, after: number): string | undefined {
    const n = node.startLine - 1;
    if (n <= after || n < 1 || this.directiveLines.has(n)) return undefined;
    const text = this.line(n).replace(/^[ \t]+/, "");
    if (!text.startsWith("#")) return undefined;
    const comment = text.slice(1).trim();
    return comment === "" ? undefined : comment;
  }
}
