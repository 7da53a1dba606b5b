/**
 * git's own test for a binary file, for the places where hush must see a file as git does: git
 * looks for a NUL byte among a file's first 8000 bytes (FIRST_FEW_BYTES in git's xdiff-interface)
 * to decide that it shows no text diff and merges no lines.
 */

/** How many first bytes of a file git looks at for a NUL byte to call it binary. */
const GIT_BINARY_SNIFF_BYTES = 8000;

/** Whether git takes `bytes` for binary: a NUL byte among the first 8000. */
export function gitTakesForBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, GIT_BINARY_SNIFF_BYTES).includes(0);
}
