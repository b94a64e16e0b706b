/**
 * `--call=outline`: what a build target takes from its user, as BuildKit's Dockerfile frontend answers the
 * `frontend.outline` subrequest and buildx prints it. The converter reports here, while it converts the stages the
 * target reaches, every ARG (global and per stage, with its value and the `# NAME description` comment above it),
 * which global ARGs a FROM used, and every secret and SSH mount; {@link OutlineCapture.outline} then walks from the
 * target through the stages it uses, as BuildKit does: a stage's own definition of a name first, then its base's,
 * then those of the stages it copies or mounts from, sorted by line.
 *
 * @example
 * ```ts
 * import { formatOutline } from "./outline.ts";
 * console.log(formatOutline({ name: "build", args: [{ name: "GO", value: "1.22", location: { ranges: [] } }] }));
 * ```
 * @module
 */
import type { SourceLocation } from "../../graph/mod.ts";
import { encodeBase64 } from "../../oci/mod.ts";
import type { ArgDecl, DockerfileSpec } from "../instructions/mod.ts";
import { commentsAbove, describedAs } from "../prev_comments.ts";

/** BuildKit's pb.Location as JSON: the instruction's lines. */
export interface OutlineLocation {
  ranges: { start: { line: number }; end: { line: number } }[];
}

export interface OutlineArg {
  name: string;
  description?: string;
  value?: string;
  location: OutlineLocation;
}

export interface OutlineNeed {
  name: string;
  required?: boolean;
  location: OutlineLocation;
}

/** The result, field for field BuildKit's outline.Outline (buildx prints it as JSON with `format=json`). */
export interface Outline {
  name?: string;
  description?: string;
  args?: OutlineArg[];
  secrets?: OutlineNeed[];
  ssh?: OutlineNeed[];
  /** The Dockerfile, base64 (Go's []byte in JSON). */
  sources?: string[];
}

interface ArgInfo {
  name: string;
  value?: string;
  description: string;
  location: SourceLocation;
  /** Global ARGs its default named (using it uses them). */
  deps: Set<string>;
  order: number;
}

interface Need {
  required: boolean;
  location: SourceLocation;
}

interface StageCapture {
  args: Map<string, ArgInfo>;
  used: Set<string>;
  secrets: Map<string, Need>;
  ssh: Map<string, Need>;
}

/** Collects what the converter sees; one per conversion. */
export class OutlineCapture {
  #source: string;
  #spec: DockerfileSpec;
  #comments: (startLine: number) => string[];
  #global = new Map<string, ArgInfo>();
  #stages = new Map<number, StageCapture>();
  #order = 0;

  constructor(source: string, spec: DockerfileSpec) {
    this.#source = source;
    this.#spec = spec;
    this.#comments = commentsAbove(source, spec);
  }

  #info(decl: ArgDecl, location: SourceLocation, value: string | undefined, deps: Set<string>): ArgInfo {
    return {
      name: decl.key,
      ...(value !== undefined ? { value } : {}),
      description: describedAs(this.#comments(location.startLine), decl.key),
      location,
      deps,
      order: this.#order++,
    };
  }

  /** An ARG before the first FROM; `deps` are the global ARGs its default expanded. */
  globalArg(decl: ArgDecl, location: SourceLocation, value: string | undefined, deps: Iterable<string>): void {
    this.#global.set(decl.key, this.#info(decl, location, value, new Set(deps)));
  }

  /** A stage starts; `used` are the global ARGs its FROM (name or --platform) expanded. */
  stage(index: number, used: Iterable<string>): void {
    this.#stages.set(index, {
      args: new Map(this.#global),
      used: new Set(used),
      secrets: new Map(),
      ssh: new Map(),
    });
  }

  /**
   * An ARG in stage `index`. `inherited`: declared without a default and given no --build-arg, so it takes the
   * global ARG's value and BuildKit lists the global definition (its line, its comment) instead.
   */
  stageArg(index: number, decl: ArgDecl, location: SourceLocation, value: string | undefined, inherited: boolean) {
    const s = this.#stages.get(index);
    if (!s) return;
    if (!inherited) s.args.set(decl.key, this.#info(decl, location, value, new Set()));
    s.used.add(decl.key);
  }

  /** A RUN's secret or SSH mount; the first mount of an id decides whether it is required. */
  mount(index: number, kind: "secret" | "ssh", id: string, required: boolean, location: SourceLocation): void {
    const s = this.#stages.get(index);
    const map = kind === "secret" ? s?.secrets : s?.ssh;
    if (map && !map.has(id)) map.set(id, { required, location });
  }

  /** The outline of `target`, given each converted stage's dependencies (base, --from and mount stages). */
  outline(target: number, deps: ReadonlyMap<number, ReadonlySet<number>>): Outline {
    const args: ArgInfo[] = [];
    const secrets: OutlineNeed[] = [];
    const ssh: OutlineNeed[] = [];
    const seen = { args: new Set<string>(), secrets: new Set<string>(), ssh: new Set<string>() };
    const walked = new Set<number>();
    const walk = (i: number) => {
      const s = this.#stages.get(i);
      if (!s || walked.has(i)) return;
      walked.add(i);
      // A used global ARG uses the ones its default named (BuildKit's markAllUsed).
      const markUsed = (names: Iterable<string>) => {
        for (const k of names) {
          const a = s.args.get(k);
          if (a) markUsed(a.deps);
          s.used.add(k);
        }
      };
      markUsed([...s.used]);
      for (const k of s.used) {
        const a = s.args.get(k);
        if (a && !seen.args.has(k)) args.push(a), seen.args.add(k);
      }
      for (const [k, n] of s.secrets) {
        if (!seen.secrets.has(k)) secrets.push(need(k, n)), seen.secrets.add(k);
      }
      for (const [k, n] of s.ssh) if (!seen.ssh.has(k)) ssh.push(need(k, n)), seen.ssh.add(k);
      for (const d of deps.get(i) ?? []) walk(d);
    };
    walk(target);
    args.sort((a, b) => a.location.startLine - b.location.startLine || a.order - b.order);
    const byLine = (a: OutlineNeed, b: OutlineNeed) =>
      a.location.ranges[0].start.line - b.location.ranges[0].start.line;
    const stage = this.#spec.stages[target];
    const name = stage.name ?? "";
    const description = describedAs(this.#comments(stage.from.location.startLine), name);
    return {
      ...(name ? { name } : {}),
      ...(description ? { description } : {}),
      ...(args.length
        ? {
          args: args.map((a) => ({
            name: a.name,
            ...(a.description ? { description: a.description } : {}),
            ...(a.value ? { value: a.value } : {}),
            location: toLocation(a.location),
          })),
        }
        : {}),
      ...(secrets.length ? { secrets: secrets.sort(byLine) } : {}),
      ...(ssh.length ? { ssh: ssh.sort(byLine) } : {}),
      sources: [encodeBase64(this.#source)],
    };
  }
}

function need(name: string, n: Need): OutlineNeed {
  return { name, ...(n.required ? { required: true } : {}), location: toLocation(n.location) };
}

function toLocation(l: SourceLocation): OutlineLocation {
  return { ranges: [{ start: { line: l.startLine }, end: { line: l.endLine } }] };
}

/**
 * buildx's text (BuildKit's PrintOutline): `TARGET:` and `DESCRIPTION:` when the target has either, then the
 * build args, secrets and SSH tables, each a Go tabwriter table (3 spaces of padding) and a blank line.
 */
export function formatOutline(o: Outline): string {
  let out = "";
  if (o.name || o.description) {
    const rows = [["TARGET:", o.name || "(default)"]];
    if (o.description) rows.push(["DESCRIPTION:", o.description]);
    out += table(rows, 1) + "\n";
  }
  if (o.args?.length) {
    out += table(
      [["BUILD ARG", "VALUE", "DESCRIPTION"], ...o.args.map((a) => [a.name, a.value ?? "", a.description ?? ""])],
      3,
    ) +
      "\n";
  }
  for (const [title, list] of [["SECRET", o.secrets], ["SSH", o.ssh]] as const) {
    if (list?.length) {
      out += table([[title, "REQUIRED"], ...list.map((s) => [s.name, s.required ? "true" : ""])], 3) + "\n";
    }
  }
  return out;
}

/** Go's tabwriter (flags 0): every cell but a row's last padded to its column's widest cell plus `padding`. */
function table(rows: string[][], padding: number): string {
  const widths: number[] = [];
  for (const r of rows) r.slice(0, -1).forEach((c, i) => widths[i] = Math.max(widths[i] ?? 0, [...c].length));
  const cell = (c: string, i: number, last: boolean) => last ? c : c + " ".repeat(widths[i] + padding - [...c].length);
  return rows.map((r) => r.map((c, i) => cell(c, i, i === r.length - 1)).join("")).join("\n") + "\n";
}
