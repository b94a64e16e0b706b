import type { MountOf } from "../../graph/mod.ts";
import { DockerfileError } from "./errors.ts";
import { parseSize, splitCsv } from "./spec_values.ts";

/** A `RUN --mount` as written, with defaults applied; `from` is still a stage/image/context name. */
export type MountSpec = MountOf<string>;

const KEYS: Record<string, string[]> = {
  bind: ["target", "source", "from", "readonly", "rw"],
  cache: ["target", "source", "from", "readonly", "rw", "id", "sharing", "mode", "uid", "gid"],
  tmpfs: ["target", "size"],
  secret: ["target", "id", "required", "mode", "uid", "gid", "env"],
  ssh: ["target", "id", "required", "mode", "uid", "gid"],
};

const ALIASES: Record<string, string> = {
  dst: "target",
  destination: "target",
  src: "source",
  ro: "readonly",
  readwrite: "rw",
};

/**
 * Parses one `--mount` value (already variable-expanded) with BuildKit's defaults: bind mounts are read-only,
 * cache ids default to the target, secrets land in `/run/secrets/<id>` with mode 0400, ssh sockets get mode 0600.
 */
export function parseMount(value: string, where: { file: string; line: number }): MountSpec {
  const fail = (msg: string): never => {
    throw new DockerfileError(where.file, where.line, `RUN --mount=${value}: ${msg}`);
  };
  const opts = new Map<string, string>();
  for (const field of splitCsv(value)) {
    if (field.trim() === "") continue;
    const eq = field.indexOf("=");
    let key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    key = ALIASES[key] ?? key;
    const val = eq < 0 ? "" : field.slice(eq + 1);
    if (eq < 0 && !["readonly", "rw", "required"].includes(key)) fail(`invalid field "${field}": expected key=value`);
    if (opts.has(key)) fail(`duplicate field "${key}"`);
    opts.set(key, eq < 0 ? "true" : val);
  }
  const type = opts.get("type") ?? "bind";
  opts.delete("type");
  const allowed = KEYS[type];
  if (!allowed) fail(`unsupported mount type "${type}" (use bind, cache, tmpfs, secret or ssh)`);
  for (const k of opts.keys()) if (!allowed.includes(k)) fail(`unexpected key "${k}" for ${type} mount`);
  const bool = (k: string, dflt: boolean): boolean => {
    const v = opts.get(k);
    if (v === undefined) return dflt;
    if (/^(true|1)$/i.test(v)) return true;
    if (/^(false|0)$/i.test(v)) return false;
    return fail(`invalid boolean "${v}" for ${k}`);
  };
  const int = (k: string, dflt: number, radix = 10): number => {
    const v = opts.get(k);
    if (v === undefined) return dflt;
    const re = radix === 8 ? /^0?[0-7]+$/ : /^\d+$/;
    if (!re.test(v)) fail(`invalid ${radix === 8 ? "octal " : ""}number "${v}" for ${k}`);
    return parseInt(v, radix);
  };
  const target = opts.get("target");
  const absTarget = (t: string) => (t.startsWith("/") ? t : `/${t}`);
  let readonly = bool("readonly", type === "bind");
  if (opts.has("rw")) readonly = !bool("rw", false);
  switch (type) {
    case "bind":
      if (!target) fail("mount target is required (target=/path)");
      return { type, target: absTarget(target!), from: opts.get("from"), source: opts.get("source") ?? "/", readonly };
    case "cache": {
      if (!target) fail("mount target is required (target=/path)");
      const sharing = opts.get("sharing") ?? "shared";
      if (sharing !== "shared" && sharing !== "private" && sharing !== "locked") {
        fail(`unsupported sharing value "${sharing}" (use shared, private or locked)`);
      }
      return {
        type,
        target: absTarget(target!),
        id: opts.get("id") || absTarget(target!),
        sharing: sharing as "shared" | "private" | "locked",
        from: opts.get("from"),
        source: opts.get("source") ?? "/",
        mode: int("mode", 0o755, 8),
        uid: int("uid", 0),
        gid: int("gid", 0),
        readonly,
      };
    }
    case "tmpfs": {
      if (!target) fail("mount target is required (target=/path)");
      const raw = opts.get("size");
      const size = raw === undefined ? undefined : parseSize(raw);
      if (raw !== undefined && size === undefined) fail(`invalid size "${raw}"`);
      return size === undefined ? { type, target: absTarget(target!) } : { type, target: absTarget(target!), size };
    }
    case "secret": {
      const env = opts.get("env");
      const id = opts.get("id") || (target ? target.split("/").filter(Boolean).pop() : env);
      if (!id) fail("secret mount needs an id, a target or an env");
      const out: MountSpec = {
        type,
        id: id!,
        required: bool("required", false),
        mode: int("mode", 0o400, 8),
        uid: int("uid", 0),
        gid: int("gid", 0),
      };
      if (target || !env) out.target = target ? absTarget(target) : `/run/secrets/${id}`;
      if (env) out.env = env;
      return out;
    }
  }
  return {
    type: "ssh",
    id: opts.get("id") || "default",
    required: bool("required", false),
    mode: int("mode", 0o600, 8),
    uid: int("uid", 0),
    gid: int("gid", 0),
    ...(target ? { target: absTarget(target) } : {}),
  };
}
