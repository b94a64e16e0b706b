/**
 * "Did you mean" for variable names, as BuildKit's util/suggest picks it: the closest option by Levenshtein distance,
 * if closer than 3 edits; an exact match means there is nothing to suggest. Case-sensitive, as on Linux.
 *
 * @module
 */

import { levenshtein } from "../instructions/mod.ts";

/** The option `value` was probably meant to be, or undefined. */
export function suggestName(value: string, options: Iterable<string>): string | undefined {
  let match: string | undefined;
  let best = 3;
  for (const option of options) {
    if (option === value) return undefined;
    const d = levenshtein(value, option);
    if (d < best) [match, best] = [option, d];
  }
  return match;
}
