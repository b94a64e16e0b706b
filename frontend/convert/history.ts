/**
 * BuildKit's `created_by` strings. They come from Go's fmt verbs (`%q` of a slice, `%v` of a map), which users and
 * tools compare against, so they are reproduced exactly rather than prettified.
 */
import { goQuote } from "../shell/mod.ts";
import { formatGoDuration } from "../instructions/mod.ts";
import type { HealthConfig } from "../../oci/mod.ts";

/** The history comment BuildKit's Dockerfile frontend writes. */
export const HISTORY_COMMENT = "buildkit.dockerfile.v0";

/** Go's `fmt.Sprintf("%q", []string{...})`: `["a" "b"]`. */
export function goQuoteList(list: readonly string[]): string {
  return `[${list.map(goQuote).join(" ")}]`;
}

/** Go's `fmt.Sprintf("%v", []string{...})`: `[a b]`. */
export function goList(list: readonly string[]): string {
  return `[${list.join(" ")}]`;
}

/** Go's `%v` of a port set (a map, printed with sorted keys): `map[80/tcp:{} 53/udp:{}]`. */
export function goPortSet(ports: readonly string[]): string {
  const keys = [...new Set(ports)].sort();
  return `map[${keys.map((k) => `${k}:{}`).join(" ")}]`;
}

/** Go's `%q` of an int, which prints it as a quoted rune. */
function goQuoteRune(n: number): string {
  if (n >= 0x20 && n < 0x7f) return n === 39 ? `'\\''` : `'${String.fromCharCode(n)}'`;
  return `'\\x${n.toString(16).padStart(2, "0")}'`;
}

/**
 * `HEALTHCHECK &{["CMD-SHELL" "x"] "5s" "3s" "0s" '\x03'}` as BuildKit's `%v` of the health config prints it. The
 * reference (dockerd 20.10's BuildKit) has no StartInterval field; it is printed (as current BuildKit does) only
 * when --start-interval sets it, so that every Dockerfile 20.10 accepts gets 20.10's line.
 */
export function healthcheckHistory(h: HealthConfig): string {
  const d = (ns: number | undefined) => goQuote(formatGoDuration(ns ?? 0));
  const start = h.StartInterval ? ` ${d(h.StartInterval)}` : "";
  return `HEALTHCHECK &{${goQuoteList(h.Test ?? [])} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)}${start} ${
    goQuoteRune(h.Retries ?? 0)
  }}`;
}

/**
 * The RUN line: declared build args (values as the RUN sees them) prefixed as `|N K=V ...`, then the argv, so that
 * the history shows (and the cache key covers) what the command ran with.
 */
export function runCommandString(
  args: readonly string[],
  declared: readonly { key: string; value?: string }[],
  env: Record<string, string>,
): string {
  const build = declared.map((a) => `${a.key}=${Object.hasOwn(env, a.key) ? env[a.key] : a.value ?? ""}`);
  const prefix = build.length > 0 ? [`|${build.length}`, ...build] : [];
  return [...prefix, ...args].join(" ");
}
