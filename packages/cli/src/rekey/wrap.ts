import {
  decryptValue,
  HushError,
  unwrapDataKey,
  wrapDataKey,
  type FileMetadata,
  type KeyGroupRecipients,
  type KeySourceResolver,
  type MasterKeyEntry,
} from "@hush/core";

/**
 * Data-key wrapping for re-keying. Every key of every group is wrapped at once (KMS round trips
 * overlap), and a failure names its group and key, so that "AccessDenied" in a repository of
 * many files and keys points at the one key to fix.
 */

/** The Shamir threshold to store for `groups` key groups: 0 for one group, else 2..groups. */
export function effectiveThreshold(requested: number, groups: number): number {
  if (groups <= 1) return 0;
  const t = requested === 0 ? groups : Math.min(requested, groups);
  if (t < 2) {
    throw new HushError("INVALID_ARGUMENT", `shamir_threshold ${requested} is too small for ${groups} key groups (at least 2 are needed, or 0 for all)`);
  }
  return t;
}

/** Refuses groups that cannot be wrapped to, with SOPS's wording. */
export function checkGroups(groups: KeyGroupRecipients): void {
  if (groups.length === 0) throw new HushError("EMPTY_KEY_GROUP", "Could not generate data key: [empty key group provided] (no key groups)");
  const empty = groups.findIndex((g) => g.length === 0);
  if (empty >= 0) {
    throw new HushError("EMPTY_KEY_GROUP", `Could not generate data key: [empty key group provided] (group ${empty} has no keys)`);
  }
}

/** Wraps `dataKey` for every group (Shamir shares when there are several), after SOPS's checks of the groups. */
export async function wrapForGroups(
  dataKey: Uint8Array,
  groups: KeyGroupRecipients,
  threshold: number,
  resolve: KeySourceResolver,
): Promise<MasterKeyEntry[][]> {
  checkGroups(groups);
  return wrapDataKey(dataKey, groups, groups.length === 1 ? 0 : effectiveThreshold(threshold, groups.length), resolve);
}

/**
 * Recovers a file's data key from its metadata alone and checks it against the file's MAC
 * (authenticated with that key), so that a wrong key (say, a forged share in untrusted metadata)
 * is never wrapped to new recipients.
 */
export async function recoverDataKey(metadata: FileMetadata, resolve: KeySourceResolver): Promise<Uint8Array> {
  const key = await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, resolve);
  if (metadata.mac !== "") {
    try {
      decryptValue(key, metadata.mac, metadata.lastModified);
    } catch {
      key.fill(0);
      throw new HushError("MAC_MISMATCH", "the recovered data key does not open the file's MAC: the metadata was tampered with");
    }
  }
  return key;
}
