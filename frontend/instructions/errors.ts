import { TsbuildError } from "../../errors.ts";

/**
 * A semantic problem in a Dockerfile (bad flag, unknown stage, invalid value). The message starts with
 * `file:line:` so the user can jump straight to the instruction.
 */
export class DockerfileError extends TsbuildError {
  file: string;
  line?: number;
  /** The message without the location prefix, for callers that format locations themselves. */
  detail: string;
  constructor(file: string, line: number | undefined, detail: string, options?: { cause?: unknown }) {
    super(line === undefined ? `${file}: ${detail}` : `${file}:${line}: ${detail}`, options);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}
