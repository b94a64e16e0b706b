/**
 * "Did you mean" for variable names, as BuildKit's util/suggest picks it: the closest option by Levenshtein distance,
 * if closer than 3 edits; an exact match means there is nothing to suggest. Case-sensitive, as on Linux.
 *
 * @module
 */

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length];
}

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
