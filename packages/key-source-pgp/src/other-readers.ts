import { readMessageRecipients } from "./armor.ts";
import type { PgpKeyEntry } from "./entry.ts";

/**
 * Whom a PGP entry's message opens for, as its packets show without a key. SOPS (Go openpgp, or
 * `gpg --no-encrypt-to`) and hush encrypt the data key for the one key an entry names: one
 * public-key encrypted session key packet. Whoever wrote a file holds its data key and can
 * encrypt it for a key of their own, or a passphrase, under a teammate's fingerprint
 * (docs/security.md, "whom a key entry is for"). A packet names the (sub)key it is for by key ID,
 * which cannot be compared with the entry's fingerprint without the key itself. The packets are
 * read as decryption reads them (`readMessageRecipients`), so that what gpg skips, such as a
 * marker packet, hides no session key from this check while the file still opens.
 */

/** Why `entry`'s message opens for another key or a passphrase besides (or instead of) one key, or undefined. */
export function pgpEntryOtherReaders(entry: PgpKeyEntry): string | undefined {
  // A message hush cannot read is not opened either (decryption refuses it).
  const sessionKeys = readMessageRecipients(entry.enc)?.sessionKeys;
  if (sessionKeys === undefined) return undefined;
  const keyIds = sessionKeys.filter((k) => k !== null);
  const passphrases = sessionKeys.length - keyIds.length;
  if (passphrases === 0 && keyIds.length <= 1) return undefined;
  const forPassphrase = passphrases === 0 ? "" : `${passphrases} passphrase${passphrases === 1 ? "" : "s"}`;
  if (keyIds.length === 0) return `its message is encrypted for ${forPassphrase}, not for the key the entry names`;
  const ids = keyIds.slice(0, 4).map((id) => (id === "0000000000000000" ? "an unnamed key" : `key ID ${id}`)).join(", ") + (keyIds.length > 4 ? ", …" : "");
  return `its message is encrypted for ${keyIds.length} key${keyIds.length === 1 ? "" : "s"} (${ids})${forPassphrase === "" ? "" : ` and ${forPassphrase}`}, where SOPS encrypts for the one key the entry names`;
}
