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
 */
export function applyTextEdits(source: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let pos = 0;
  for (const e of sorted) {
    if (e.start < pos) throw new HushError("INTERNAL", "overlapping text edits");
    parts.push(source.slice(pos, e.start), e.text);
    pos = e.end;
  }
  parts.push(source.slice(pos));
  return parts.join("");
}
