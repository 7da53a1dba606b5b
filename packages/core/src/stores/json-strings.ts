/**
 * A lone UTF-16 surrogate, which a JSON string can spell as an escape (`"\ud800"`). UTF-8 has
 * none: Go's encoding/json, in SOPS, reads each as U+FFFD, and so do hush's MAC and key paths,
 * which hash and bind UTF-8 bytes. So `"k\ud800"`, `"k\udfff"` and `"k\ufffd"` authenticate
 * alike, and a branch without the key could respell an encrypted value's key, or a value in
 * clear, into one that Node and Python read as another. SOPS never writes one; the JSON readers
 * refuse it.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when `text` holds a lone surrogate. */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}
