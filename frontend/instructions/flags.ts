import { DockerfileError } from "./errors.ts";

/** How a flag's value is read: a string, a boolean (`--link`, `--link=false`), or a repeatable string. */
export type FlagKind = "string" | "bool" | "strings";

/** The flags an instruction accepts, by name without dashes. */
export type FlagSpec = Record<string, FlagKind>;

/** Parsed flag values; a flag not given is absent. */
export interface ParsedFlags {
  strings: Map<string, string>;
  bools: Map<string, boolean>;
  arrays: Map<string, string[]>;
}

/**
 * Reads `--name=value` / `--name` flags as BuildKit's BFlags does: unknown, duplicated or value-less flags are errors
 * naming the instruction's line.
 */
export function parseFlags(
  raw: readonly string[],
  spec: FlagSpec,
  where: { file: string; line: number; keyword: string },
): ParsedFlags {
  const out: ParsedFlags = { strings: new Map(), bools: new Map(), arrays: new Map() };
  const fail = (msg: string): never => {
    throw new DockerfileError(where.file, where.line, `${where.keyword}: ${msg}`);
  };
  for (const arg of raw) {
    if (!arg.startsWith("--")) fail(`arg should start with -- : ${arg}`);
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    const name = (eq < 0 ? body : body.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const kind = spec[name];
    if (kind === undefined) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(", ");
      fail(`unknown flag: --${name}${known ? ` (${where.keyword} accepts ${known})` : ""}`);
    }
    if (kind === "bool") {
      if (out.bools.has(name)) fail(`duplicate flag specified: --${name}`);
      if (value === undefined) out.bools.set(name, true);
      else if (/^(true|1)$/i.test(value)) out.bools.set(name, true);
      else if (/^(false|0)$/i.test(value)) out.bools.set(name, false);
      else fail(`expecting boolean value for flag --${name}, not: ${value}`);
    } else if (value === undefined) {
      fail(`missing a value on flag: --${name}`);
    } else if (kind === "string") {
      if (out.strings.has(name)) fail(`duplicate flag specified: --${name}`);
      out.strings.set(name, value);
    } else {
      const list = out.arrays.get(name) ?? [];
      list.push(value);
      out.arrays.set(name, list);
    }
  }
  return out;
}
