import { checkInteger, checkObject, checkString, invalidArgument, isArray } from "../arguments.ts";
import { HushError } from "../errors.ts";

/** A replacement of `text[start, end)` by `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Applies non-overlapping edits to `source`. Every byte outside the edited ranges is kept, which is
 * what makes encryption a minimal change of the user's file (no re-serialisation).
 * @throws HushError INVALID_ARGUMENT when an edit's range is not inside `source` (whole numbers,
 *   start not after end) or two edits overlap.
 */
export function applyTextEdits(source: string, edits: readonly TextEdit[]): string {
  checkString(source, "the source text");
  if (!isArray(edits)) throw invalidArgument("the edits must be an array");
  for (const [i, e] of edits.entries()) {
    checkObject(e, `edit ${i}`);
    checkString(e.text, `edit ${i}'s text`);
    checkInteger(e.start, `edit ${i}'s start`, 0, source.length);
    checkInteger(e.end, `edit ${i}'s end`, e.start, source.length);
  }
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new HushError("INVALID_ARGUMENT", "overlapping text edits");
    parts.push(source.slice(pos, e.start), e.text);
    pos = e.end;
  }
  parts.push(source.slice(pos));
  return parts.join("");
}
