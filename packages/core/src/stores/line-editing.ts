import type { LineLayout } from "./line-edit.ts";
import type { Store } from "./store.ts";

/**
 * The editing part of a line-oriented store (dotenv, INI, TOML): `layout` says how the format
 * places its entries; the editor module is loaded on first edit. `self` returns the store the
 * result is spread into (it does not exist yet when this runs).
 */
export function lineEditing(self: () => Store, layout: LineLayout): Pick<Store, "orderedMaps" | "layout" | "editCandidates"> {
  return {
    // Sections and tables follow the keys outside them, wherever they were written.
    orderedMaps: !layout.sections,
    layout: () => ({}),
    editCandidates: async (text, edit) => (await import("./line-edit.ts")).lineCandidates(text, self(), edit, layout),
  };
}
