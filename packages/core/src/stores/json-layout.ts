import type { DocumentLayout } from "./store.ts";

/** The indentation unit a JSON document uses (a tab, two spaces, …), or "" for single-line JSON. */
export function jsonIndentUnit(text: string): string {
  const m = /\{[ \t]*\r?\n([ \t]+)\S/.exec(text);
  return m === null ? "" : m[1]!;
}

/** Layout facts of a JSON text: its indentation as `EmitOptions.indent` (-1 for tabs). */
export function jsonLayout(text: string): DocumentLayout {
  const unit = jsonIndentUnit(text);
  if (unit === "") return {};
  return { indent: unit.includes("\t") ? -1 : unit.length };
}
