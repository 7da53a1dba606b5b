import { appendAll } from "@hush/core";

/**
 * Three-way merge of sequences (lines of a text, items of a list), after diff3: each side is
 * diffed against the base, and the changed base ranges ("hunks") of the two sides are merged.
 * Items are compared as strings; callers map lines or tree nodes to keys first.
 */

/** A change of one side: `base[baseStart, baseEnd)` replaced by `side[sideStart, sideEnd)`. */
export interface Hunk {
  readonly baseStart: number;
  readonly baseEnd: number;
  readonly sideStart: number;
  readonly sideEnd: number;
}

/** Beyond this many edit steps the diff gives up and reports one hunk for the whole middle. */
const MAX_EDIT_DISTANCE = 4000;

/**
 * The hunks that turn `a` into `b` (Myers' O(ND) diff on the part between the common prefix and
 * suffix). Files are config files, so the edit distance is small; a huge one degrades to a single
 * hunk, which merges as a conflict rather than taking quadratic time.
 */
export function diffHunks(a: readonly string[], b: readonly string[]): Hunk[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  if (n === 0 && m === 0) return [];
  if (n === 0 || m === 0) return [{ baseStart: pre, baseEnd: pre + n, sideStart: pre, sideEnd: pre + m }];
  const pairs = myersMatches(a.slice(pre, pre + n), b.slice(pre, pre + m));
  if (pairs === undefined) return [{ baseStart: pre, baseEnd: pre + n, sideStart: pre, sideEnd: pre + m }];
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  for (const [x, y] of [...pairs, [n, m] as const]) {
    if (x > i || y > j) hunks.push({ baseStart: pre + i, baseEnd: pre + x, sideStart: pre + j, sideEnd: pre + y });
    i = x + 1;
    j = y + 1;
  }
  return hunks;
}

/** Matched index pairs of a longest common subsequence, or undefined when too far apart. */
function myersMatches(a: readonly string[], b: readonly string[]): Array<readonly [number, number]> | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, MAX_EDIT_DISTANCE);
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], a: readonly string[], b: readonly string[], dEnd: number): Array<readonly [number, number]> {
  const pairs: Array<readonly [number, number]> = [];
  let x = a.length;
  let y = b.length;
  for (let d = dEnd; d > 0; d--) {
    const snap = trace[d]!;
    // snap holds v[-d-1 .. d+1] as it was before step d.
    const at = (k: number): number => snap[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    // The step from (prevX, prevY) went down (k + 1) or right (k - 1), then along a diagonal.
    const midX = prevK === k + 1 ? prevX : prevX + 1;
    while (x > midX) {
      x--;
      y--;
      pairs.push([x, y]);
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    pairs.push([x, y]);
  }
  return pairs.reverse();
}

/** A region of a three-way merge, in base order. */
export type MergeRegion =
  | { readonly kind: "stable"; readonly baseStart: number; readonly baseEnd: number }
  | { readonly kind: "ours" | "theirs"; readonly baseStart: number; readonly baseEnd: number; readonly sideStart: number; readonly sideEnd: number }
  | {
      readonly kind: "both";
      readonly baseStart: number;
      readonly baseEnd: number;
      readonly oursStart: number;
      readonly oursEnd: number;
      readonly theirsStart: number;
      readonly theirsEnd: number;
      readonly oursHunks: readonly Hunk[];
      readonly theirsHunks: readonly Hunk[];
    };

/**
 * Splits a three-way merge into regions. Hunks of the two sides whose base ranges overlap or touch
 * form one "both" region (as git does); the caller decides whether such a region really conflicts.
 */
export function mergeRegions(base: readonly string[], ours: readonly string[], theirs: readonly string[]): MergeRegion[] {
  const tagged = [
    ...diffHunks(base, ours).map((h) => ({ side: "ours" as const, h })),
    ...diffHunks(base, theirs).map((h) => ({ side: "theirs" as const, h })),
  ].sort((p, q) => p.h.baseStart - q.h.baseStart || p.h.baseEnd - q.h.baseEnd);
  const regions: MergeRegion[] = [];
  let cursor = 0;
  let i = 0;
  while (i < tagged.length) {
    const first = tagged[i]!;
    const group = [first];
    let end = first.h.baseEnd;
    i++;
    while (i < tagged.length && tagged[i]!.h.baseStart <= end) {
      const next = tagged[i]!;
      group.push(next);
      end = Math.max(end, next.h.baseEnd);
      i++;
    }
    const start = first.h.baseStart;
    if (start > cursor) regions.push({ kind: "stable", baseStart: cursor, baseEnd: start });
    const oursHunks = group.filter((g) => g.side === "ours").map((g) => g.h);
    const theirsHunks = group.filter((g) => g.side === "theirs").map((g) => g.h);
    if (theirsHunks.length === 0 || oursHunks.length === 0) {
      const side = theirsHunks.length === 0 ? "ours" : "theirs";
      const hs = side === "ours" ? oursHunks : theirsHunks;
      regions.push({ kind: side, baseStart: start, baseEnd: end, ...sideRange(hs, start, end) });
    } else {
      const o = sideRange(oursHunks, start, end);
      const t = sideRange(theirsHunks, start, end);
      regions.push({ kind: "both", baseStart: start, baseEnd: end, oursStart: o.sideStart, oursEnd: o.sideEnd, theirsStart: t.sideStart, theirsEnd: t.sideEnd, oursHunks, theirsHunks });
    }
    cursor = end;
  }
  if (cursor < base.length) regions.push({ kind: "stable", baseStart: cursor, baseEnd: base.length });
  return regions;
}

/** The side's range that corresponds to base[start, end), given the side's hunks inside it. */
function sideRange(hunks: readonly Hunk[], start: number, end: number): { sideStart: number; sideEnd: number } {
  const first = hunks[0]!;
  const last = hunks[hunks.length - 1]!;
  return { sideStart: first.sideStart - (first.baseStart - start), sideEnd: last.sideEnd + (end - last.baseEnd) };
}

/** True when two hunks of different sides change the same base items (not just touch). */
function hunksClash(o: Hunk, t: Hunk): boolean {
  const oEmpty = o.baseStart === o.baseEnd;
  const tEmpty = t.baseStart === t.baseEnd;
  if (oEmpty && tEmpty) return o.baseStart === t.baseStart;
  if (oEmpty) return t.baseStart < o.baseStart && o.baseStart < t.baseEnd;
  if (tEmpty) return o.baseStart < t.baseStart && t.baseStart < o.baseEnd;
  return o.baseStart < t.baseEnd && t.baseStart < o.baseEnd;
}

/**
 * Resolves a "both" region without a conflict when possible: the same change on both sides;
 * changes that only touch (applied in base order); insertions at the same point (ours, then
 * theirs' items that ours did not insert too). Returns undefined for a real conflict.
 */
export function resolveBoth<T>(
  region: Extract<MergeRegion, { kind: "both" }>,
  base: readonly T[],
  ours: readonly T[],
  theirs: readonly T[],
  key: (item: T) => string,
): T[] | undefined {
  const o = ours.slice(region.oursStart, region.oursEnd);
  const t = theirs.slice(region.theirsStart, region.theirsEnd);
  if (o.length === t.length && o.every((x, i) => key(x) === key(t[i]!))) return o;
  const clashes: Array<[Hunk, Hunk]> = [];
  for (const oh of region.oursHunks) for (const th of region.theirsHunks) if (hunksClash(oh, th)) clashes.push([oh, th]);
  if (clashes.length > 1) return undefined;
  if (clashes.length === 1) {
    const [oh, th] = clashes[0]!;
    // Only insertion against insertion at the same point is resolvable: keep both.
    if (oh.baseStart !== oh.baseEnd || th.baseStart !== th.baseEnd) return undefined;
  }
  const steps = [
    ...region.oursHunks.map((h) => ({ h, items: ours.slice(h.sideStart, h.sideEnd) })),
    ...region.theirsHunks.map((h) => ({ h, items: theirs.slice(h.sideStart, h.sideEnd) })),
  ].sort((p, q) => p.h.baseStart - q.h.baseStart || (p.h.baseEnd - p.h.baseStart) - (q.h.baseEnd - q.h.baseStart));
  const out: T[] = [];
  let cursor = region.baseStart;
  let lastInsert: { at: number; keys: Set<string> } | undefined;
  for (const { h, items } of steps) {
    appendAll(out, base.slice(cursor, h.baseStart));
    if (h.baseStart === h.baseEnd && lastInsert !== undefined && lastInsert.at === h.baseStart) {
      const seen = lastInsert.keys;
      appendAll(out, items.filter((x) => !seen.has(key(x))));
    } else {
      appendAll(out, items);
      if (h.baseStart === h.baseEnd) lastInsert = { at: h.baseStart, keys: new Set(items.map(key)) };
    }
    cursor = Math.max(cursor, h.baseEnd);
  }
  appendAll(out, base.slice(cursor, region.baseEnd));
  return out;
}

/** The outcome of a line merge. */
export interface LineMergeResult {
  readonly text: string;
  /** Number of regions that really conflicted. */
  readonly conflicts: number;
}

/** Splits text into lines that keep their line endings, so joining gives the text back. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

export interface LineMergeOptions {
  /** How a conflicting region is written: the favoured side's lines, or git-style markers. */
  readonly onConflict: "ours" | "theirs" | "markers";
  readonly markerSize?: number;
  readonly labels?: { readonly ours?: string; readonly base?: string; readonly theirs?: string };
}

/**
 * A line-based three-way merge of texts. With `onConflict: "markers"` conflicting regions are
 * written as git writes them (diff3 style, with the base section).
 */
export function mergeLines(base: string, ours: string, theirs: string, options: LineMergeOptions): LineMergeResult {
  const b = splitLines(base);
  const o = splitLines(ours);
  const t = splitLines(theirs);
  const out: string[] = [];
  let conflicts = 0;
  const id = (s: string): string => s;
  for (const r of mergeRegions(b, o, t)) {
    switch (r.kind) {
      case "stable":
        appendAll(out, b.slice(r.baseStart, r.baseEnd));
        break;
      case "ours":
        appendAll(out, o.slice(r.sideStart, r.sideEnd));
        break;
      case "theirs":
        appendAll(out, t.slice(r.sideStart, r.sideEnd));
        break;
      case "both": {
        const resolved = options.onConflict === "markers" ? sameChange(r, o, t) : resolveBoth(r, b, o, t, id);
        if (resolved !== undefined) {
          appendAll(out, resolved);
          break;
        }
        conflicts++;
        if (options.onConflict === "ours") appendAll(out, o.slice(r.oursStart, r.oursEnd));
        else if (options.onConflict === "theirs") appendAll(out, t.slice(r.theirsStart, r.theirsEnd));
        else {
          appendAll(
            out,
            conflictBlock(
              o.slice(r.oursStart, r.oursEnd),
              b.slice(r.baseStart, r.baseEnd),
              t.slice(r.theirsStart, r.theirsEnd),
              options.markerSize ?? 7,
              options.labels ?? {},
              lastEol(out, o, t),
            ),
          );
        }
      }
    }
  }
  return { text: out.join(""), conflicts };
}

function sameChange(r: Extract<MergeRegion, { kind: "both" }>, o: readonly string[], t: readonly string[]): string[] | undefined {
  const a = o.slice(r.oursStart, r.oursEnd);
  const c = t.slice(r.theirsStart, r.theirsEnd);
  return a.length === c.length && a.every((x, i) => x === c[i]) ? a : undefined;
}

function lastEol(...sources: ReadonlyArray<readonly string[]>): string {
  for (const s of sources) for (const line of s) if (line.endsWith("\r\n")) return "\r\n";
  return "\n";
}

/**
 * Lines of a diff3-style conflict block. Sides whose last line has no line break get one, so the
 * markers stay on lines of their own.
 */
export function conflictBlock(
  ours: readonly string[],
  base: readonly string[] | undefined,
  theirs: readonly string[],
  size: number,
  labels: { readonly ours?: string; readonly base?: string; readonly theirs?: string },
  eol = "\n",
): string[] {
  const close = (lines: readonly string[]): string[] => lines.map((l, i) => (i === lines.length - 1 && !l.endsWith("\n") ? l + eol : l));
  const label = (s: string | undefined): string => (s === undefined || s === "" ? "" : ` ${s}`);
  return [
    `${"<".repeat(size)}${label(labels.ours)}${eol}`,
    ...close(ours),
    ...(base === undefined ? [] : [`${"|".repeat(size)}${label(labels.base)}${eol}`, ...close(base)]),
    `${"=".repeat(size)}${eol}`,
    ...close(theirs),
    `${">".repeat(size)}${label(labels.theirs)}${eol}`,
  ];
}

/** True when the text holds a git conflict marker line (`<<<<<<<`, `=======` pair, `>>>>>>>`). */
export function hasConflictMarkers(text: string): boolean {
  return /^<{7,}(?: |\r?$)/m.test(text) && /^>{7,}(?: |\r?$)/m.test(text);
}
