import type { ProgressEvent, ProgressSink } from "./events.ts";

interface StepView {
  name: string;
  start: number;
  end?: number;
  cached?: boolean;
  error?: boolean;
  tail: string[];
}

/**
 * A live BuildKit-style view: a header with elapsed time, one line per step with its timer, the last lines of the
 * running steps' output; finished steps collapse to a single line. Redraws at most ten times a second.
 */
export class TtyProgress implements ProgressSink {
  #out: (s: string) => void;
  #steps = new Map<number, StepView>();
  #notes: string[] = [];
  #drawn = 0;
  #timer: ReturnType<typeof setInterval>;
  #t0 = performance.now();
  #decoder = new TextDecoder();

  constructor(write: (s: string) => void) {
    this.#out = write;
    this.#timer = setInterval(() => this.#draw(), 100);
  }

  emit(e: ProgressEvent): void {
    switch (e.type) {
      case "step.start":
        this.#steps.set(e.id, { name: e.name, start: e.time, tail: [] });
        break;
      case "step.cached":
        this.#steps.set(e.id, { name: e.name, start: e.time, end: e.time, cached: true, tail: [] });
        break;
      case "step.log": {
        const s = this.#steps.get(e.id);
        if (!s) break;
        const lines = this.#decoder.decode(e.data).split("\n").filter((l) => l.length > 0);
        s.tail.push(...lines);
        if (s.tail.length > 6) s.tail.splice(0, s.tail.length - 6);
        break;
      }
      case "step.done": {
        const s = this.#steps.get(e.id);
        if (s) s.end = e.time;
        break;
      }
      case "step.error": {
        const s = this.#steps.get(e.id);
        if (s) {
          s.end = e.time;
          s.error = true;
        }
        break;
      }
      case "info":
      case "warn":
        this.#notes.push((e.type === "warn" ? "WARNING: " : "") + e.message);
        break;
    }
  }

  #render(final: boolean): string[] {
    const now = performance.now();
    const lines = [`[+] Building ${((now - this.#t0) / 1000).toFixed(1)}s (${[...this.#steps.values()].filter((s) => s.end !== undefined).length}/${this.#steps.size})${final ? " FINISHED" : ""}`];
    const cols = terminalColumns() - 1;
    for (const [id, s] of [...this.#steps.entries()].sort((a, b) => a[0] - b[0])) {
      const t = s.cached ? "CACHED" : `${(((s.end ?? now) - s.start) / 1000).toFixed(1)}s`;
      const mark = s.error ? " ERROR" : "";
      lines.push(` => ${s.name}${mark}`.slice(0, cols - t.length - 1).padEnd(cols - t.length - 1) + " " + t);
      if (s.end === undefined || s.error) for (const l of s.tail) lines.push(` => => # ${l}`.slice(0, cols));
      void id;
    }
    return lines;
  }

  #draw(final = false): void {
    const lines = this.#render(final);
    let s = this.#drawn > 0 ? `\x1b[${this.#drawn}A` : "";
    for (const l of lines) s += `\x1b[2K${l}\n`;
    this.#out(s);
    this.#drawn = lines.length;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#draw(true);
    for (const n of this.#notes) this.#out(n + "\n");
  }
}

/** Width to render for; terminals that report none (0, or no size at all) get a conventional 100. */
function terminalColumns(): number {
  try {
    const c = Deno.consoleSize().columns;
    return c >= 40 ? c : 100;
  } catch {
    return 100;
  }
}
