/**
 * "Did you mean …?" for names a user typed: a subcommand, a `.sops.yaml` key. Small and
 * dependency-free so the CLI can use it on an error path without loading anything else.
 */

/** Optimal string alignment distance (Levenshtein plus adjacent transposition); non-text compares as its String(). */
export function editDistance(textA: string, textB: string): number {
  const a = String(textA);
  const b = String(textB);
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `typed`, when it is close enough to be a likely typo (at most a
 * third of the longer name, and at most 3 edits); `-` and `_` count as the same character.
 * Anything but text (typed or among the candidates) has no suggestion.
 */
export function closestName(typed: string, candidates: Iterable<string>): string | undefined {
  if (typeof typed !== "string" || typeof (candidates as { [Symbol.iterator]?: unknown } | null)?.[Symbol.iterator] !== "function") return undefined;
  const norm = (s: string): string => s.toLowerCase().replace(/-/g, "_");
  const t = norm(typed);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (typeof c !== "string") continue;
    const distance = editDistance(t, norm(c));
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(t.length, c.length) / 3)));
    if (distance <= limit && distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return best;
}
