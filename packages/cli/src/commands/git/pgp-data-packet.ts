/**
 * The encrypted data of an OpenPGP message (RFC 4880 section 4), without its framing. What gpg
 * opens is decided by that packet's body alone: the packets before it (session keys for other
 * keys, marker packets), the length encodings and partial-length chunks can all be written
 * otherwise by anyone, without a key, and the message still opens.
 */

/** Encrypted data packets: symmetrically encrypted (9) and integrity protected (18). */
const ENCRYPTED_DATA_TAGS = new Set([9, 18]);
const COMPRESSED_TAG = 8;
/** How deep compressed packets are followed (gpg nests a few at most). */
const MAX_NESTING = 8;

/** One packet: its tag and its body with any partial-length chunks joined. */
interface Packet {
  readonly tag: number;
  readonly body: Buffer;
}

/**
 * The body of the last encrypted data packet of `message` (a packet stream), followed into an
 * uncompressed "compressed" packet (algorithm 0) that holds one; undefined when there is none or
 * the stream is malformed.
 */
export function encryptedDataBody(message: Buffer, depth = 0): Buffer | undefined {
  const packets = readPackets(message);
  if (packets === undefined) return undefined;
  let found: Buffer | undefined;
  for (const { tag, body } of packets) {
    if (ENCRYPTED_DATA_TAGS.has(tag)) found = body;
    else if (tag === COMPRESSED_TAG && body[0] === 0 && depth < MAX_NESTING) found = encryptedDataBody(body.subarray(1), depth + 1) ?? found;
  }
  return found;
}

function readPackets(bytes: Buffer): Packet[] | undefined {
  const packets: Packet[] = [];
  let at = 0;
  while (at < bytes.length) {
    const first = bytes[at]!;
    if ((first & 0x80) === 0) return undefined;
    if ((first & 0x40) === 0) {
      // Old format: the length type in the low two bits (3: to the end of the stream).
      const tag = (first >> 2) & 0x0f;
      const size = [1, 2, 4, 0][first & 3]!;
      const length = size === 0 ? bytes.length - at - 1 : bytes.readUIntBE(at + 1, size);
      const start = at + 1 + size;
      if (start > bytes.length || start + length > bytes.length) return undefined;
      packets.push({ tag, body: bytes.subarray(start, start + length) });
      at = start + length;
      continue;
    }
    // New format: partial lengths (224..254) are chunks, joined until a definite length.
    const tag = first & 0x3f;
    const chunks: Buffer[] = [];
    at++;
    for (;;) {
      const next = newFormatLength(bytes, at);
      if (next === undefined || next.end + next.length > bytes.length) return undefined;
      chunks.push(bytes.subarray(next.end, next.end + next.length));
      at = next.end + next.length;
      if (!next.partial) break;
    }
    packets.push({ tag, body: Buffer.concat(chunks) });
  }
  return packets;
}

function newFormatLength(bytes: Buffer, at: number): { length: number; end: number; partial: boolean } | undefined {
  const b = bytes[at];
  if (b === undefined) return undefined;
  if (b < 192) return { length: b, end: at + 1, partial: false };
  if (b < 224) {
    const c = bytes[at + 1];
    return c === undefined ? undefined : { length: ((b - 192) << 8) + c + 192, end: at + 2, partial: false };
  }
  if (b < 255) return { length: 1 << (b & 0x1f), end: at + 1, partial: true };
  return at + 5 <= bytes.length ? { length: bytes.readUInt32BE(at + 1), end: at + 5, partial: false } : undefined;
}
