import { PatternMatcher } from "./pattern.ts";

/** Decides which context paths exist for the build: excluded ones behave as if absent. */
export class ContextFilter {
  #pm: PatternMatcher;
  constructor(patterns: string[]) {
    this.#pm = new PatternMatcher(patterns);
  }
  /** Whether `relPath` (relative to the context root, `/`-separated) is excluded. */
  excluded(relPath: string): boolean {
    if (this.#pm.patterns.length === 0) return false;
    return this.#pm.matches(relPath);
  }
  /** May a dir that is itself excluded still contain included paths (negations)? */
  mustDescend(relDir: string): boolean {
    return this.#pm.mayIncludeBelow(relDir);
  }
  /** Whether there are patterns at all (lets walkers skip matching entirely). */
  get empty(): boolean {
    return this.#pm.patterns.length === 0;
  }
}
