/**
 * age's SSH recipient types (age's `agessh` package), which typage does not implement:
 *
 * - `ssh-ed25519 <tag> <share>`: X25519 with the Ed25519 key mapped to Curve25519, plus a tweak
 *   derived from the SSH public key, so the stanza is bound to the SSH key and not only to the
 *   derived X25519 key.
 * - `ssh-rsa <tag>`: RSA-OAEP-SHA256 with label "age-encryption.org/v1/ssh-rsa".
 *
 * `<tag>` is the first four bytes of SHA-256 over the SSH public key; it routes stanzas to keys.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from "node:crypto";
import type { Identity, Recipient, Stanza } from "age-encryption";
import { ed25519PublicToX25519, ed25519SeedToX25519, x25519, x25519PrivateKey, x25519PublicOf } from "./curve25519.ts";
import { encodeBase64NoPad } from "./base64-unpadded.ts";
import { decodeBase64Strict, sshStanzaTag, type SshPrivateKey, type SshPublicKey } from "./ssh-wire.ts";

const ED25519_LABEL = Buffer.from("age-encryption.org/v1/ssh-ed25519");
const RSA_LABEL = Buffer.from("age-encryption.org/v1/ssh-rsa");
const FILE_KEY_SIZE = 16;
/** age refuses RSA keys below 2048 bits (agessh `NewRSARecipient`). */
export const MIN_RSA_BITS = 2048;

/**
 * A stanza as age's encrypter reads it (arguments and body only). Built as a plain object so
 * that this module, loaded with every identity, does not load the age implementation.
 */
function stanza(args: string[], body: Uint8Array): Stanza {
  return { args, body };
}

function hkdf32(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, 32));
}

// age wraps file keys with ChaCha20-Poly1305 under a single-use key and an all-zero nonce.
const ZERO_NONCE = Buffer.alloc(12);

function aeadSeal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c = createCipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function aeadOpen(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const d = createDecipheriv("chacha20-poly1305", key, ZERO_NONCE, { authTagLength: 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  } catch {
    return null;
  }
}

/** Shared secret of the ssh-ed25519 stanza, after the tweak (agessh Wrap/unwrap). */
function tweakedSecret(sharedSecret: Uint8Array, sshKey: SshPublicKey): Uint8Array {
  // HKDF with no secret and the SSH public key as the salt (agessh: hkdf.New(sha256.New, nil, ssh key, label)).
  const tweak = hkdf32(new Uint8Array(0), sshKey.wire, ED25519_LABEL);
  return x25519(tweak, sharedSecret);
}

/** Recipient for `ssh-ed25519` public keys. */
export class SshEd25519Recipient implements Recipient {
  readonly #sshKey: SshPublicKey;
  readonly #theirPublicKey: Uint8Array;
  readonly #tag: string;

  /** @throws Error when the key is not a valid Ed25519 point. */
  constructor(sshKey: SshPublicKey) {
    if (sshKey.type !== "ssh-ed25519") throw new Error("not an ssh-ed25519 key");
    this.#sshKey = sshKey;
    this.#theirPublicKey = ed25519PublicToX25519(sshKey.key);
    this.#tag = sshStanzaTag(sshKey);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const ephemeral = generateKeyPairSync("x25519").privateKey;
    const ourPublicKey = x25519PublicOf(ephemeral);
    const shared = tweakedSecret(x25519(ephemeral, this.#theirPublicKey), this.#sshKey);
    const salt = Buffer.concat([ourPublicKey, this.#theirPublicKey]);
    const wrappingKey = hkdf32(shared, salt, ED25519_LABEL);
    return [stanza(["ssh-ed25519", this.#tag, encodeBase64NoPad(ourPublicKey)], aeadSeal(wrappingKey, fileKey))];
  }
}

/** Identity for `ssh-ed25519` stanzas, from an Ed25519 seed. */
export class SshEd25519Identity implements Identity {
  readonly #sshKey: SshPublicKey;
  readonly #secretKey: KeyObject;
  readonly #ourPublicKey: Uint8Array;
  readonly #tag: string;

  constructor(key: SshPrivateKey & { type: "ssh-ed25519" }) {
    this.#sshKey = key.publicKey;
    this.#secretKey = x25519PrivateKey(ed25519SeedToX25519(key.seed));
    this.#ourPublicKey = x25519PublicOf(this.#secretKey);
    this.#tag = sshStanzaTag(key.publicKey);
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-ed25519") continue;
      if (s.args.length !== 3) throw new Error("invalid ssh-ed25519 stanza");
      const share = decodeStanzaArg(s.args[2] ?? "", "ssh-ed25519");
      if (share.length !== 32) throw new Error("invalid ssh-ed25519 stanza");
      if (s.args[1] !== this.#tag) continue;
      if (s.body.length !== FILE_KEY_SIZE + 16) throw new Error("invalid ssh-ed25519 stanza");
      let shared: Uint8Array;
      try {
        shared = tweakedSecret(x25519(this.#secretKey, share), this.#sshKey);
      } catch {
        throw new Error("invalid ssh-ed25519 stanza: low-order ephemeral share");
      }
      const wrappingKey = hkdf32(shared, Buffer.concat([share, this.#ourPublicKey]), ED25519_LABEL);
      // The tag is only 32 bits: a stanza for another key with a colliding tag is not ours, so a
      // failed open means "not mine" (null) rather than an error, as typage's X25519 does.
      const fileKey = aeadOpen(wrappingKey, s.body);
      if (fileKey !== null) return fileKey;
    }
    return null;
  }
}

function rsaPublicKeyObject(key: SshPublicKey & { type: "ssh-rsa" }): KeyObject {
  return createPublicKey({
    key: { kty: "RSA", n: Buffer.from(key.n).toString("base64url"), e: Buffer.from(key.e).toString("base64url") },
    format: "jwk",
  });
}

function rsaBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

/** Recipient for `ssh-rsa` public keys (at least 2048 bits). */
export class SshRsaRecipient implements Recipient {
  readonly #key: KeyObject;
  readonly #tag: string;

  /** @throws Error when the key is not usable RSA or is shorter than 2048 bits. */
  constructor(sshKey: SshPublicKey) {
    if (sshKey.type !== "ssh-rsa") throw new Error("not an ssh-rsa key");
    this.#key = rsaPublicKeyObject(sshKey);
    if (rsaBits(this.#key) < MIN_RSA_BITS) throw new Error(`RSA key is shorter than ${MIN_RSA_BITS} bits`);
    this.#tag = sshStanzaTag(sshKey);
  }

  wrapFileKey(fileKey: Uint8Array): Stanza[] {
    const body = publicEncrypt(
      { key: this.#key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: RSA_LABEL },
      fileKey,
    );
    return [stanza(["ssh-rsa", this.#tag], new Uint8Array(body))];
  }
}

/** Identity for `ssh-rsa` stanzas. */
export class SshRsaIdentity implements Identity {
  readonly #key: KeyObject;
  readonly #tag: string;

  /** @throws Error when the key is shorter than 2048 bits or not valid. */
  constructor(key: SshPrivateKey & { type: "ssh-rsa" }) {
    this.#key = key.privateKey;
    if (rsaBits(this.#key) < MIN_RSA_BITS) throw new Error(`RSA key is shorter than ${MIN_RSA_BITS} bits`);
    this.#tag = sshStanzaTag(key.publicKey);
  }

  unwrapFileKey(stanzas: Stanza[]): Uint8Array | null {
    for (const s of stanzas) {
      if (s.args[0] !== "ssh-rsa") continue;
      if (s.args.length !== 2) throw new Error("invalid ssh-rsa stanza");
      if (s.args[1] !== this.#tag) continue;
      try {
        const fileKey = privateDecrypt(
          { key: this.#key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: RSA_LABEL },
          s.body,
        );
        return new Uint8Array(fileKey);
      } catch {
        // As for ssh-ed25519: a 32-bit tag collision is not an error.
        continue;
      }
    }
    return null;
  }
}

function decodeStanzaArg(arg: string, type: string): Uint8Array {
  try {
    return decodeBase64Strict(arg, false);
  } catch {
    throw new Error(`invalid ${type} stanza`);
  }
}

/** An identity for an unencrypted SSH private key. */
export function sshIdentity(key: SshPrivateKey): Identity {
  return key.type === "ssh-ed25519" ? new SshEd25519Identity(key) : new SshRsaIdentity(key);
}

/** A recipient for an SSH public key. */
export function sshRecipient(key: SshPublicKey): Recipient {
  return key.type === "ssh-ed25519" ? new SshEd25519Recipient(key) : new SshRsaRecipient(key);
}
