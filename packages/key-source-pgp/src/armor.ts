/**
 * Just enough OpenPGP parsing to read who an armored message is encrypted to, without running
 * gpg: the public-key encrypted session key packets (PKESK) that open every encrypted message
 * carry the recipient's key ID in clear (RFC 4880 §5.1, RFC 9580 §5.1). This lets the key source
 * skip entries for keys that are not in the keyring without paying for a gpg process
 * (`gpg --list-packets` costs as much as a decryption attempt).
 */

/** Recipients of an encrypted message, as announced by its session key packets. */
export interface MessageRecipients {
  /** Long key IDs (16 upper-case hex digits) of the recipients named in the message. */
  readonly keyIds: readonly string[];
  /**
   * True when at least one recipient is not named: a hidden recipient (`--throw-keyids`, key ID
   * zero) or a packet version this parser does not read. Any secret key may then be the one.
   */
  readonly anonymous: boolean;
  /**
   * Present (true) when the message can also be opened with a passphrase: a symmetric-key
   * encrypted session key packet (SKESK). SOPS and hush never write one; gpg asks for it.
   */
  readonly passphrase?: true;
  /**
   * Every session key packet, in order: the key ID of a public-key one (`0000000000000000` when
   * hidden, `?` for a packet version this parser does not read), or null for a passphrase's.
   */
  readonly sessionKeys: readonly (string | null)[];
}

const TAG_PKESK = 1;
const TAG_SKESK = 3;
const TAG_MARKER = 10;
/** Symmetrically encrypted data, SEIPD (MDC / v2) and AEAD: the payload after the key packets. */
const DATA_TAGS = new Set([9, 18, 20]);

/**
 * Reads the recipients of an ASCII-armored OpenPGP encrypted message.
 * Returns null when the text is not an armored, well-formed encrypted message.
 */
export function readMessageRecipients(armored: string): MessageRecipients | null {
  const bytes = dearmorMessage(armored);
  return bytes === null ? null : readRecipients(bytes);
}

/** Decodes the base64 body of a `PGP MESSAGE` armor; the checksum is left to gpg. */
function dearmorMessage(armored: string): Uint8Array | null {
  const lines = armored.split(/\r?\n/).map((line) => line.trimEnd());
  let i = lines.findIndex((line) => line.trimStart() === "-----BEGIN PGP MESSAGE-----");
  if (i < 0) return null;
  i++;
  // Armor headers ("Version: …", "Comment: …") end at the first blank line.
  while (i < lines.length && /^[!-9;-~]+: /.test(lines[i] ?? "")) i++;
  if (lines[i] === "") i++;
  let body = "";
  for (; i < lines.length; i++) {
    const line = (lines[i] ?? "").trimStart();
    if (line.startsWith("-----END PGP MESSAGE-----")) return decodeBase64(body);
    if (line.startsWith("=") && line.length === 5) continue; // CRC-24 checksum line
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) return null;
    body += line;
  }
  return null;
}

function decodeBase64(text: string): Uint8Array | null {
  if (text.length === 0 || text.length % 4 !== 0) return null;
  return Buffer.from(text, "base64");
}

function readRecipients(bytes: Uint8Array): MessageRecipients | null {
  const keyIds: string[] = [];
  const sessionKeys: (string | null)[] = [];
  let anonymous = false;
  let passphrase = false;
  let offset = 0;
  while (offset < bytes.length) {
    const header = readPacketHeader(bytes, offset);
    if (header === null) return null;
    const { tag, bodyStart, bodyLength } = header;
    if (DATA_TAGS.has(tag)) {
      // The encrypted payload follows the key packets; a message needs at least one of them.
      if (keyIds.length === 0 && !anonymous && offset === 0) return null;
      return passphrase ? { keyIds, anonymous, passphrase, sessionKeys } : { keyIds, anonymous, sessionKeys };
    }
    if (bodyLength === null || bodyStart + bodyLength > bytes.length) return null;
    if (tag === TAG_PKESK) {
      const body = bytes.subarray(bodyStart, bodyStart + bodyLength);
      if (body[0] === 3 && body.length >= 10) {
        const keyId = Buffer.from(body.subarray(1, 9)).toString("hex").toUpperCase();
        sessionKeys.push(keyId);
        if (keyId === "0000000000000000") anonymous = true;
        else keyIds.push(keyId);
      } else {
        sessionKeys.push("?");
        anonymous = true;
      }
    } else if (tag === TAG_SKESK) {
      sessionKeys.push(null);
      passphrase = true;
    } else if (tag !== TAG_MARKER) {
      // Literal data, signatures, keys…: not an encrypted message.
      return null;
    }
    offset = bodyStart + bodyLength;
  }
  return null;
}

/**
 * The tag of a message's first packet other than a marker packet (which gpg skips, RFC 4880
 * §5.8), or null when its packets cannot be read that far.
 */
export function firstPacketTag(bytes: Uint8Array): number | null {
  let offset = 0;
  for (;;) {
    const header = readPacketHeader(bytes, offset);
    if (header === null || header.tag !== TAG_MARKER) return header?.tag ?? null;
    if (header.bodyLength === null) return null;
    offset = header.bodyStart + header.bodyLength;
  }
}

interface PacketHeader {
  readonly tag: number;
  readonly bodyStart: number;
  /** null for partial or indeterminate lengths (only valid for data packets). */
  readonly bodyLength: number | null;
}

function readPacketHeader(bytes: Uint8Array, offset: number): PacketHeader | null {
  const first = bytes[offset];
  if (first === undefined || (first & 0x80) === 0) return null;
  if ((first & 0x40) !== 0) {
    // New format (RFC 4880 §4.2.2).
    const tag = first & 0x3f;
    const o1 = bytes[offset + 1];
    if (o1 === undefined) return null;
    if (o1 < 192) return { tag, bodyStart: offset + 2, bodyLength: o1 };
    if (o1 < 224) {
      const o2 = bytes[offset + 2];
      if (o2 === undefined) return null;
      return { tag, bodyStart: offset + 3, bodyLength: ((o1 - 192) << 8) + o2 + 192 };
    }
    if (o1 === 255) {
      if (offset + 6 > bytes.length) return null;
      const length = Buffer.from(bytes.subarray(offset + 2, offset + 6)).readUInt32BE(0);
      return { tag, bodyStart: offset + 6, bodyLength: length };
    }
    return { tag, bodyStart: offset + 2, bodyLength: null };
  }
  // Old format (RFC 4880 §4.2.1).
  const tag = (first >> 2) & 0x0f;
  const lengthType = first & 0x03;
  if (lengthType === 3) return { tag, bodyStart: offset + 1, bodyLength: null };
  const size = 1 << lengthType;
  if (offset + 1 + size > bytes.length) return null;
  let length = 0;
  for (let k = 0; k < size; k++) length = length * 256 + (bytes[offset + 1 + k] ?? 0);
  return { tag, bodyStart: offset + 1 + size, bodyLength: length };
}
