/**
 * The two ways BuildKit's client (buildx / `docker build`) prints build-check warnings: the summary after a build
 * and the report of `docker build --check`.
 *
 * @module
 */
import type { LintWarning } from "./warning.ts";
import { encodeBase64 } from "../../oci/mod.ts";

/** How to print: after a build (optionally `--debug`), or as `docker build --check`. */
export interface FormatOptions {
  mode?: "build" | "check";
  /** Build summary as `docker --debug build` prints it: description, URL and source excerpt per warning. */
  debug?: boolean;
  /** Colour the summary's heading yellow, as buildx does on a terminal. */
  color?: boolean;
}

/**
 * Formats warnings in BuildKit's exact layout.
 *
 * `mode: "build"` (default) is the summary printed to stderr after a build:
 * ```text
 *
 *  2 warnings found (use docker --debug to expand):
 *  - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 3)
 *  - ...
 * ```
 * (empty string when there are no warnings). `mode: "check"` is the `--check` report: a count line, then per
 * warning (sorted by line) `WARNING: Rule - url`, the message, and an excerpt of the Dockerfile with the
 * instruction marked `>>>`; with no warnings, `Check complete, no warnings found.`
 */
export function formatWarnings(
  warnings: LintWarning[],
  dockerfileName: string,
  source: string,
  opts: FormatOptions = {},
): string {
  return opts.mode === "check"
    ? formatCheck(warnings, dockerfileName, source)
    : formatBuildSummary(warnings, dockerfileName, source, opts);
}

/** `Rule: message (line N)`: a warning's one-line form in a build's progress and summary. */
export function shortWarning(w: LintWarning): string {
  return `${w.rule}: ${w.message}` + (w.line > 0 ? ` (line ${w.line})` : "");
}

function formatBuildSummary(warnings: LintWarning[], name: string, source: string, opts: FormatOptions): string {
  if (warnings.length === 0) return "";
  let heading = warnings.length === 1 ? "1 warning found" : `${warnings.length} warnings found`;
  if (!opts.debug) heading += " (use docker --debug to expand)";
  heading += ":\n";
  if (opts.color) heading = `\x1b[33m${heading}\x1b[0m`;
  let out = "\n " + heading;
  for (const w of warnings) {
    out += ` - ${shortWarning(w)}\n`;
    if (!opts.debug) continue;
    out += `${w.description}\n`;
    if (w.url) out += `More info: ${w.url}\n`;
    out += sourceExcerpt(name, source, w.line, w.endLine);
    out += "\n";
  }
  return out;
}

function formatCheck(warnings: LintWarning[], name: string, source: string): string {
  if (warnings.length === 0) return "Check complete, no warnings found.\n";
  let out = `Check complete, ${
    warnings.length === 1 ? "1 warning has" : `${warnings.length} warnings have`
  } been found!\n`;
  // Stable, unlike BuildKit's sort.Slice: equal lines keep the order the rules found them in.
  const sorted = warnings.map((w, i) => [w, i] as const).sort((a, b) => a[0].line - b[0].line || a[1] - b[1]);
  for (const [w] of sorted) {
    out += `\nWARNING: ${w.rule}` + (w.url ? ` - ${w.url}` : "") + `\n${w.message}\n`;
    out += sourceExcerpt(name, source, w.line, w.endLine);
  }
  return out;
}

/**
 * BuildKit's errdefs.Source.Print: `name:line`, a rule, the lines around the range (two around a single line, one
 * around a longer range, as its padding loop works out) with the range marked `>>>`, and a closing rule.
 */
export function sourceExcerpt(name: string, source: string, startLine: number, endLine: number): string {
  const lines = source.split("\n");
  let start = startLine;
  let end = Math.max(endLine, startLine);
  if (start > lines.length || start < 1) return "";
  if (end > lines.length) end = lines.length;
  const pad = end === start ? 4 : 2;
  for (let p = 0; p < pad;) {
    if (start > 1) {
      start--;
      p++;
    }
    if (end !== lines.length) {
      end++;
      p++;
    }
    p++;
  }
  let out = `${name}:${startLine}\n--------------------\n`;
  for (let i = start; i <= end; i++) {
    const marked = i >= startLine && i <= Math.max(endLine, startLine);
    out += ` ${String(i).padStart(3)} | ${marked ? ">>>" : "   "} ${lines[i - 1]}\n`;
  }
  return out + "--------------------\n";
}

/**
 * BuildKit's lint result as JSON (`--call=check,format=json`, buildx prints it indented): each warning with its
 * rule, description, URL, detail and location, and the Dockerfile as the one source (`data` base64).
 */
export function warningsJson(warnings: LintWarning[], file: string, source: string): string {
  const results = {
    warnings: [...warnings].sort((a, b) => a.line - b.line).map((w) => ({
      ruleName: w.rule,
      ...(w.description ? { description: w.description } : {}),
      ...(w.url ? { url: w.url } : {}),
      ...(w.message ? { detail: w.message } : {}),
      location: { ranges: [{ start: { line: w.line }, end: { line: w.endLine } }] },
    })),
    sources: [{ filename: file, language: "Dockerfile", data: encodeBase64(source) }],
  };
  return JSON.stringify(results, null, 2) + "\n";
}
