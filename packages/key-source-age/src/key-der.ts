/**
 * The numbers of an RSA or Ed25519 key that node:crypto opened, read from its DER encodings.
 *
 * Not through a JWK export: in Node 20.20 `KeyObject.export({ format: "jwk" })` of an Ed25519 or
 * X25519 key now and then never returns (a loop generating and exporting 5,000 Ed25519 keys stopped,
 * idle, in two runs of five; the same loop exporting DER always ended), and a deploy's
 * `hush decrypt` must not hang on the identity it loads.
 */

import { createPublicKey, type KeyObject } from "node:crypto";

/** RFC 8410 PKCS#8 of an Ed25519 private key without its optional public key: 16 bytes, then the seed. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
/** RFC 8410 SubjectPublicKeyInfo of an Ed25519 key: 12 bytes, then the point. */
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** The 32-byte seed and public point of an Ed25519 private key. @throws Error for other keys. */
export function ed25519KeyParts(privateKey: KeyObject): { readonly seed: Uint8Array; readonly publicKey: Uint8Array } {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 private key");
  const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return {
    seed: new Uint8Array(afterPrefix(pkcs8, ED25519_PKCS8_PREFIX, 32)),
    publicKey: new Uint8Array(afterPrefix(spki, ED25519_SPKI_PREFIX, 32)),
  };
}

/**
 * The modulus and public exponent of an RSA key, big-endian without leading zeros (as a JWK's
 * `n` and `e`), from its PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
 */
export function rsaPublicNumbers(key: KeyObject): { readonly n: Uint8Array; readonly e: Uint8Array } {
  if (key.asymmetricKeyType !== "rsa") throw new Error("not an RSA key");
  const der = createPublicKey(key).export({ format: "der", type: "pkcs1" });
  const sequence = readTlv(der, 0, 0x30);
  if (sequence.end !== der.length) throw new Error("unexpected RSA public key encoding");
  const modulus = readTlv(der, sequence.start, 0x02);
  const exponent = readTlv(der, modulus.end, 0x02);
  if (exponent.end !== sequence.end) throw new Error("unexpected RSA public key encoding");
  return { n: unsignedMagnitude(der.subarray(modulus.start, modulus.end)), e: unsignedMagnitude(der.subarray(exponent.start, exponent.end)) };
}

function afterPrefix(der: Buffer, prefix: Buffer, length: number): Buffer {
  if (der.length !== prefix.length + length || !der.subarray(0, prefix.length).equals(prefix)) {
    throw new Error("unexpected Ed25519 key encoding");
  }
  return der.subarray(prefix.length);
}

/** One DER tag-length-value at `offset` with the expected tag: where its contents start and end. */
function readTlv(der: Buffer, offset: number, tag: number): { readonly start: number; readonly end: number } {
  if (der[offset] !== tag) throw new Error("unexpected RSA public key encoding");
  let start = offset + 2;
  let length = der[offset + 1] ?? 0;
  if (length & 0x80) {
    // Long form: the low bits count the length's own bytes (at most 4 for any key node:crypto opens).
    const lengthBytes = length & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4) throw new Error("unexpected RSA public key encoding");
    length = der.readUIntBE(offset + 2, lengthBytes);
    start += lengthBytes;
  }
  const end = start + length;
  if (end > der.length) throw new Error("unexpected RSA public key encoding");
  return { start, end };
}

/** A DER INTEGER's contents without the zero byte that keeps a high first bit positive. */
function unsignedMagnitude(bytes: Buffer): Uint8Array {
  let first = 0;
  while (first < bytes.length - 1 && bytes[first] === 0) first++;
  return new Uint8Array(bytes.subarray(first));
}
