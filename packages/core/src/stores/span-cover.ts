/** A half-open range of text offsets, `start` included, `end` not. */
export interface OffsetSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * Whether an offset lies inside any of `spans`, answered in logarithmic time once the spans are
 * sorted: testing every offset against every span costs time quadratic in a file of many values
 * (thousands of findings inside thousands of encrypted values).
 */
export function spanCover(spans: readonly OffsetSpan[]): (offset: number) => boolean {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  // The furthest end among the spans that start at or before each one: spans may nest or overlap.
  const reach: number[] = [];
  for (const [i, span] of sorted.entries()) reach.push(Math.max(span.end, i > 0 ? reach[i - 1]! : span.end));
  return (offset) => {
    let lo = 0;
    let hi = sorted.length - 1;
    let last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.start <= offset) {
        last = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return last >= 0 && offset < reach[last]!;
  };
}
