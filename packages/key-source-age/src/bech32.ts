/**
 * Bech32 (BIP 173) decoding for age keys, so that reading `AGE-SECRET-KEY-1…` and `age1…`
 * strings does not load the full age implementation. The rules match the decoder age's
 * JavaScript implementation uses: one case throughout, the separator is the last "1", a
 * six-character checksum, and zero padding bits in the 5-to-8-bit conversion.
 */

const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3] as const;

function polymodStep(pre: number): number {
  const top = pre >> 25;
  let chk = (pre & 0x1ffffff) << 5;
  for (let i = 0; i < 5; i++) {
    if (((top >> i) & 1) === 1) chk ^= GENERATOR[i]!;
  }
  return chk;
}

function checksumValid(prefix: string, data: readonly number[]): boolean {
  let chk = 1;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    if (c < 33 || c > 126) return false;
    chk = polymodStep(chk) ^ (c >> 5);
  }
  chk = polymodStep(chk);
  for (let i = 0; i < prefix.length; i++) chk = polymodStep(chk) ^ (prefix.charCodeAt(i) & 0x1f);
  for (const v of data) chk = polymodStep(chk) ^ v;
  return chk === 1;
}

/** A decoded bech32 string: the lower-case human-readable prefix and the payload bytes. */
export interface Bech32Decoded {
  readonly prefix: string;
  readonly bytes: Uint8Array;
}

/**
 * Decodes a bech32 string (not bech32m). `limit` caps the total length (90 by default, as in
 * BIP 173; false for long post-quantum recipients).
 *
 * @throws Error with a generic message when the string is not valid bech32. The message never
 *   contains the input: it may be a secret key.
 */
export function bech32Decode(text: string, limit: number | false = 90): Bech32Decoded {
  if (text.length < 8 || (limit !== false && text.length > limit)) throw new Error("invalid bech32 length");
  const lowered = text.toLowerCase();
  if (text !== lowered && text !== text.toUpperCase()) throw new Error("bech32 string mixes upper and lower case");
  const sep = lowered.lastIndexOf("1");
  if (sep <= 0) throw new Error("bech32 separator missing");
  const prefix = lowered.slice(0, sep);
  const dataPart = lowered.slice(sep + 1);
  if (dataPart.length < 6) throw new Error("bech32 data too short");
  const words: number[] = [];
  for (const ch of dataPart) {
    const v = CHARSET.indexOf(ch);
    if (v === -1) throw new Error("invalid bech32 character");
    words.push(v);
  }
  if (!checksumValid(prefix, words)) throw new Error("invalid bech32 checksum");
  // 5-bit groups to bytes; leftover bits must be fewer than 5 and all zero.
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const w of words.slice(0, -6)) {
    acc = ((acc << 5) | w) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (bits >= 5) throw new Error("invalid bech32 padding");
  if ((acc & ((1 << bits) - 1)) !== 0) throw new Error("non-zero bech32 padding");
  return { prefix, bytes: Uint8Array.from(out) };
}
