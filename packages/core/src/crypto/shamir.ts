import { randomBytes } from "node:crypto";
import { checkBytes, checkInteger, isArray } from "../arguments.ts";
import { HushError } from "../errors.ts";

/**
 * Shamir secret sharing over GF(2^8) with polynomial 0x11B, in SOPS's share layout (spec 4,
 * HashiCorp Vault's shamir package): share i = 32 y-values followed by one byte x = i + 1.
 */

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    // multiply by the generator 0x03 in GF(2^8) mod 0x11B
    x ^= (x << 1) ^ (x & 0x80 ? 0x11b : 0);
    x &= 0xff;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[LOG[a]! + LOG[b]!]!;
}
function div(a: number, b: number): number {
  if (b === 0) throw new HushError("INTERNAL", "division by zero in GF(2^8)");
  if (a === 0) return 0;
  return EXP[(LOG[a]! + 255 - LOG[b]!) % 255]!;
}

/** Splits `secret` into `parts` shares, any `threshold` of which recover it. */
export function splitSecret(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  checkBytes(secret, "the secret");
  checkInteger(parts, "the number of Shamir shares", 0, Number.MAX_SAFE_INTEGER);
  checkInteger(threshold, "the shamir threshold", 0, Number.MAX_SAFE_INTEGER);
  if (parts < 2 || parts > 255) throw new HushError("INVALID_ARGUMENT", `Shamir needs 2 to 255 key groups, got ${parts}`);
  if (threshold < 2 || threshold > parts) {
    throw new HushError("INVALID_ARGUMENT", `shamir threshold must be between 2 and the number of key groups (${parts}), got ${threshold}`);
  }
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  const coeffs = new Uint8Array(threshold);
  for (let b = 0; b < secret.length; b++) {
    coeffs[0] = secret[b]!;
    coeffs.set(randomBytes(threshold - 1), 1);
    for (let i = 0; i < parts; i++) {
      const x = i + 1;
      // Horner evaluation of the polynomial at x
      let y = 0;
      for (let c = threshold - 1; c >= 0; c--) y = mul(y, x) ^ coeffs[c]!;
      shares[i]![b] = y;
    }
  }
  coeffs.fill(0);
  return shares;
}

/** Recovers the secret from shares (Lagrange interpolation at x = 0). */
export function combineShares(shares: readonly Uint8Array[]): Uint8Array {
  if (!isArray(shares)) throw new HushError("INVALID_ARGUMENT", "the Shamir shares must be an array");
  shares.forEach((s, i) => checkBytes(s, `Shamir share ${i}`));
  if (shares.length < 2) throw new HushError("INVALID_ARGUMENT", "at least two Shamir shares are needed");
  const len = shares[0]!.length;
  const xs: number[] = [];
  for (const s of shares) {
    if (s.length !== len || len < 2) throw new HushError("KEY_SOURCE_FAILED", "Shamir shares have different lengths");
    const x = s[len - 1]!;
    if (xs.includes(x)) throw new HushError("KEY_SOURCE_FAILED", "duplicate Shamir share");
    xs.push(x);
  }
  const secret = new Uint8Array(len - 1);
  for (let b = 0; b < len - 1; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) {
      let basis = 1;
      for (let j = 0; j < shares.length; j++) {
        if (i === j) continue;
        basis = mul(basis, div(xs[j]!, xs[j]! ^ xs[i]!));
      }
      acc ^= mul(shares[i]![b]!, basis);
    }
    secret[b] = acc;
  }
  return secret;
}
