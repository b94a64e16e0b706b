import type { ProgressEvent, ProgressSink } from "./events.ts";

/**
 * BuildKit's `--progress=plain`: one line per event, each prefixed with `#<step>`, step output forwarded line by
 * line. Stable enough for CI logs and for tests to read.
 */
export class PlainProgress implements ProgressSink {
  #out: (s: string) => void;
  #starts = new Map<number, number>();
  #partial = new Map<number, string>();
  #names = new Map<number, string>();
  #t0 = performance.now();
  #decoder = new TextDecoder();

  constructor(write: (s: string) => void) {
    this.#out = write;
  }

  emit(e: ProgressEvent): void {
    switch (e.type) {
      case "step.start":
        this.#starts.set(e.id, e.time);
        this.#names.set(e.id, e.name);
        this.#out(`#${e.id} ${e.name}\n`);
        break;
      case "step.cached":
        this.#names.set(e.id, e.name);
        this.#out(`#${e.id} ${e.name}\n#${e.id} CACHED\n`);
        break;
      case "step.log": {
        const text = (this.#partial.get(e.id) ?? "") + this.#decoder.decode(e.data, { stream: true });
        const lines = text.split("\n");
        this.#partial.set(e.id, lines.pop() ?? "");
        const elapsed = ((e.time - this.#t0) / 1000).toFixed(3);
        for (const line of lines) this.#out(`#${e.id} ${elapsed} ${line}\n`);
        break;
      }
      case "step.done": {
        this.#flushPartial(e.id);
        const took = ((e.time - (this.#starts.get(e.id) ?? e.time)) / 1000).toFixed(1);
        this.#out(`#${e.id} DONE ${took}s${e.reason ? ` (${e.reason})` : ""}\n`);
        break;
      }
      case "step.error":
        this.#flushPartial(e.id);
        this.#out(`#${e.id} ERROR: ${e.message}\n`);
        break;
      case "info":
        this.#out(`${e.message}\n`);
        break;
      case "warn":
        this.#out(`WARNING: ${e.message}\n`);
        break;
    }
  }

  #flushPartial(id: number): void {
    const rest = this.#partial.get(id);
    if (rest) this.#out(`#${id} ${((performance.now() - this.#t0) / 1000).toFixed(3)} ${rest}\n`);
    this.#partial.delete(id);
  }

  close(): void {
    for (const id of this.#partial.keys()) this.#flushPartial(id);
  }
}
