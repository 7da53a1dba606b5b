import { comparableKeyId, encryptText, generateDataKey, hiddenReaders, masterKeyIdentity, openText, verifyText, weakerQuorum, type EmitOptions, type FileMetadata, type KeyGroupRecipients, type KeySourceResolver, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import type { SecretFile } from "./secret-files.ts";
import { wrapForGroups } from "./wrap.ts";

/** A file re-encrypted under a new data key. */
export interface Reencrypted {
  readonly text: string;
  /** Lines of comments that were in clear (or did not authenticate) and are encrypted now. */
  readonly encryptedComments: readonly number[];
}

/**
 * Re-keying with a new data key: the file is opened (MAC checked), a fresh data key is drawn and
 * wrapped for `groups`, every value is re-encrypted with it (fresh IVs) and the result is checked
 * to open with the new key before it is returned. What `rotate` does to every file, and what
 * `updatekeys` and `groups` do when a recipient leaves, when an entry also opens for a key no
 * entry names, or when fewer recipients together opened the old data key than the new groups ask:
 * each may hold the old data key, and only a new one, with every value re-encrypted, shuts them out.
 */
export async function reencryptWithNewDataKey(file: SecretFile, groups: KeyGroupRecipients, threshold: number, resolve: KeySourceResolver, emit: EmitOptions): Promise<Reencrypted> {
  const opened = await openText(file.text, { format: file.format, keySources: resolve });
  const dataKey = generateDataKey();
  try {
    const { metadata } = opened;
    const wrappedKeys = await wrapForGroups(dataKey, groups, threshold, resolve);
    const text = await encryptText(opened.plaintext, {
      format: file.format,
      keyGroups: groups,
      shamirThreshold: threshold,
      ...(metadata.rule === undefined ? {} : { rule: metadata.rule }),
      macOnlyEncrypted: metadata.macOnlyEncrypted,
      keySources: resolve,
      emit,
      dataKey,
      wrappedKeys,
    });
    // The old file is replaced only by something that opens (values and MAC) with the new key.
    await verifyText(text, { format: file.format, keySources: resolve, dataKey });
    return { text, encryptedComments: opened.unauthenticatedComments ?? [] };
  } finally {
    dataKey.fill(0);
    opened.dataKey.fill(0);
  }
}

function recipientLabel(key: MasterKeyEntry | MasterKeyRecipient): string {
  // PGP fingerprints are written in either case, with or without gpg's 0x prefix.
  return key.kind === "pgp" ? comparableKeyId(key) : `${key.kind} ${masterKeyIdentity(key)}`;
}

/** Whether a recipient of `current` is in none of `next`'s groups (a move between groups is not a removal). */
export function removesRecipient(current: ReadonlyArray<readonly MasterKeyEntry[]>, next: KeyGroupRecipients): boolean {
  const kept = new Set(next.flat().map(recipientLabel));
  return current.flat().some((entry) => !kept.has(recipientLabel(entry)));
}

/**
 * Whether some of `next`'s recipients together open `current`'s data key (its groups under its
 * threshold) where `next`'s groups under `threshold` ask more of them to agree: one group
 * `[alice, bob]` made into `[alice], [bob]` with a threshold of 2. Rewrapped, the old key would
 * go on opening for bob alone, from the file's history.
 */
export function opensForFewer(current: Pick<FileMetadata, "keyGroups" | "shamirThreshold">, next: KeyGroupRecipients, threshold: number): boolean {
  return weakerQuorum(current.keyGroups, current.shamirThreshold, { recipients: next.flat(), keyGroups: next, shamirThreshold: threshold }) !== undefined;
}

/** Why re-keying needs a new data key (see {@link newDataKeyReason}). */
export type NewDataKeyReason = "removed" | "fewer" | "hidden";

/**
 * Why re-keying `current` to `next` needs a new data key: a recipient leaves (`"removed"`), an
 * entry's wrapped key also opens for a key no entry names (`"hidden"`: whoever folded it in holds
 * the data key, and re-wrapped afresh the entries would no longer show it), or fewer of them
 * together opened the old one than `next` asks (`"fewer"`); undefined when the data key can stay.
 */
export function newDataKeyReason(current: Pick<FileMetadata, "keyGroups" | "shamirThreshold">, next: KeyGroupRecipients, threshold: number): NewDataKeyReason | undefined {
  if (removesRecipient(current.keyGroups, next)) return "removed";
  if (hiddenReaders(current.keyGroups).length > 0) return "hidden";
  return opensForFewer(current, next, threshold) ? "fewer" : undefined;
}
