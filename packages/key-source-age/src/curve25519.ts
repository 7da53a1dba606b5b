/**
 * The few Curve25519 operations the ssh-ed25519 stanza needs, on top of node:crypto (OpenSSL):
 * X25519 with raw scalars and points, and the Edwards-to-Montgomery map for Ed25519 keys.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";

// Fixed DER prefixes (RFC 8410) that wrap a raw 32-byte X25519 key.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: "der", type: "pkcs8" });
}

export function x25519PublicKey(point: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, point]), format: "der", type: "spki" });
}

/**
 * X25519(scalar, point) as in RFC 7748 (scalar clamped by OpenSSL). Throws when the result is
 * all zeros (a low-order point), as Go's curve25519.X25519 does.
 */
export function x25519(scalar: Uint8Array | KeyObject, point: Uint8Array): Uint8Array {
  if (point.length !== 32) throw new Error("invalid X25519 point length");
  const privateKey = scalar instanceof Uint8Array ? x25519PrivateKey(scalar) : scalar;
  return new Uint8Array(diffieHellman({ privateKey, publicKey: x25519PublicKey(point) }));
}

/** The public point of an X25519 private key. */
export function x25519PublicOf(privateKey: KeyObject): Uint8Array {
  const der = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/** agessh `ed25519PrivateKeyToCurve25519`: the first half of SHA-512(seed), as in Ed25519 signing. */
export function ed25519SeedToX25519(seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(seed).digest().subarray(0, 32));
}

const P = 2n ** 255n - 19n;
const D = mod(-121665n * modPow(121666n, P - 2n));

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if ((e & 1n) === 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

/**
 * agessh `ed25519PublicKeyToCurve25519`: decodes the Edwards point (rejecting encodings that are
 * not on the curve, like filippo.io/edwards25519 SetBytes, which also accepts non-canonical y)
 * and returns the Montgomery u = (1 + y) / (1 - y).
 */
export function ed25519PublicToX25519(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new Error("invalid Ed25519 public key length");
  const le = Uint8Array.from(publicKey);
  le[31]! &= 0x7f;
  const y = mod(BigInt(`0x${Buffer.from(le).reverse().toString("hex")}`));
  const y2 = (y * y) % P;
  // x^2 = (y^2 - 1) / (d y^2 + 1) must be a square for the point to exist.
  const x2 = mod((y2 - 1n) * modPow(D * y2 + 1n, P - 2n));
  if (x2 !== 0n && modPow(x2, (P - 1n) / 2n) !== 1n) throw new Error("invalid Ed25519 public key");
  // modPow(0, P-2) is 0, so the identity point maps to u = 0, as BytesMontgomery does.
  const u = mod((1n + y) * modPow(1n - y, P - 2n));
  return Uint8Array.from(Buffer.from(u.toString(16).padStart(64, "0"), "hex").reverse());
}
