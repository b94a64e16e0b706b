/**
 * `--call=targets`: the stages a Dockerfile can build, as BuildKit's Dockerfile frontend lists them (ListTargets)
 * and buildx prints them: every stage in order, its name, the description from a `# <name> <description>` comment
 * above its FROM, the last one marked `(default)`. Only parsed: nothing is resolved or built.
 *
 * @example
 * ```ts
 * import { formatTargets, listTargets } from "./targets.ts";
 * const df = "# build compiles the app\nFROM busybox AS build\nFROM busybox\n";
 * console.log(formatTargets(listTargets(df, "Dockerfile")));
 * ```
 * @module
 */
import { parseDockerfile } from "./parser/mod.ts";
import { parseDockerfileSpec } from "./instructions/mod.ts";
import { commentsAbove, describedAs } from "./prev_comments.ts";
import { encodeBase64 } from "../oci/mod.ts";

/** One buildable stage. */
export interface BuildTarget {
  /** The `AS` name ("" for an unnamed stage). */
  name: string;
  description: string;
  /** The stage built without `--target`. */
  default: boolean;
  base: string;
  platform?: string;
  line: number;
}

/** The stages of `source`; a Dockerfile that does not parse throws its DockerfileError. */
export function listTargets(source: string, file: string): BuildTarget[] {
  const spec = parseDockerfileSpec(parseDockerfile(source, { file }), file);
  const comments = commentsAbove(source, spec);
  const out: BuildTarget[] = [];
  for (const s of spec.stages) {
    const start = s.from.location.startLine;
    const name = s.name ?? ""; // lowercased, as BuildKit keeps stage names
    out.push({
      name,
      description: describedAs(comments(start), name),
      default: s.index === spec.stages.length - 1,
      base: s.from.image,
      ...(s.from.platform ? { platform: s.from.platform } : {}),
      line: start,
    });
  }
  return out;
}

/** buildx's table (a tabwriter with one space of padding): `TARGET DESCRIPTION`, then a row per stage. */
export function formatTargets(targets: BuildTarget[]): string {
  const rows = [
    ["TARGET", "DESCRIPTION"],
    ...targets.map((t) => {
      const name = t.default ? (t.name ? `${t.name} (default)` : "(default)") : t.name;
      return [name, t.description];
    }),
  ];
  const width = Math.max(...rows.map((r) => r[0].length)) + 1;
  return rows.map(([a, b]) => a.padEnd(width) + b).join("\n") + "\n";
}

/** BuildKit's `frontend.targets` result as JSON (buildx prints it with `--call=targets,format=json`). */
export function targetsJson(targets: BuildTarget[], source: string): string {
  const list = {
    targets: targets.map((t) => ({
      ...(t.name ? { name: t.name } : {}),
      ...(t.default ? { default: true } : {}),
      ...(t.description ? { description: t.description } : {}),
      ...(t.base ? { base: t.base } : {}),
      ...(t.platform ? { platform: t.platform } : {}),
      location: { ranges: [{ start: { line: t.line }, end: { line: t.line } }] },
    })),
    sources: [encodeBase64(source)],
  };
  return JSON.stringify(list, null, 2) + "\n";
}
