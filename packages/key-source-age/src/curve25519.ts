/**
 * The few Curve25519 operations the ssh-ed25519 stanza needs, on top of node:crypto (OpenSSL):
 * X25519 with raw scalars and points, and the Edwards-to-Montgomery map for Ed25519 keys.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";

// Keys are imported as JWKs: Node hands their raw bytes to OpenSSL as they are, where DER goes
// through OpenSSL 3's decoder framework, which costs more than the rest of a small decrypt.
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");

export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  if (scalar.length !== 32) throw new Error("invalid X25519 scalar length");
  // A private JWK must name its public point `x`, which Node does not read (it derives the key
  // from `d`); the point is not known before the key exists, and `x25519PublicOf` gives it.
  return createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: b64url(scalar), x: "" }, format: "jwk" });
}

export function x25519PublicKey(point: Uint8Array): KeyObject {
  if (point.length !== 32) throw new Error("invalid X25519 point length");
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64url(point) }, format: "jwk" });
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

/**
 * The public point of an X25519 private key: the last 32 bytes of its SPKI encoding. Not through
 * a JWK export, which now and then never returns in Node 20.20 (about one X25519 key in a few
 * thousand: a loop of `generateKeyPairSync("x25519")` and `export({ format: "jwk" })` stops,
 * idle, where the same loop exporting DER ends).
 */
export function x25519PublicOf(privateKey: KeyObject): Uint8Array {
  if (privateKey.asymmetricKeyType !== "x25519") throw new Error("not an X25519 private key");
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - 32));
}

/** agessh `ed25519PrivateKeyToCurve25519`: the first half of SHA-512(seed), as in Ed25519 signing. */
export function ed25519SeedToX25519(seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(seed).digest().subarray(0, 32));
}

const P = 2n ** 255n - 19n;
/**
 * Ed25519's d = -121665/121666 mod p (RFC 8032 5.1), written out: computing it at module load
 * costs some 250 big-integer squarings at every start of a command that merely discovers keys.
 */
export const EDWARDS_D = 37095705934669439343138083508754565189542113879843219016388785533085940283555n;

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
  const x2 = mod((y2 - 1n) * modPow(EDWARDS_D * y2 + 1n, P - 2n));
  if (x2 !== 0n && modPow(x2, (P - 1n) / 2n) !== 1n) throw new Error("invalid Ed25519 public key");
  // modPow(0, P-2) is 0, so the identity point maps to u = 0, as BytesMontgomery does.
  const u = mod((1n + y) * modPow(1n - y, P - 2n));
  return Uint8Array.from(Buffer.from(u.toString(16).padStart(64, "0"), "hex").reverse());
}
