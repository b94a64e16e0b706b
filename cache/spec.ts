import { TsbuildError } from "../errors.ts";

/** `mode=min` exports the final image's step chain, `mode=max` every step of every stage the build solved. */
export type CacheMode = "min" | "max";

/** One `--cache-to`. */
export type CacheExportSpec =
  | { type: "local"; dest: string; mode: CacheMode; ignoreError: boolean }
  | { type: "registry"; ref: string; mode: CacheMode; ignoreError: boolean }
  | { type: "inline" };

/** One `--cache-from`. */
export type CacheImportSpec =
  | { type: "local"; src: string }
  | { type: "registry"; ref: string };

/** A `--cache-from`/`--cache-to` value that cannot be used; the message names the flag and value. */
export class CacheSpecError extends TsbuildError {}

function attrs(flag: string, spec: string, allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(",")) {
    const i = part.indexOf("=");
    const k = (i < 0 ? part : part.slice(0, i)).trim();
    if (!allowed.includes(k)) {
      throw new CacheSpecError(
        `${flag} ${spec}: unknown attribute "${k}" (${allowed.filter((a) => a !== "type").join(", ")})`,
      );
    }
    out[k] = i < 0 ? "" : part.slice(i + 1);
  }
  return out;
}

function mode(flag: string, spec: string, m: string | undefined): CacheMode {
  if (m === undefined || m === "min" || m === "max") return m ?? "min";
  throw new CacheSpecError(`${flag} ${spec}: mode=${m}: use min or max`);
}

function bool(flag: string, spec: string, name: string, v: string | undefined): boolean {
  if (v === undefined || v === "false") return false;
  if (v === "true" || v === "") return true;
  throw new CacheSpecError(`${flag} ${spec}: ${name}=${v}: use true or false`);
}

function required(flag: string, spec: string, name: string, v: string | undefined): string {
  if (!v) throw new CacheSpecError(`${flag} ${spec}: ${name}= is required`);
  return v;
}

const TYPES = "local, registry, inline";

/** Parses `--cache-to` as buildx does (`type=local,dest=DIR`, `type=registry,ref=REF`, `type=inline`). */
export function parseCacheTo(spec: string): CacheExportSpec {
  const flag = "--cache-to";
  const type = /^type=([^,]*)/.exec(spec)?.[1];
  switch (type) {
    case "local": {
      const a = attrs(flag, spec, ["type", "dest", "mode", "ignore-error"]);
      return {
        type,
        dest: required(flag, spec, "dest", a.dest),
        mode: mode(flag, spec, a.mode),
        ignoreError: bool(flag, spec, "ignore-error", a["ignore-error"]),
      };
    }
    case "registry": {
      const a = attrs(flag, spec, ["type", "ref", "mode", "ignore-error"]);
      return {
        type,
        ref: required(flag, spec, "ref", a.ref),
        mode: mode(flag, spec, a.mode),
        ignoreError: bool(flag, spec, "ignore-error", a["ignore-error"]),
      };
    }
    case "inline": {
      const a = attrs(flag, spec, ["type", "mode"]);
      // The image carries only its own layers, so only its own chain can be described.
      if (a.mode === "max") throw new CacheSpecError(`${flag} ${spec}: type=inline supports only mode=min`);
      mode(flag, spec, a.mode);
      return { type };
    }
    default:
      throw new CacheSpecError(
        `${flag} ${spec}: ${type === undefined ? "type= is required" : `unknown type "${type}"`} (${TYPES})`,
      );
  }
}

/** Parses `--cache-from`; a bare value is a registry ref, as in buildx. */
export function parseCacheFrom(spec: string): CacheImportSpec {
  const flag = "--cache-from";
  if (!spec.includes("=")) {
    if (!spec) throw new CacheSpecError(`${flag}: empty value`);
    return { type: "registry", ref: spec };
  }
  const type = /^type=([^,]*)/.exec(spec)?.[1];
  switch (type) {
    case "local": {
      const a = attrs(flag, spec, ["type", "src"]);
      return { type, src: required(flag, spec, "src", a.src) };
    }
    case "registry": {
      const a = attrs(flag, spec, ["type", "ref"]);
      return { type, ref: required(flag, spec, "ref", a.ref) };
    }
    default:
      throw new CacheSpecError(
        `${flag} ${spec}: ${type === undefined ? "type= is required" : `unknown type "${type}"`} (local, registry)`,
      );
  }
}

/** How a spec is shown in messages. */
export function describeCacheSpec(s: CacheExportSpec | CacheImportSpec): string {
  return s.type === "local"
    ? `type=local,${"dest" in s ? `dest=${s.dest}` : `src=${s.src}`}`
    : s.type === "registry"
    ? `type=registry,ref=${s.ref}`
    : "type=inline";
}
