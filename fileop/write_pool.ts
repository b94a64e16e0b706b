/**
 * A bounded set of file writes in flight. Deno runs async fs calls on its blocking thread pool, so keeping several
 * going lets the kernel work of a large COPY (which dominates on overlayfs) use every core while this thread walks
 * the source tree; the bound keeps memory and open files flat however many files there are.
 * @module
 */

/** Runs jobs with at most `limit` in flight; the first failure stops new jobs and is rethrown by `drain`. */
export class WritePool {
  #inFlight = new Set<Promise<void>>();
  #failed = false;
  #error: unknown;

  constructor(readonly limit = 16) {}

  /** Starts `job` once a slot is free. Throws the first failure of an earlier job instead of starting it. */
  async run(job: () => Promise<void>): Promise<void> {
    while (this.#inFlight.size >= this.limit) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
    const p: Promise<void> = job().catch((e) => {
      if (!this.#failed) {
        this.#failed = true;
        this.#error = e;
      }
    }).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Waits for every job started so far; rethrows the first failure. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.race(this.#inFlight);
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#failed) throw this.#error;
  }
}
