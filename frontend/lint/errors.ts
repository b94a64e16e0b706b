/**
 * The failure `check=error=true` turns warnings into.
 *
 * @module
 */
import { TsbuildError } from "../../errors.ts";
import type { LintWarning } from "./warning.ts";

/**
 * BuildKit's "lint violation found for rules: …" (each rule once, in the order first found), raised after the
 * warnings are printed when the check configuration says `error=true`.
 */
export class LintViolationError extends TsbuildError {
  readonly rules: string[];
  constructor(warnings: LintWarning[]) {
    const rules = [...new Set(warnings.map((w) => w.rule))];
    super(`lint violation found for rules: ${rules.join(", ")}`);
    this.rules = rules;
  }
}
