/**
 * The pieces of the age v1 format that hush's direct X25519 paths share (fast-unwrap.ts opens
 * an entry, fast-wrap.ts writes one): the labels, sizes and nonces of the spec, HKDF-SHA-256 and
 * ChaCha20-Poly1305 over node:crypto. Kept apart from the age implementation, which these paths
 * exist not to load.
 */
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";

export const ARMOR_BEGIN = "-----BEGIN AGE ENCRYPTED FILE-----";
export const ARMOR_END = "-----END AGE ENCRYPTED FILE-----";
export const VERSION_LINE = "age-encryption.org/v1";
export const X25519_LABEL = Buffer.from("age-encryption.org/v1/X25519");
export const HEADER_LABEL = Buffer.from("header");
export const PAYLOAD_LABEL = Buffer.from("payload");
export const FILE_KEY_SIZE = 16;
export const TAG_SIZE = 16;
export const CHUNK_SIZE = 64 * 1024;
export const PAYLOAD_NONCE_SIZE = 16;
// Each file key is wrapped under its own single-use key, hence the fixed all-zero nonce.
export const ZERO_NONCE = Buffer.alloc(12);
// STREAM nonce of the first chunk when it is also the last: counter 0, last-chunk flag 1.
export const LAST_FIRST_CHUNK_NONCE = Buffer.from("000000000000000000000001", "hex");

/** HKDF-SHA-256 to 32 bytes, as age derives every key. */
export function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, info, 32));
}

/** ChaCha20-Poly1305 seal: ciphertext then tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Buffer {
  const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_SIZE });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

/** ChaCha20-Poly1305 open; null when authentication fails. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_SIZE) return null;
  const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_SIZE });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_SIZE)), d.final()]);
  } catch {
    return null;
  }
}
