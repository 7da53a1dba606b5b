import { HushError, quoted } from "@hush/core";

/**
 * SOPS accepts short (16-hex key ID) to full (40-hex) fingerprints; `!` pins a subkey. gpg also
 * takes them with a `0x` prefix (lower-case x only), as `--keyid-format 0xlong` prints them, and
 * SOPS hands them to gpg as given.
 */
const FINGERPRINT = /^(?:0x)?[0-9A-Fa-f]{16,40}!?$/;

/**
 * Removes spaces from a PGP fingerprint (as SOPS does) and checks that what is left is 16 to 40
 * hexadecimal characters, optionally after `0x` and before a trailing `!`. Case and prefix are
 * kept: SOPS stores `fp` as given.
 *
 * The result is the only piece of file metadata that is ever put on gpg's command line, so this
 * check is also what keeps option-like strings (`--…`) away from it.
 *
 * @throws HushError `INVALID_ARGUMENT` when the input is not a fingerprint.
 */
export function normalizePgpFingerprint(fingerprint: string): string {
  const compact = fingerprint.replaceAll(" ", "");
  if (!FINGERPRINT.test(compact)) {
    throw new HushError(
      "INVALID_ARGUMENT",
      `invalid PGP fingerprint ${quoted(fingerprint, 64)}: expected 16 to 40 hexadecimal characters, optionally after "0x" and followed by "!"`,
    );
  }
  return compact;
}

/**
 * One spelling per key, for comparing fingerprints: blanks and the `0x` prefix removed, upper
 * case (a subkey's `!` is kept: it names another key to encrypt to).
 */
export function comparablePgpFingerprint(fingerprint: string): string {
  return fingerprint.replace(/\s/g, "").replace(/^0x/, "").toUpperCase();
}

/** The long key ID (last 16 hex digits, upper case) of a normalized fingerprint. */
export function longKeyId(fingerprint: string): string {
  const hex = fingerprint.endsWith("!") ? fingerprint.slice(0, -1) : fingerprint;
  return hex.slice(-16).toUpperCase();
}
