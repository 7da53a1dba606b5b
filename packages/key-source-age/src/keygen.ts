/** Key generation and identity-to-recipient derivation, for `hush keygen`. */
import { HushError } from "@hush/core";
import { formatAuthorizedKey, isOpenSshPrivateKey, parseOpenSshPrivateKey } from "./ssh-wire.ts";

/** A new identity (secret) and the recipient to share. */
export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…`: secret, store it privately. */
  readonly identity: string;
  /** `age1…` or `age1pq1…`: public. */
  readonly recipient: string;
}

/** Generates an X25519 age key pair. */
export async function generateAgeKeyPair(): Promise<AgeKeyPair> {
  const { generateX25519Identity, identityToRecipient } = await import("age-encryption");
  const identity = await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** Generates a post-quantum hybrid (ML-KEM-768 + X25519) age key pair; its recipient is long (~1,960 characters). */
export async function generateHybridAgeKeyPair(): Promise<AgeKeyPair> {
  const { generateHybridIdentity, identityToRecipient } = await import("age-encryption");
  const identity = await generateHybridIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/**
 * The recipient of an identity: `age1…` for `AGE-SECRET-KEY-1…`, `age1pq1…` for
 * `AGE-SECRET-KEY-PQ-1…`, and the `ssh-ed25519 …`/`ssh-rsa …` public key line for an unencrypted
 * OpenSSH private key (like `ssh-keygen -y`, with its comment).
 *
 * @throws HushError `INVALID_ARGUMENT` when the input is not such an identity (the message never
 *   contains it).
 */
export async function ageRecipientOf(identity: string): Promise<string> {
  const text = identity.trim();
  if (isOpenSshPrivateKey(text)) {
    let parsed;
    try {
      parsed = parseOpenSshPrivateKey(text);
    } catch (err) {
      throw new HushError("INVALID_ARGUMENT", "not a valid OpenSSH private key", { cause: err });
    }
    if (parsed.encrypted) throw new HushError("INVALID_ARGUMENT", "passphrase-protected OpenSSH keys are not supported");
    // A comment is free text from the key file: keep it only if it is printable and on one line.
    const comment = /^[\x20-\x7e]*$/.test(parsed.key.comment) ? parsed.key.comment.trim() : "";
    return formatAuthorizedKey(parsed.key.publicKey, comment);
  }
  if (!text.startsWith("AGE-SECRET-KEY-1") && !text.startsWith("AGE-SECRET-KEY-PQ-1")) {
    throw new HushError("INVALID_ARGUMENT", "not an age identity (expected AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)");
  }
  const { identityToRecipient } = await import("age-encryption");
  try {
    return await identityToRecipient(text);
  } catch {
    // No cause attached: bech32 errors quote the string they failed on, here a secret key.
    throw new HushError("INVALID_ARGUMENT", "invalid age identity");
  }
}
