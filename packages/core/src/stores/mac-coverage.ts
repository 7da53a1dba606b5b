import { looksEncrypted } from "../crypto/envelope.ts";

/**
 * Whether a value, by its text (a string's own, any other scalar's spelling), adds anything to its
 * file's MAC: what the readers' checks on additions a branch could make without the key weigh
 * (an empty value beside a key Go's readers take for another, a YAML merge or YAML 1.1 twin over
 * an encrypted key). Nulls add nothing; the caller leaves them out.
 */
export type MacCoverage = (text: string) => boolean;

/**
 * The coverage of a file whose metadata holds `macOnlyField` as its `mac_only_encrypted` (undefined
 * for a plaintext). SOPS's MAC covers every value but empty strings, except where the metadata
 * says `mac_only_encrypted: true` (true or "true", as the metadata is read): there it covers the
 * encrypted values alone, and a value in clear is as open to anyone as an empty one. With
 * `encrypted_regex: ^(data|stringData)$`, a branch could otherwise add a `StringData` mapping
 * in clear after the encrypted `stringData`, which Go's readers take for it.
 */
export function macCoverage(macOnlyField: unknown): MacCoverage {
  return macOnlyField === true || macOnlyField === "true" ? looksEncrypted : (text) => text !== "";
}
