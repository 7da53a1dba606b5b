import { HushError } from "../errors.ts";
import type { Leaf } from "../stores/store.ts";
import { formatKeyPath, type ValueType } from "../tree/values.ts";

/**
 * The IVs of a decrypted file's values, kept so that writing the file back gives every
 * unchanged value its old ciphertext (spec 2.6) and a diff shows only what changed.
 *
 * Reusing an AES-GCM IV is safe only when it reproduces the very ciphertext the file already
 * holds: same data key, same AAD, same plaintext bytes. So an IV is found again only by
 *  - its place: document, leaf kind, the full path (map keys and list indices, each segment
 *    length-prefixed so no key name can imitate another path) and, for leaves that share a
 *    path (comments), their occurrence number;
 *  - the value's type; and
 *  - the exact plaintext bytes it encrypted.
 * An IV that occurs twice in the input is never reused, and one output may take each IV once.
 * A value whose plaintext was not UTF-8 (it was shown with replacement characters) is marked:
 * writing it back unchanged would change its bytes, so the caller refuses.
 */

/** What {@link IvStash.lookup} answers for a value that was not UTF-8 and is written back as shown. */
export const NOT_TEXT = Symbol("not UTF-8");

interface Stashed {
  readonly type: ValueType;
  /** The bytes the IV encrypted; for a NOT_TEXT marker, the bytes of the text that was shown. */
  readonly plaintext: Buffer;
  /** undefined: a NOT_TEXT marker. */
  readonly iv: Buffer | undefined;
}

/**
 * A record as taken while decrypting. A value's bytes and IV may be kept as the text it was shown
 * as (with the encoding that gives the bytes back) and the IV's base64: a large file's decryption
 * then keeps no buffer per value, and the buffers are made only if the stash is used.
 */
interface Recorded {
  readonly leaf: number;
  readonly type: ValueType;
  readonly plaintext: Buffer | string;
  readonly encoding: BufferEncoding;
  /** undefined: a NOT_TEXT marker; a string: base64. */
  readonly iv: Buffer | string | undefined;
}

type Index = Map<string, Stashed[]>;

function segmentKey(s: string | number): string {
  return typeof s === "number" ? `i${s};` : `s${s.length}:${s}`;
}

/**
 * An unambiguous key for every leaf's place: document, kind, occurrence among the leaves with the
 * same document, kind and path, and the length-prefixed path.
 */
export function placeKeys(leaves: readonly Leaf[]): string[] {
  const seen = new Map<string, number>();
  return leaves.map((leaf) => {
    const base = `d${leaf.document};${leaf.kind};${leaf.path.length};${leaf.path.map(segmentKey).join("")}`;
    const occurrence = seen.get(base) ?? 0;
    seen.set(base, occurrence + 1);
    return `${base}#${occurrence}`;
  });
}

/**
 * The IVs of one decryption (see the module comment for when one is reused). Filled by
 * `openText`, read by `encryptText` through IvReuse; `union` joins the stashes of versions of a
 * file that share a data key (merges).
 */
export class IvStash {
  /** Recorded while decrypting; turned into the index on first use (plain decryption never needs it). */
  #pending: { readonly leaves: readonly Leaf[]; readonly records: Recorded[] } | undefined;
  #index: Index | undefined;
  /** Every IV the index holds (base64). */
  #ivs = new Set<string>();

  /** A stash for the leaves of one parsed document (empty for a new file). */
  constructor(leaves: readonly Leaf[] = []) {
    this.#pending = { leaves, records: [] };
  }

  /** Records that `leaves[leaf]` was decrypted from `iv` to exactly `plaintext`. */
  record(leaf: number, type: ValueType, plaintext: Buffer, iv: Buffer): void {
    this.#pendingRecords().push({ leaf, type, plaintext, encoding: "utf8", iv });
  }

  /**
   * Records that `leaves[leaf]` was decrypted from the IV `ivBase64` to the bytes of `shown` in
   * `encoding` (the caller checked that they are exactly the plaintext bytes).
   */
  recordText(leaf: number, type: ValueType, shown: string, encoding: BufferEncoding, ivBase64: string): void {
    this.#pendingRecords().push({ leaf, type, plaintext: shown, encoding, iv: ivBase64 });
  }

  /** Records that `leaves[leaf]` was not UTF-8 and was shown as `shown`. */
  recordNotText(leaf: number, type: ValueType, shown: string): void {
    this.#pendingRecords().push({ leaf, type, plaintext: shown, encoding: "utf8", iv: undefined });
  }

  /**
   * The IV that encrypted exactly `plaintext` as `type` at `place` (a key from {@link placeKeys}),
   * NOT_TEXT when the value there was not UTF-8 and `plaintext` is how it was shown, else undefined.
   */
  lookup(place: string, type: ValueType, plaintext: Buffer): Buffer | typeof NOT_TEXT | undefined {
    const found = this.#built().get(place)?.find((s) => s.type === type && s.plaintext.equals(plaintext));
    if (found === undefined) return undefined;
    return found.iv ?? NOT_TEXT;
  }

  /**
   * One stash from several (decryptions of versions of a file under the same data key), earlier
   * ones first. An entry whose IV an earlier stash already holds is left out.
   */
  static union(stashes: readonly IvStash[]): IvStash {
    const out = new IvStash();
    out.#pending = undefined;
    const index: Index = new Map();
    for (const stash of stashes) {
      for (const [place, list] of stash.#built()) {
        for (const s of list) {
          if (s.iv !== undefined && out.#ivs.has(s.iv.toString("base64"))) continue;
          const at = index.get(place) ?? [];
          if (at.some((t) => t.type === s.type && t.plaintext.equals(s.plaintext))) continue;
          at.push(s);
          index.set(place, at);
          if (s.iv !== undefined) out.#ivs.add(s.iv.toString("base64"));
        }
      }
    }
    out.#index = index;
    return out;
  }

  #pendingRecords(): Recorded[] {
    if (this.#pending === undefined) throw new HushError("INTERNAL", "an IV stash was changed after use");
    return this.#pending.records;
  }

  #built(): Index {
    if (this.#index !== undefined) return this.#index;
    const { leaves, records } = this.#pending!;
    this.#pending = undefined;
    const places = placeKeys(leaves);
    const count = new Map<string, number>();
    const base64 = (iv: Recorded["iv"]): string | undefined => (iv === undefined || typeof iv === "string" ? iv : iv.toString("base64"));
    for (const r of records) {
      const iv = base64(r.iv);
      if (iv !== undefined) count.set(iv, (count.get(iv) ?? 0) + 1);
    }
    const index: Index = new Map();
    for (const r of records) {
      const iv = base64(r.iv);
      // An IV the input uses twice is already spent: neither value may keep it.
      if (iv !== undefined && count.get(iv)! > 1) continue;
      const place = places[r.leaf]!;
      const at = index.get(place) ?? [];
      const plaintext = typeof r.plaintext === "string" ? Buffer.from(r.plaintext, r.encoding) : r.plaintext;
      at.push({ type: r.type, plaintext, iv: iv === undefined ? undefined : typeof r.iv === "string" ? Buffer.from(iv, "base64") : (r.iv as Buffer) });
      index.set(place, at);
      if (iv !== undefined) this.#ivs.add(iv);
    }
    this.#index = index;
    return index;
  }
}

/**
 * The IVs one encryption may take from an opened file's stash (see IvStash for the rule). Each
 * is taken at most once: the stash already guarantees it, and this checks it again before an IV
 * could encrypt a second value.
 */
export class IvReuse {
  readonly #stash: IvStash;
  readonly #places: string[];
  readonly #taken = new Set<string>();

  constructor(stash: IvStash, leaves: readonly Leaf[]) {
    this.#stash = stash;
    this.#places = placeKeys(leaves);
  }

  /** The stashed IV for leaf `index`, or undefined for a fresh one. Refuses a value that was not UTF-8. */
  ivFor(index: number, leaf: Leaf, type: ValueType, plaintext: Buffer): Buffer | undefined {
    const found = this.#stash.lookup(this.#places[index]!, type, plaintext);
    if (found === undefined) return undefined;
    if (found === NOT_TEXT) {
      throw new HushError(
        "ENCRYPT_FAILED",
        `the value at ${formatKeyPath(leaf.path)} (line ${leaf.line}) was not valid UTF-8 text when decrypted; writing it back would change it, so nothing was written`,
        { location: { keyPath: formatKeyPath(leaf.path), line: leaf.line }, hint: "replace that value (hush set), or change it with a tool that keeps its bytes" },
      );
    }
    const key = found.toString("base64");
    if (this.#taken.has(key)) throw new HushError("INTERNAL", "an IV would encrypt two values; nothing was written");
    this.#taken.add(key);
    return found;
  }
}
