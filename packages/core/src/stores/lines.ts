import { HushError } from "../errors.ts";

/** Offsets where the lines of `text` start, ascending (0 first). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/** The index of the last of `starts` at or before `offset` (0 when none is). */
function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Maps offsets to 1-based line numbers, built once per document: a binary search over the line
 * starts, so looking up every value of a document costs n log n, not n².
 *
 * @param text - the document's text
 * @returns a function from an offset into `text` to the number of the line holding it (an offset
 *   past the end belongs to the last line)
 * @throws HushError INVALID_ARGUMENT when `text` is not a string
 */
export function lineIndex(text: string): (offset: number) => number {
  if (typeof text !== "string") throw new HushError("INVALID_ARGUMENT", "the text to index must be a string");
  const starts = lineStarts(text);
  return (offset) => lineAt(starts, offset) + 1;
}

/**
 * Maps offsets to the offset where their line starts, built once per document: searching back
 * for the line break from each value costs time quadratic in a line of many values.
 */
export function lineStartIndex(text: string): (offset: number) => number {
  const starts = lineStarts(text);
  return (offset) => starts[lineAt(starts, offset)]!;
}

/** Offset of the start of the line containing `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

/** Offset just after the line break of the line containing `offset` (or the end of the text). */
export function lineEndAfter(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}
