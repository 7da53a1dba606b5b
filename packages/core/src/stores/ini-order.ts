import { appendAll } from "../arrays.ts";

/**
 * The order in which SOPS's INI reader (go-ini, SOPS 3.x `treeItemFromSection`) lists a file's
 * values and comments. That order decides the comment rules (a comment governs the item after it
 * in the tree) and the MAC, so hush's leaves follow it rather than the order of the lines:
 *
 * - sections in the order of their first header; a repeated header continues its section (go-ini
 *   merges them), so its keys join the first block's;
 * - a section's comment (the lines before its header) first; go-ini keeps only the comment of the
 *   section's last header, so the comments of earlier headers go to the end, where they govern
 *   nothing;
 * - each key, then its comment: the comment lines before it and its inline comment. In SOPS's
 *   tree a key's comment comes after the key, so it governs the next key.
 */
export class SectionOrder<T> {
  readonly #sections = new Map<string, { head: T[]; items: T[]; tail: T[] }>();

  /** `first`: the section go-ini creates before reading (DEFAULT), first wherever it is written. */
  constructor(first: string) {
    this.#section(first);
  }

  #section(name: string): { head: T[]; items: T[]; tail: T[] } {
    let s = this.#sections.get(name);
    if (s === undefined) {
      s = { head: [], items: [], tail: [] };
      this.#sections.set(name, s);
    }
    return s;
  }

  /** A `[name]` header with the comments before it. */
  header(name: string, comments: readonly T[]): void {
    const s = this.#section(name);
    appendAll(s.tail, s.head);
    s.head = [...comments];
  }

  /** A key's value, with its comment lines (before it, then inline). */
  key(section: string, value: T, comments: readonly T[]): void {
    const items = this.#section(section).items;
    items.push(value);
    appendAll(items, comments);
  }

  /** Comments that no key follows (end of file, before the metadata): they govern nothing. */
  trailing(section: string, comments: readonly T[]): void {
    if (comments.length > 0) appendAll(this.#section(section).tail, comments);
  }

  /** Every leaf in SOPS's tree order. */
  leaves(): T[] {
    return [...this.#sections.values()].flatMap((s) => [...s.head, ...s.items, ...s.tail]);
  }
}
