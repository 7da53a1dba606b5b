import type { KeyPath } from "../tree/values.ts";
import type { Leaf } from "./store.ts";

/**
 * SOPS's order of a YAML document's values and comments. SOPS builds its tree from go-yaml v3's
 * comment slots: a comment on its own line is the head comment of the item after it (or the foot
 * of the one before), so it stays where it is written; a comment after a value on the same line
 * (`key: value # note`) is the value's line comment, which SOPS puts *before* the value's item.
 * The comment rules (`unencrypted_comment_regex`…) follow that order, so hush's leaves must too.
 */

/** A place a line comment can follow on its line, and where SOPS then puts the comment. */
export interface LineAnchor {
  /** Offset after which a comment on the same line belongs here (a value's end, a key's end…). */
  readonly at: number;
  /** Sort position the comment takes: just before this item (or first inside a collection). */
  readonly item: number;
  /** The collection whose frame (and AAD) the comment then belongs to. */
  readonly path: KeyPath;
  readonly document: number;
}

/** `leaves` (values in walk order, comments in text order) sorted into SOPS's tree order. */
export function inSopsOrder(text: string, leaves: readonly Leaf[], anchors: readonly LineAnchor[]): Leaf[] {
  const sorted = [...anchors].sort((a, b) => a.at - b.at);
  const keyed = leaves.map((leaf, index) => {
    if (leaf.kind !== "comment") return { leaf, key: leaf.start, index };
    const hash = leaf.start - 1;
    const lineStart = text.lastIndexOf("\n", hash - 1) + 1;
    if (text.slice(lineStart, hash).trim() === "") return { leaf, key: leaf.start, index };
    // The last anchor of the comment's document between its line's start and the `#`: found by
    // bisection, then read backwards within the line (a scan from the first anchor made a file
    // of many `key: value # note` lines quadratic).
    let best: LineAnchor | undefined;
    for (let i = lastAtOrBefore(sorted, hash); i >= 0 && sorted[i]!.at >= lineStart; i--) {
      if (sorted[i]!.document === leaf.document) {
        best = sorted[i];
        break;
      }
    }
    if (best === undefined) return { leaf, key: leaf.start, index };
    return { leaf: { ...leaf, path: best.path }, key: best.item, index };
  });
  keyed.sort((a, b) => a.key - b.key || a.index - b.index);
  return keyed.map((k) => k.leaf);
}

/** The index of the last anchor at or before `offset` in anchors sorted by `at`, or -1. */
function lastAtOrBefore(sorted: readonly LineAnchor[], offset: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]!.at <= offset) low = mid + 1;
    else high = mid;
  }
  return low - 1;
}
