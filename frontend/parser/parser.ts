/**
 * The Dockerfile parser: lines → instruction nodes, with BuildKit's rules for
 * continuations, comments, directives, heredocs and line numbers.
 *
 * @module
 */
import type { Node, ParseResult, Warning } from "./ast.ts";
import { DirectiveParser } from "./directives.ts";
import { dumpNode } from "./dump.ts";
import { DockerfileParseError, LineError } from "./errors.ts";
import { canContainHeredoc, chompHeredocContent, heredocsFromLine } from "./heredoc.ts";
import { newNode, newNodeFromLine } from "./line_parsers.ts";
import { trimLeftSpace } from "./split_command.ts";

/** bufio.Scanner's default limit, which BuildKit keeps: a longer line is an error. */
const maxLineBytes = 64 * 1024;
const encoder = new TextEncoder();

/** Splits into lines that keep their `\n`, as BuildKit's scanner does (so heredoc bodies keep them too). */
function scanLines(source: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < source.length) {
    const nl = source.indexOf("\n", start);
    const end = nl < 0 ? source.length : nl + 1;
    lines.push(source.slice(start, end));
    start = end;
  }
  return lines;
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, "");
const isComment = (line: string): boolean => trimLeftSpace(trimNewline(line)).startsWith("#");
const isEmptyContinuationLine = (line: string): boolean => trimLeftSpace(trimNewline(line)).length === 0;

/**
 * Parses a Dockerfile. Unknown instruction keywords are kept (BuildKit's
 * parser accepts them); call {@link validateInstructions} to reject them.
 * Throws {@link DockerfileParseError} naming `options.file` (default `Dockerfile`).
 */
export function parseDockerfile(source: string, options: { file?: string } = {}): ParseResult {
  const file = options.file ?? "Dockerfile";
  const lines = scanLines(source);
  const d = new DirectiveParser();
  const root = newNode("");
  root.startLine = -1;
  const warnings: Warning[] = [];
  let index = 0;
  let currentLine = 0;
  let tooLong = false;

  /** The next raw line, or undefined at the end (or at a line too long, which ends the scan like Go's). */
  const scan = (): string | undefined => {
    const line = lines[index];
    if (line === undefined) return undefined;
    if (line.length > maxLineBytes / 3 && encoder.encode(line).length > maxLineBytes) {
      tooLong = true;
      index = lines.length;
      return undefined;
    }
    index++;
    return line;
  };
  const fail = (e: unknown, line: number, source?: string): never => {
    if (e instanceof LineError) throw new DockerfileParseError(e.message, { file, line, source });
    throw e;
  };
  /** Directive check plus comment stripping, for one raw line. */
  const processLine = (raw: string, stripLeft: boolean, lineNumber: number): string => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    try {
      d.parseLine(token, lineNumber);
    } catch (e) {
      fail(e, lineNumber, trimNewline(raw));
    }
    return token.startsWith("#") ? "" : token;
  };
  /** Strips a trailing continuation escape; reports whether the instruction ends on this line. */
  const trimContinuation = (line: string): [string, boolean] => {
    if (!d.lineContinuation.test(line)) return [line, true];
    return [line.replace(d.lineContinuation, "$1"), false];
  };

  for (let raw = scan(); raw !== undefined; raw = scan()) {
    if (currentLine === 0 && raw.startsWith("\uFEFF")) raw = raw.slice(1);
    const processed = processLine(raw, true, currentLine + 1);
    currentLine++;
    const startLine = currentLine;
    let [line, isEndOfLine] = trimContinuation(processed);
    if (isEndOfLine && line === "") continue;

    let hasEmptyContinuationLine = false;
    while (!isEndOfLine) {
      const next = scan();
      if (next === undefined) break;
      const cont = processLine(next, false, currentLine + 1);
      currentLine++;
      // A comment inside a continued instruction is skipped, not ended at.
      if (isComment(next)) continue;
      if (isEmptyContinuationLine(cont)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      let part: string;
      [part, isEndOfLine] = trimContinuation(cont);
      line += part;
    }
    if (hasEmptyContinuationLine) {
      warnings.push({ message: `Empty continuation line found in: ${line}`, line: startLine });
    }

    let child: Node;
    try {
      child = newNodeFromLine(line, d.escapeToken);
    } catch (e) {
      return fail(e, startLine, lines.slice(startLine - 1, currentLine).map(trimNewline).join("\n"));
    }

    if (canContainHeredoc(child)) {
      let heredocs;
      try {
        heredocs = heredocsFromLine(line);
      } catch (e) {
        return fail(e, startLine, line);
      }
      for (const heredoc of heredocs) {
        let terminated = false;
        for (let body = scan(); body !== undefined; body = scan()) {
          currentLine++;
          let candidate = trimNewline(body);
          if (heredoc.chomp) candidate = candidate.replace(/^\t+/, "");
          if (candidate === heredoc.name) {
            terminated = true;
            break;
          }
          heredoc.content += body;
        }
        if (!terminated) {
          throw new DockerfileParseError(`unterminated heredoc <<${heredoc.name} (no line "${heredoc.name}" ends it)`, {
            file,
            line: startLine,
            source: line,
          });
        }
        if (heredoc.chomp) heredoc.content = chompHeredocContent(heredoc.content);
        child.heredocs.push(heredoc);
      }
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
  }

  if (root.startLine < 0) {
    throw new DockerfileParseError("file with no instructions", { file, line: Math.max(currentLine, 1) });
  }
  if (tooLong) {
    throw new DockerfileParseError(`dockerfile line greater than max allowed size of ${maxLineBytes - 1}`, {
      file,
      line: currentLine + 1,
    });
  }
  const ast = root;
  return {
    ast,
    escapeToken: d.escapeToken,
    directives: d.directives,
    warnings,
    dump: () => dumpNode(ast) + "\n",
  };
}
