/**
 * Values of `tsbuild build` flags, each parsed as docker/buildx parse it; a bad one is a usage error naming the flag.
 *
 * @module
 */
import { resolve as resolvePath } from "node:path";
import type { ExtraHost, Ulimit } from "../executor/mod.ts";
import type { OutputSpec } from "../build/mod.ts";
import { CacheSpecError } from "../cache/mod.ts";
import { AnnotationError, type ImageAnnotation, parseAnnotation } from "../exporter/mod.ts";
import { UsageError } from "./errors.ts";
import { parseSize, splitCsv } from "../frontend/instructions/mod.ts";
import { isRemoteContext } from "./remote_context.ts";

export function kv(list: string[], what: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i === 0) throw new UsageError(`invalid ${what} "${item}": expected KEY=VALUE`);
    if (i < 0) {
      if (!fromEnv) {
        out[item] = "";
        continue;
      }
      const v = Deno.env.get(item);
      if (v !== undefined) out[item] = v;
      continue;
    }
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

export function csv(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of splitCsv(spec)) {
    const i = part.indexOf("=");
    if (i < 0) out[part.trim()] = "";
    else out[part.slice(0, i).trim()] = part.slice(i + 1);
  }
  return out;
}

/** `--build-context name=value`: local paths are made absolute now, since the build may run elsewhere. */
export function buildContexts(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i <= 0 || i === item.length - 1) throw new UsageError(`invalid --build-context "${item}": expected NAME=VALUE`);
    const value = item.slice(i + 1);
    // URLs (images, layouts, git, http) stay as given; a directory is made absolute.
    out[item.slice(0, i)] = /^[a-z-]+:\/\//.test(value) || isRemoteContext(value) ? value : resolvePath(value);
  }
  return out;
}

/** `--registry-mirror docker.io=mirror.example:5000` (repeatable; mirrors are tried in order, then the origin). */
export function mirrors(list: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const item of list) {
    const i = item.indexOf("=");
    if (i <= 0 || i === item.length - 1) {
      throw new UsageError(`invalid --registry-mirror "${item}": expected REGISTRY=MIRROR`);
    }
    (out[item.slice(0, i)] ??= []).push(item.slice(i + 1));
  }
  return out;
}

/** Parses one `--output` the way buildx does. */
export function parseOutput(spec: string): OutputSpec {
  if (!spec.includes("=")) return spec === "-" ? { type: "tar", dest: "-" } : { type: "local", dest: spec };
  const f = csv(spec);
  const dest = f.dest ?? "";
  switch (f.type) {
    case "registry":
    case "image": {
      const pushByDigest = f["push-by-digest"] === "true";
      return {
        type: "image",
        push: f.type === "registry" || f.push === "true",
        ...(pushByDigest ? { pushByDigest } : {}),
      };
    }
    case "cacheonly":
      return { type: "cacheonly" };
    case "oci":
    case "docker":
    case "local":
    case "tar":
      if (!dest) throw new UsageError(`--output ${spec}: dest= is required for type=${f.type}`);
      if (f.type === "oci") return { type: "oci", dest, tar: f.tar !== "false" };
      return { type: f.type, dest };
    default:
      throw new UsageError(
        `--output ${spec}: unknown type "${f.type ?? ""}" (registry, image, oci, docker, local, tar, cacheonly)`,
      );
  }
}

/** The image exporter attributes of every `--output` that tsbuild maps onto its own settings. */
export interface OutputAttributes {
  /** `name=` (comma-separated inside quotes): more names for the image, as -t gives. */
  names: string[];
  /** `oci-mediatypes=false`: Docker media types (`--format docker`). */
  ociMediaTypes?: boolean;
  compression?: string;
  compressionLevel?: string;
  /** `force-compression=true`: base image layers recompressed too. */
  forceCompression?: boolean;
}

/**
 * Reads `name`, `oci-mediatypes`, `compression`, `compression-level` and `force-compression` from
 * `-o type=image|registry|oci|docker`.
 */
export function outputAttributes(outputs: string[]): OutputAttributes {
  const attrs: OutputAttributes = { names: [] };
  for (const spec of outputs) {
    if (!spec.includes("=")) continue;
    const f = csv(spec);
    if (!["image", "registry", "oci", "docker"].includes(f.type ?? "")) continue;
    if (f.name) attrs.names.push(...f.name.split(",").map((n) => n.trim()).filter(Boolean));
    if (f["oci-mediatypes"] !== undefined) attrs.ociMediaTypes = f["oci-mediatypes"] !== "false";
    if (f.compression !== undefined) attrs.compression = f.compression;
    if (f["compression-level"] !== undefined) attrs.compressionLevel = f["compression-level"];
    if (f["force-compression"] === "true") attrs.forceCompression = true;
  }
  return attrs;
}

/** Parses `--secret` the way buildx does: `id=ID` alone reads the env var ID if set, else the file ID. */
export function parseSecret(spec: string): { id: string; src?: string; env?: string } {
  const f = csv(spec);
  const id = f.id;
  if (!id) throw new UsageError(`--secret ${spec}: id= is required`);
  const src = f.src ?? f.source;
  if (src !== undefined) return { id, src };
  if (f.env !== undefined) return { id, env: f.env };
  // `type=env` / `type=file` with the id alone name the variable or file after the id.
  if (f.type === "env") return { id, env: id };
  if (f.type === "file") return { id, src: id };
  if (f.type !== undefined) throw new UsageError(`--secret ${spec}: unknown type "${f.type}" (file or env)`);
  return Deno.env.get(id) !== undefined ? { id, env: id } : { id, src: id };
}

/** A cache spec parse, its errors as usage errors. */
export function cacheSpec<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof CacheSpecError) throw new UsageError(e.message);
    throw e;
  }
}

/** `--add-host host:ip` (or `host=ip`, as buildx also takes); the ip may be IPv6, so the first separator splits. */
export function parseAddHost(spec: string): ExtraHost {
  const m = /^([^:=\s]+)[:=](\S+)$/.exec(spec);
  if (!m || !/^[0-9a-fA-F.:]+$/.test(m[2])) {
    throw new UsageError(`--add-host ${spec}: expected host:ip, e.g. --add-host db.internal:10.0.0.5`);
  }
  return { host: m[1], ip: m[2] };
}

/** Resource names `--ulimit` takes (docker's list), without the RLIMIT_ prefix. */
const ULIMITS = [
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "rttime",
  "sigpending",
  "stack",
  "as",
];

/** `--ulimit nofile=1024[:2048]`, as docker parses it: one number sets both, -1 is unlimited. */
export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`--ulimit ${spec}: expected name=soft[:hard], e.g. nofile=1024:2048`);
  if (!ULIMITS.includes(m[1])) {
    throw new UsageError(`--ulimit ${spec}: unknown limit "${m[1]}" (${ULIMITS.join(", ")})`);
  }
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    throw new UsageError(`--ulimit ${spec}: the soft limit ${m[2]} is above the hard limit ${m[3]}`);
  }
  return { name: m[1], soft, hard };
}

/** A size as docker takes it: bytes, or a number with k, m, g or t (binary units), e.g. 64m. */
export function parseBytes(flag: string, spec: string): number {
  const n = parseSize(spec);
  if (n === undefined) throw new UsageError(`${flag} ${spec}: expected a size such as 67108864, 512m or 2g`);
  if (n <= 0) throw new UsageError(`${flag} ${spec}: must be more than 0`);
  return n;
}

/**
 * `--annotation` specs, then the `annotation[-TYPE][[PLATFORM]].KEY=VALUE` attributes of every `--output` (buildx's
 * other spelling), as one list; their errors are usage errors.
 */
export function annotationFlags(flags: string[], outputs: string[]): ImageAnnotation[] {
  const specs = [...flags];
  for (const out of outputs) {
    if (!out.includes("=")) continue;
    for (const [k, v] of Object.entries(csv(out))) {
      const m = /^annotation(?:-([a-z-]+))?(\[[^\]]+\])?\.(.+)$/.exec(k);
      if (m) specs.push(`${m[1] ?? "manifest"}${m[2] ?? ""}:${m[3]}=${v}`);
    }
  }
  try {
    return specs.flatMap(parseAnnotation);
  } catch (e) {
    if (e instanceof AnnotationError) throw new UsageError(e.message);
    throw e;
  }
}
