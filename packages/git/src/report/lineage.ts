import { wrappedKeyHash } from "../metadata-summary.ts";
import type { FileVersion, VersionSummary } from "./audit.ts";

/**
 * Where a file's history starts when it was moved or copied from another file with its data key.
 *
 * git cannot follow a file moved and edited in one commit (`git mv`, then a recipient entry taken
 * out), and a copy is a new file to git. But the data key travels with the bytes: a file whose
 * first version holds a wrapped key an earlier version of another file held has that file's data
 * key (or one of its values' ciphertexts), and whoever was given it there can open this one. Its history is that file's history up
 * to then: a recipient dropped on the way is a removal, and the values keep their dates. Started
 * fresh, the move counted as a new data key and the removed reader went unreported.
 */

/**
 * What only a version with a given data key holds: its wrapped keys (an edit keeps them) and its
 * values' ciphertexts (`updatekeys` keeping the data key re-wraps it for everyone but keeps them).
 */
function dataKeyTokens(summary: VersionSummary): string[] {
  const tokens = [...summary.recipients.values()].map((entry) => `key ${wrappedKeyHash(entry)}`);
  for (const [path, ciphertext] of summary.values) tokens.push(`value ${path}\0${ciphertext}`);
  return tokens;
}

/** A version along first parents, with its place in HEAD's first-parent chain (oldest first). */
export interface PlacedVersion {
  readonly version: FileVersion;
  /** Position of its commit along first parents, 0 for the oldest; versions on merged branches are not placed. */
  readonly order: number;
}

/** Most files one history is followed back through (a chain of moves); bounds the work on a crafted history. */
const MAX_HOPS = 64;

/** Most versions of files already on the chain looked past per token (see `#source`). */
const MAX_SKIPPED = 1024;

/**
 * Indexes every placed encrypted version of `files` by its wrapped keys, then, for `path`,
 * prepends the history of the file its first version was moved or copied from (repeatedly, for a
 * file moved more than once). Returns the versions of `path` to audit, oldest first, its merged
 * branches' versions last, as given.
 */
export class Lineage {
  readonly #files: ReadonlyMap<string, { readonly placed: readonly PlacedVersion[]; readonly merged: readonly FileVersion[] }>;
  /** Data key token → the versions holding it (path, index in its placed list, order), by order. */
  readonly #holders = new Map<string, Array<{ readonly path: string; readonly index: number; readonly order: number }>>();

  constructor(files: ReadonlyMap<string, { readonly placed: readonly PlacedVersion[]; readonly merged: readonly FileVersion[] }>) {
    this.#files = files;
    for (const [path, { placed }] of files) {
      placed.forEach((p, index) => {
        const summary = p.version.summary;
        if (summary === null || summary === "unencrypted") return;
        for (const token of new Set(dataKeyTokens(summary))) {
          let list = this.#holders.get(token);
          if (list === undefined) this.#holders.set(token, (list = []));
          list.push({ path, index, order: p.order });
        }
      });
    }
    for (const list of this.#holders.values()) list.sort((a, b) => a.order - b.order);
  }

  /** The versions of `path` to audit, with the history it was moved or copied from first. */
  versionsOf(path: string): FileVersion[] {
    const own = this.#files.get(path);
    if (own === undefined) return [];
    let chain: PlacedVersion[] = [...own.placed];
    const visited = new Set([path]);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const from = this.#source(chain[0], visited);
      if (from === undefined) break;
      visited.add(from.path);
      chain = [...from.run, ...chain];
    }
    return [...chain.map((p) => p.version), ...own.merged];
  }

  /**
   * The file `first` came from: the latest version of another file, before it along first
   * parents, holding one of its wrapped keys, and that file's versions leading to it (from its
   * last clear version on, deletions included: `auditFile` sees removals across them).
   */
  #source(first: PlacedVersion | undefined, visited: ReadonlySet<string>): { path: string; run: PlacedVersion[] } | undefined {
    const summary = first?.version.summary;
    if (first === undefined || summary === null || summary === undefined || summary === "unencrypted") return undefined;
    let best: { path: string; index: number; order: number } | undefined;
    for (const token of dataKeyTokens(summary)) {
      const list = this.#holders.get(token) ?? [];
      // The latest holder before `first` of a file not on the chain yet: a binary search, then
      // back past the chain's own versions (few: they come after it). Strictly before: files
      // created in one commit with one data key (copies) have no history to give each other.
      const end = countAtOrBefore(list, first.order - 1);
      for (let i = end - 1; i >= Math.max(0, end - MAX_SKIPPED); i--) {
        const holder = list[i]!;
        if (visited.has(holder.path)) continue;
        if (best === undefined || holder.order > best.order) best = holder;
        break;
      }
    }
    if (best === undefined) return undefined;
    const placed = this.#files.get(best.path)!.placed;
    let start = best.index;
    // Back to its last clear version (reported for that file, not this one); deletions stay in.
    while (start > 0 && placed[start - 1]!.version.summary !== "unencrypted") start--;
    return { path: best.path, run: placed.slice(start, best.index + 1) };
  }
}

/** How many of `list` (sorted by order) have an order at or before `order`, by binary search. */
function countAtOrBefore(list: ReadonlyArray<{ readonly order: number }>, order: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.order <= order) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
