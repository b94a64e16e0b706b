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
  const lines = source.replace(/^\uFEFF/, "").split("\n").map((l) => l.replace(/\r$/, ""));
  let previousEnd = Math.max(0, ...spec.metaArgs.map((a) => a.location.endLine));
  const out: BuildTarget[] = [];
  for (const s of spec.stages) {
    const start = s.from.location.startLine;
    // The comment lines since the previous instruction, as BuildKit's parser keeps them (PrevComment).
    const comments: string[] = [];
    for (let n = start - 1; n > previousEnd && n >= 1; n--) {
      const text = lines[n - 1].trim();
      if (text.startsWith("#")) comments.unshift(text.slice(1).trim());
      else if (text !== "") break;
    }
    const name = s.name ?? ""; // lowercased, as BuildKit keeps stage names
    const described = name ? comments.find((c) => c.startsWith(`${name} `)) : undefined;
    out.push({
      name,
      description: described ? described.slice(name.length + 1) : "",
      default: s.index === spec.stages.length - 1,
      base: s.from.image,
      ...(s.from.platform ? { platform: s.from.platform } : {}),
      line: start,
    });
    previousEnd = s.commands.at(-1)?.location.endLine ?? s.from.location.endLine;
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
