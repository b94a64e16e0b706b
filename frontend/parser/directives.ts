/**
 * Parser directives (`# syntax=`, `# escape=`, `# check=`). BuildKit only
 * honours them at the very top: the first line that is not a directive (an
 * instruction, an empty line, any other comment, even an unknown `# key=value`)
 * ends the search, and later look-alikes are plain comments.
 *
 * @module
 */
import type { Directive } from "./ast.ts";
import { LineError } from "./errors.ts";
import { trimLeftSpace } from "./split_command.ts";

const validDirectives = new Set(["syntax", "escape", "check"]);
// Go's \s is [\t\n\f\r ]; `.` never crosses a newline.
const reDirective = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** Tracks directives while lines are read, and the escape token they select. */
export class DirectiveParser {
  escapeToken: "\\" | "`" = "\\";
  /** Matches a trailing line-continuation escape, unless the escape is itself escaped. */
  lineContinuation!: RegExp;
  readonly directives: Directive[] = [];
  #done = false;
  #seen = new Set<string>();

  constructor() {
    this.setEscapeToken("\\");
  }

  setEscapeToken(token: string): void {
    if (token !== "`" && token !== "\\") throw new LineError(`invalid escape token '${token}' does not match \` or \\`);
    this.escapeToken = token;
    const e = token === "\\" ? "\\\\" : "`";
    this.lineContinuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  }

  /** Looks at one line (already left-trimmed when it starts an instruction); records a directive if it is one. */
  parseLine(line: string, lineNumber: number): void {
    if (this.#done) return;
    if (!line.startsWith("#")) {
      this.#done = true;
      return;
    }
    const m = reDirective.exec(trimLeftSpace(line.slice(1)));
    const name = m?.[1].toLowerCase();
    if (!m || !validDirectives.has(name!)) {
      this.#done = true;
      return;
    }
    if (this.#seen.has(name!)) throw new LineError(`only one ${name} parser directive can be used`);
    this.#seen.add(name!);
    if (name === "escape") this.setEscapeToken(m[2]);
    this.directives.push({ name: name!, value: m[2], line: lineNumber });
  }
}
