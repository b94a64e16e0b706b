import { TsbuildError } from "../../errors.ts";

/** Where a parse error happened, and the text to show. */
export interface ParseErrorLocation {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column, when known. */
  column?: number;
  /** The offending source line (or the instruction as written), shown under the message. */
  source?: string;
}

/**
 * A Dockerfile could not be parsed or contains an unknown instruction. The
 * message names the file and line, says why, and shows the offending line:
 *
 *     Dockerfile:3: ENV must have two arguments
 *         3 | ENV PATH
 */
export class DockerfileParseError extends TsbuildError {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  /** The reason alone, without location or source line. */
  readonly reason: string;

  constructor(reason: string, location: ParseErrorLocation, options?: { cause?: unknown }) {
    const where = `${location.file}:${location.line}${location.column ? `:${location.column}` : ""}`;
    const shown = location.source === undefined
      ? ""
      : "\n" + location.source.split("\n").map((l, i) => `${String(location.line + i).padStart(5)} | ${l}`).join("\n");
    super(`${where}: ${reason}${shown}`, options);
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.reason = reason;
  }
}

/** A failure inside the parser before its location is known; parseDockerfile adds file and line. */
export class LineError extends Error {}
