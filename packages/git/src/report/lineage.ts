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

/**
 * Indexes every placed encrypted version of `files` by its wrapped keys, then, for `path`,
 * prepends the history of the file its first version was moved or copied from (repeatedly, for a
 * file moved more than once). Returns the versions of `path` to audit, oldest first, its merged
 * branches' versions last, as given.
 */
export class Lineage {
  readonly #files: ReadonlyMap<string, { readonly placed: readonly PlacedVersion[]; readonly merged: readonly FileVersion[] }>;
  /** Data key token → path → the indexes (in its placed list, increasing) of the versions holding it. */
  readonly #holders = new Map<string, Map<string, number[]>>();

  constructor(files: ReadonlyMap<string, { readonly placed: readonly PlacedVersion[]; readonly merged: readonly FileVersion[] }>) {
    this.#files = files;
    for (const [path, { placed }] of files) {
      placed.forEach((p, index) => {
        const summary = p.version.summary;
        if (summary === null || summary === "unencrypted") return;
        for (const token of dataKeyTokens(summary)) {
          let byPath = this.#holders.get(token);
          if (byPath === undefined) this.#holders.set(token, (byPath = new Map()));
          let indexes = byPath.get(path);
          if (indexes === undefined) byPath.set(path, (indexes = []));
          // One entry per version: a recipient listed twice holds one wrapped key.
          if (indexes.at(-1) !== index) indexes.push(index);
        }
      });
    }
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
   * The file `first` came from: the latest version of another file, at or before it along first
   * parents, holding one of its wrapped keys, and that file's encrypted versions leading to it
   * (from its last deletion or clear version on: those end a history in `auditFile` too).
   */
  #source(first: PlacedVersion | undefined, visited: ReadonlySet<string>): { path: string; run: PlacedVersion[] } | undefined {
    const summary = first?.version.summary;
    if (first === undefined || summary === null || summary === undefined || summary === "unencrypted") return undefined;
    let best: { path: string; index: number; order: number } | undefined;
    for (const token of dataKeyTokens(summary)) {
      for (const [path, indexes] of this.#holders.get(token) ?? []) {
        if (visited.has(path)) continue;
        const placed = this.#files.get(path)!.placed;
        const index = lastAtOrBefore(indexes, (i) => placed[i]!.order <= first.order);
        if (index === undefined) continue;
        const order = placed[index]!.order;
        if (best === undefined || order > best.order) best = { path, index, order };
      }
    }
    if (best === undefined) return undefined;
    const placed = this.#files.get(best.path)!.placed;
    let start = best.index;
    while (start > 0 && typeof placed[start - 1]!.version.summary === "object" && placed[start - 1]!.version.summary !== null) start--;
    return { path: best.path, run: placed.slice(start, best.index + 1) };
  }
}

/** The last of `indexes` (increasing, `fits` true up to some point then false) that `fits`, by binary search. */
function lastAtOrBefore(indexes: readonly number[], fits: (index: number) => boolean): number | undefined {
  let lo = 0;
  let hi = indexes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (fits(indexes[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : indexes[lo - 1];
}
