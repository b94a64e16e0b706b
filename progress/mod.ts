/**
 * Build progress: events from the solver and the three renderers of `--progress` (tty, plain, rawjson).
 *
 * @example
 * ```ts
 * import { PlainProgress } from "./mod.ts";
 * const p = new PlainProgress((s) => Deno.stdout.writeSync(new TextEncoder().encode(s)));
 * p.emit({ type: "step.start", id: 1, name: "[1/1] RUN true", time: performance.now() });
 * p.emit({ type: "step.done", id: 1, time: performance.now() });
 * p.close();
 * ```
 * @module
 */
export * from "./events.ts";
export { PlainProgress } from "./plain.ts";
export { RawJsonProgress } from "./rawjson.ts";
export { TtyProgress } from "./tty.ts";
import type { ProgressSink } from "./events.ts";
import { PlainProgress } from "./plain.ts";
import { RawJsonProgress } from "./rawjson.ts";
import { TtyProgress } from "./tty.ts";

/** Picks the renderer for `--progress`: `auto` is tty on a terminal, plain otherwise. */
export function createProgress(mode: "auto" | "tty" | "plain" | "rawjson", write: (s: string) => void, isTty: boolean): ProgressSink {
  if (mode === "rawjson") return new RawJsonProgress(write);
  if (mode === "tty" || (mode === "auto" && isTty)) return new TtyProgress(write);
  return new PlainProgress(write);
}
