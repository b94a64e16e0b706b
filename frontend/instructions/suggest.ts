/** Levenshtein distance, small inputs only (instruction keywords, stage and variable names). */
export function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/**
 * The candidate closest to `word` (case-insensitive), if it is close enough to be a plausible typo: at most a
 * third of the word's length away, as BuildKit's suggest package judges it.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(w, c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  const limit = Math.max(1, Math.floor(w.length / 3));
  return bestDist > 0 && bestDist <= limit ? best : undefined;
}
