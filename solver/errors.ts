import { TsbuildError } from "../errors.ts";
import type { SourceLocation } from "../graph/mod.ts";

/** Renders the Dockerfile excerpt BuildKit prints under a failed step. */
export function excerpt(loc: SourceLocation | undefined, source?: string): string {
  if (!loc) return "";
  const lines = source?.split(/\r?\n/);
  const out = [`${loc.file}:${loc.startLine}`, "--------------------"];
  if (lines) {
    const from = Math.max(1, loc.startLine - 2);
    const to = Math.min(lines.length, loc.endLine + 2);
    for (let n = from; n <= to; n++) {
      const mark = n >= loc.startLine && n <= loc.endLine ? ">>>" : "   ";
      out.push(`${String(n).padStart(4)} | ${mark} ${lines[n - 1]}`);
    }
  } else {
    out.push(`${String(loc.startLine).padStart(4)} | >>> ${loc.text}`);
  }
  out.push("--------------------");
  return out.join("\n");
}

/** A RUN that exited non-zero: names the Dockerfile line, the command, its exit code and its last output. */
export class RunFailedError extends TsbuildError {
  constructor(
    readonly location: SourceLocation | undefined,
    readonly command: string,
    readonly processExitCode: number,
    readonly tail: string[],
    source?: string,
  ) {
    const where = location ? `${location.file}:${location.startLine}: ` : "";
    super(
      [
        ...(tail.length ? ["last output:", ...tail.map((l) => `  ${l}`)] : []),
        excerpt(location, source),
        `${where}process "${command}" did not complete successfully: exit code: ${processExitCode}`,
      ].filter(Boolean).join("\n"),
    );
  }
}

/** Any other step failure, wrapped with the step's location. */
export class StepFailedError extends TsbuildError {
  constructor(readonly location: SourceLocation | undefined, cause: unknown, source?: string) {
    const word = location?.text.split(/\s/)[0];
    let msg = cause instanceof Error ? cause.message : String(cause);
    // File operations already say "COPY failed: ..."; once is enough.
    if (word && msg.startsWith(`${word} failed: `)) msg = msg.slice(word.length + 9);
    const where = location ? `${location.file}:${location.startLine}: ` : "";
    super([excerpt(location, source), `${where}${word ? word + " failed: " : ""}${msg}`].filter(Boolean).join("\n"), { cause });
    if (cause instanceof TsbuildError) this.exitCode = cause.exitCode;
  }
}

/** The build was cancelled (Ctrl-C, SIGTERM, or a sibling step failed first). */
export class BuildCancelledError extends TsbuildError {
  constructor() {
    super("build cancelled");
    this.exitCode = 130;
  }
}
