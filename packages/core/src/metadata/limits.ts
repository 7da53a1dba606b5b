/**
 * Limits on the shape of the `sops` metadata. A file's metadata is untrusted (any branch or clone
 * can carry one) and every key entry in it may cost an X25519 exchange, a gpg run or a KMS round
 * trip when no identity opens it, so its size bounds how long a decryption can take. Each limit
 * is far above what SOPS or hush write for real files; files beyond them are refused before
 * any key is tried, and hush never writes such a file either.
 */

/**
 * Key groups in one file. Each group holds one Shamir share; real files use 2 to 5 groups
 * (one per team or cloud), and SOPS's threshold scheme caps the count at 255.
 */
export const MAX_KEY_GROUPS = 16;

/** Key entries (recipients) in one group: large teams list a few dozen. */
export const MAX_KEYS_PER_GROUP = 100;

/**
 * Key entries in the whole file, all groups together. When no identity opens the file, every
 * entry is tried once; a hostile age entry costs up to ~25 ms (8 stanzas through the full age
 * implementation on a busy machine), so this keeps that worst case to a few seconds.
 */
export const MAX_KEYS_PER_FILE = 128;

/**
 * Levels in one flattened metadata key of a dotenv or INI file. The deepest SOPS writes has 6:
 * sops_key_groups__list_0__map_kms__list_0__map_context__map_k. Deeper keys are refused before
 * they are unflattened.
 */
export const MAX_FLAT_METADATA_DEPTH = 16;

/** Why a file's key groups exceed the limits above, or undefined when they do not. */
export function keyGroupLimitProblem(groupSizes: readonly number[]): string | undefined {
  if (groupSizes.length > MAX_KEY_GROUPS) return `the file has ${groupSizes.length} key groups; hush reads at most ${MAX_KEY_GROUPS}`;
  const big = groupSizes.findIndex((n) => n > MAX_KEYS_PER_GROUP);
  if (big >= 0) return `key group ${big} has ${groupSizes[big]} keys; hush reads at most ${MAX_KEYS_PER_GROUP} per group`;
  const total = groupSizes.reduce((a, b) => a + b, 0);
  if (total > MAX_KEYS_PER_FILE) return `the file has ${total} keys; hush reads at most ${MAX_KEYS_PER_FILE} in all groups together`;
  return undefined;
}

/**
 * Why no set of a file's key groups can meet its `shamir_threshold` (0 means all groups), or
 * undefined when some can. One group holds the whole key and has no threshold. SOPS writes
 * thresholds from 2 to the number of groups; a file with another one can never open, and trying
 * its keys would only cost key commands, plugin runs and KMS calls.
 */
export function shamirThresholdProblem(groupCount: number, threshold: number): string | undefined {
  if (groupCount < 2 || threshold === 0) return undefined;
  if (threshold === 1) return `shamir_threshold is 1 with ${groupCount} key groups; a Shamir threshold is at least 2`;
  if (threshold > groupCount) return `shamir_threshold is ${threshold} with ${groupCount} key groups; no ${threshold} groups can open the file`;
  return undefined;
}
