import { armorBody } from "@hush/core";
import type { PgpKeyEntry } from "./entry.ts";

/**
 * Whom a PGP entry's message opens for, as its packets show without a key. SOPS (Go openpgp, or
 * `gpg --no-encrypt-to`) and hush encrypt the data key for the one key an entry names: one
 * public-key encrypted session key packet. Whoever wrote a file holds its data key and can
 * encrypt it for a key of their own, or a passphrase, under a teammate's fingerprint
 * (docs/security.md, "whom a key entry is for"). A packet names the (sub)key it is for by key ID,
 * which cannot be compared with the entry's fingerprint without the key itself.
 */

/** Packets read at most: a message a file could hold has a few; this bounds a crafted one. */
const MAX_PACKETS = 64;

/** The session key packets that begin `message`: key IDs of the public-key ones, and how many are for a passphrase. */
function sessionKeyPackets(message: Buffer): { keyIds: string[]; passphrases: number } {
  const keyIds: string[] = [];
  let passphrases = 0;
  let at = 0;
  for (let n = 0; n < MAX_PACKETS && at < message.length; n++) {
    const first = message[at]!;
    if ((first & 0x80) === 0) break;
    let tag: number;
    let length: number;
    let body: number;
    if ((first & 0x40) !== 0) {
      tag = first & 0x3f;
      const l1 = message[at + 1] ?? 255;
      if (l1 < 192) [length, body] = [l1, at + 2];
      else if (l1 < 224) [length, body] = [((l1 - 192) << 8) + (message[at + 2] ?? 0) + 192, at + 3];
      else if (l1 === 255) [length, body] = [message.length < at + 6 ? 0 : message.readUInt32BE(at + 2), at + 6];
      else break; // A partial length: only data packets, which come after the session keys, have one.
    } else {
      tag = (first >> 2) & 0x0f;
      const size = [1, 2, 4][first & 0x03];
      if (size === undefined || message.length < at + 1 + size) break; // An indeterminate length: a data packet.
      [length, body] = [message.readUIntBE(at + 1, size), at + 1 + size];
    }
    if (tag === 1) keyIds.push(message[body] === 3 && body + 9 <= message.length ? message.subarray(body + 1, body + 9).toString("hex").toUpperCase() : "?");
    else if (tag === 3) passphrases++;
    else break;
    at = body + length;
  }
  return { keyIds, passphrases };
}

/** Why `entry`'s message opens for another key or a passphrase besides (or instead of) one key, or undefined. */
export function pgpEntryOtherReaders(entry: PgpKeyEntry): string | undefined {
  const message = armorBody(entry.enc, "PGP MESSAGE");
  if (message === undefined) return undefined;
  const { keyIds, passphrases } = sessionKeyPackets(message);
  if (passphrases === 0 && keyIds.length <= 1) return undefined;
  const forPassphrase = passphrases === 0 ? "" : `${passphrases} passphrase${passphrases === 1 ? "" : "s"}`;
  if (keyIds.length === 0) return `its message is encrypted for ${forPassphrase}, not for the key the entry names`;
  const ids = keyIds.slice(0, 4).map((id) => (id === "0000000000000000" ? "an unnamed key" : `key ID ${id}`)).join(", ") + (keyIds.length > 4 ? ", …" : "");
  return `its message is encrypted for ${keyIds.length} key${keyIds.length === 1 ? "" : "s"} (${ids})${forPassphrase === "" ? "" : ` and ${forPassphrase}`}, where SOPS encrypts for the one key the entry names`;
}
