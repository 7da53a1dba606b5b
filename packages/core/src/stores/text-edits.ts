import { checkInteger, checkObject, checkString, invalidArgument, isArray } from "../arguments.ts";
import { HushError } from "../errors.ts";

/** A replacement of `text[start, end)` by `text`. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** What the checks of applyTextEdits accept. */
function isWellFormed(e: unknown, length: number): boolean {
  if (typeof e !== "object" || e === null || Array.isArray(e)) return false;
  const { start, end, text } = e as Record<string, unknown>;
  return typeof text === "string" && typeof start === "number" && typeof end === "number" && Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= length;
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
  for (let i = 0; i < edits.length; i++) {
    const e: unknown = edits[i];
    // The same checks, without building their messages for each of a large file's edits.
    if (isWellFormed(e, source.length)) continue;
    checkObject(e, `edit ${i}`);
    const edit = e as TextEdit;
    checkString(edit.text, `edit ${i}'s text`);
    checkInteger(edit.start, `edit ${i}'s start`, 0, source.length);
    checkInteger(edit.end, `edit ${i}'s end`, edit.start, source.length);
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
