import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";

/**
 * Keys that Go's readers take for one. encoding/json, BurntSushi/toml and go-toml match a key to a
 * struct field ignoring case (Unicode simple folding, as bytes.EqualFold: the Kelvin sign is a
 * `k`), and the last of two such keys wins; viper lower-cases every key. hush, Node and Python read
 * two keys. An empty string, a null, or an empty table or list adds nothing to the MAC and carries
 * no key path, so a branch without the key could add `"PASSWORD": ""` after an encrypted
 * `"password"` (or `[DB]` with an empty password after `[db]`), and a Go program reading
 * `hush decrypt`'s output would take the empty value for the secret. INI keys are the same for
 * Python's configparser, which lower-cases them (the last wins with strict=False), and go-ini's
 * Insensitive mode; YAML keys for viper, and for Go programs that read YAML through
 * sigs.k8s.io/yaml, which hands it to encoding/json. The JSON, TOML, INI and YAML readers therefore refuse two keys of one map that fold
 * alike where one of them holds such a value and the other one the MAC covers, in plaintext and
 * encrypted files alike; two that both hold values stay allowed (they are in the MAC, and an
 * encrypted one bound to its own key path), and so do two that both hold nothing it covers (two
 * values in clear under `mac_only_encrypted`, which SOPS writes: anyone can change either already).
 */

/** A member of one map, as the check needs it. */
export interface MapMember {
  readonly key: string;
  /** The line of the key. */
  readonly line: number;
  /** Whether the value holds nothing the MAC covers (asked only of keys that fold alike). */
  readonly empty: () => boolean;
}

/**
 * `key` case-folded so that two keys Go's readers match to one field fold alike: each character
 * to the lower case of its upper case, where both are one character (so `ſ` and the Kelvin sign
 * fold to `s` and `k`, and `ß` stays `ß`). It may fold a few keys alike that Go keeps apart (`ı`
 * and `i`), never the reverse.
 */
export function goFoldKey(key: string): string {
  // Most keys are lower-case ASCII, their own fold: no copy for them (the decrypt scanner folds every key).
  let ascii = true;
  let upper = false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) ascii = false;
    else if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  if (ascii) return upper ? key.toLowerCase() : key;
  let out = "";
  for (const ch of key) {
    const upper = ch.toUpperCase();
    const base = single(upper) ? upper : ch;
    const lower = base.toLowerCase();
    out += single(lower) ? lower : base;
  }
  return out;
}

function single(s: string): boolean {
  return s.length === 1 || (s.length === 2 && s.codePointAt(0)! > 0xffff);
}

/** The readers that take keys differing in case for one, as the error names them, by format. */
const READERS = {
  JSON: "Go's readers (encoding/json, viper)",
  TOML: "Go's readers (BurntSushi/toml, go-toml, viper)",
  INI: "Python's configparser (strict=False), go-ini (Insensitive) and viper",
  YAML: "Go's readers (viper, and encoding/json behind sigs.k8s.io/yaml)",
} as const;

/**
 * Throws `format`'s parse error when two of `members`, the keys of the map at `path`, fold alike
 * ({@link goFoldKey}) and one of them holds an empty value, the other not; the error names both key paths,
 * `readers` (those that take them for one; by default the format's) and the empty one's line,
 * never a value.
 */
export function refuseFoldedKeyShadow(format: keyof typeof READERS, path: KeyPath, members: Iterable<MapMember>, readers: string = READERS[format]): void {
  const error = foldedKeyShadow(format, path, members, readers);
  if (error !== undefined) throw error;
}

/** The error {@link refuseFoldedKeyShadow} throws, for a reader that weighs it against others first. */
export function foldedKeyShadow(format: keyof typeof READERS, path: KeyPath, members: Iterable<MapMember>, readers: string = READERS[format]): HushError | undefined {
  // Each group's members so far are all inside the MAC or all outside it (the first that differs
  // ends the check), so a new member is weighed against the group's first alone: comparing it
  // with every earlier one made a map of many keys that fold alike (`abc`, `Abc`, `aBc`, …: 2^n of
  // n letters) cost time quadratic in its keys.
  const byFold = new Map<string, { readonly first: MapMember; outside?: boolean }>();
  for (const member of members) {
    const fold = goFoldKey(member.key);
    const group = byFold.get(fold);
    if (group === undefined) {
      byFold.set(fold, { first: member });
      continue;
    }
    // Only a key outside the MAC beside one in it: two outside it (two empty values, or two in
    // clear under mac_only_encrypted) are both open to anyone without the key already.
    group.outside ??= group.first.empty();
    const memberOutside = member.empty();
    if (memberOutside !== group.outside) return foldedKeyError(format, readers, path, group.first, member, memberOutside ? member : group.first);
  }
  return undefined;
}

function foldedKeyError(format: keyof typeof READERS, readers: string, path: KeyPath, first: MapMember, second: MapMember, empty: MapMember): HushError {
  const name = (m: MapMember): string => printable(formatKeyPath([...path, m.key]));
  const keyPath = name(empty);
  return new HushError(
    "PARSE_FAILED",
    `invalid ${format}: the keys ${name(first)} (line ${first.line}) and ${name(second)} differ only in case: ${readers} take them for one key, where the one outside the MAC (empty, or in clear where the MAC covers only encrypted values) can stand in for the other's; remove it or rename a key, at line ${empty.line}`,
    { location: { keyPath, line: empty.line } },
  );
}
