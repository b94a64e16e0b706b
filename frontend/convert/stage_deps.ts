/**
 * Which stages each stage uses (its FROM base, `COPY --from`, `RUN --mount from=`), recorded as the converter meets
 * them: a use that would close a loop is refused with BuildKit's words before the converter waits on it (which
 * would never end), and `--call=outline` walks the recorded uses from the target.
 *
 * @example
 * ```ts
 * import { StageDeps } from "./stage_deps.ts";
 * const deps = new StageDeps("Dockerfile", (i) => `stage-${i}`);
 * deps.add(1, 0, 3);
 * deps.add(0, 1, 5); // throws: circular dependency detected on stage: stage-0
 * ```
 * @module
 */
import { DockerfileError } from "../instructions/mod.ts";

export class StageDeps {
  readonly #uses = new Map<number, Set<number>>();

  /** `stageName` names stage `i` as BuildKit does (its AS name, else `stage-N`). */
  constructor(readonly file: string, readonly stageName: (i: number) => string) {}

  /** Stage → the stages it uses. */
  get uses(): ReadonlyMap<number, ReadonlySet<number>> {
    return this.#uses;
  }

  /** Records that stage `from` uses stage `to` (at Dockerfile line `line`), unless that closes a loop. */
  add(from: number, to: number, line: number): void {
    this.refuseLoop(from, to, line);
    let set = this.#uses.get(from);
    if (!set) this.#uses.set(from, set = new Set());
    set.add(to);
  }

  /**
   * BuildKit's "circular dependency detected on stage: NAME" when `from` using `to` closes a loop (NAME the first
   * stage of the loop).
   */
  refuseLoop(from: number, to: number, line: number): void {
    const path = this.#pathFrom(to, from, new Set());
    if (path) {
      throw new DockerfileError(
        this.file,
        line,
        `circular dependency detected on stage: ${this.stageName(Math.min(from, ...path))}`,
      );
    }
  }

  /** The stages on a dependency path from `a` to `b` (inclusive), if there is one. */
  #pathFrom(a: number, b: number, seen: Set<number>): number[] | undefined {
    if (a === b) return [a];
    if (seen.has(a)) return undefined;
    seen.add(a);
    for (const next of this.#uses.get(a) ?? []) {
      const rest = this.#pathFrom(next, b, seen);
      if (rest) return [a, ...rest];
    }
    return undefined;
  }
}
