/**
 * SSH key encodings, as far as age's SSH recipients need them: the wire format of public keys
 * (RFC 4251 §5, RFC 4253 §6.6, RFC 8709), authorized_keys lines, and unencrypted OpenSSH private
 * keys (PROTOCOL.key in OpenSSH). Everything here parses untrusted text, so every read is
 * bounds-checked and failures are reported without echoing the input.
 */
import { createHash, createPrivateKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { encodeBase64NoPad } from "./base64-unpadded.ts";

/** A parse failure; callers turn it into a HushError that names the source, not the content. */
export class SshFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SshFormatError";
  }
}

/** Sequential reader over SSH wire data (uint32, string, mpint). */
export class SshReader {
  readonly #buf: Uint8Array;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  uint32(): number {
    if (this.remaining < 4) throw new SshFormatError("truncated");
    const b = this.#buf;
    const p = this.#pos;
    this.#pos += 4;
    // `>>> 0` keeps the value unsigned.
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  bytes(): Uint8Array {
    const n = this.uint32();
    if (this.remaining < n) throw new SshFormatError("truncated");
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** A string field as text; only used for type names and comments. */
  text(): string {
    return Buffer.from(this.bytes()).toString("utf8");
  }

  /** A non-negative mpint, returned as its magnitude without leading zero bytes. */
  mpint(): Uint8Array {
    const raw = this.bytes();
    if (raw.length > 0 && (raw[0]! & 0x80) !== 0) throw new SshFormatError("negative integer");
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }

  rest(): Uint8Array {
    const out = this.#buf.subarray(this.#pos);
    this.#pos = this.#buf.length;
    return out;
  }
}

/** Encodes an SSH `string` field. */
export function sshString(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length);
  out.set(bytes, 4);
  return out;
}

/** Encodes a non-negative integer (given as its big-endian magnitude) as a canonical mpint. */
export function sshMpint(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const trimmed = magnitude.subarray(i);
  if (trimmed.length > 0 && (trimmed[0]! & 0x80) !== 0) {
    const padded = new Uint8Array(trimmed.length + 1);
    padded.set(trimmed, 1);
    return sshString(padded);
  }
  return sshString(trimmed);
}

/** An SSH public key of a type age can encrypt to. `wire` is the canonical encoding. */
export type SshPublicKey =
  | { readonly type: "ssh-ed25519"; readonly key: Uint8Array; readonly wire: Uint8Array }
  | { readonly type: "ssh-rsa"; readonly n: Uint8Array; readonly e: Uint8Array; readonly wire: Uint8Array };

export function ed25519PublicKey(key: Uint8Array): SshPublicKey {
  if (key.length !== 32) throw new SshFormatError("invalid ssh-ed25519 key length");
  return { type: "ssh-ed25519", key, wire: Buffer.concat([sshString("ssh-ed25519"), sshString(key)]) };
}

export function rsaPublicKey(n: Uint8Array, e: Uint8Array): SshPublicKey {
  // Re-marshalled canonically, as Go's ssh.PublicKey.Marshal does: the fingerprint in age
  // stanzas is computed over this encoding, not over whatever bytes the user pasted.
  return { type: "ssh-rsa", n, e, wire: Buffer.concat([sshString("ssh-rsa"), sshMpint(e), sshMpint(n)]) };
}

/** Parses the wire encoding of an ssh-ed25519 or ssh-rsa public key. */
export function parseSshPublicKeyBlob(blob: Uint8Array): SshPublicKey {
  const r = new SshReader(blob);
  const type = r.text();
  let key: SshPublicKey;
  if (type === "ssh-ed25519") {
    key = ed25519PublicKey(r.bytes());
  } else if (type === "ssh-rsa") {
    const e = r.mpint();
    const n = r.mpint();
    key = rsaPublicKey(n, e);
  } else {
    throw new SshFormatError("unsupported SSH key type");
  }
  if (r.remaining !== 0) throw new SshFormatError("trailing data in SSH public key");
  return key;
}

/**
 * Parses an authorized_keys style line: `<type> <base64> [comment]`. The type named in the text
 * must match the one inside the blob.
 */
export function parseAuthorizedKey(line: string): SshPublicKey {
  const fields = line.trim().split(/\s+/);
  const [type, data] = fields;
  if (type === undefined || data === undefined) throw new SshFormatError("expected `<type> <base64-key>`");
  const blob = decodeBase64Strict(data, true);
  const key = parseSshPublicKeyBlob(blob);
  if (key.type !== type) throw new SshFormatError("key type does not match the encoded key");
  return key;
}

/** The authorized_keys line for a key (`<type> <base64> [comment]`). */
export function formatAuthorizedKey(key: SshPublicKey, comment = ""): string {
  const base = `${key.type} ${Buffer.from(key.wire).toString("base64")}`;
  return comment === "" ? base : `${base} ${comment}`;
}

/**
 * age's SSH stanza tag: the first 4 bytes of SHA-256 over the wire public key, unpadded base64
 * (agessh `sshFingerprint`). It only routes stanzas to identities; it is not a security check.
 */
export function sshStanzaTag(key: SshPublicKey): string {
  return encodeBase64NoPad(createHash("sha256").update(key.wire).digest().subarray(0, 4));
}

/** OpenSSH's `SHA256:...` fingerprint, for messages. */
export function sshFingerprint(key: SshPublicKey): string {
  return `SHA256:${encodeBase64NoPad(createHash("sha256").update(key.wire).digest())}`;
}

/**
 * Strict base64 decoding: Buffer.from silently skips invalid characters, so the input is checked
 * first and must re-encode to itself (no non-canonical trailing bits).
 */
export function decodeBase64Strict(text: string, padded: boolean): Uint8Array {
  const re = padded ? /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/ : /^[A-Za-z0-9+/]*$/;
  if (!re.test(text) || (!padded && text.length % 4 === 1)) throw new SshFormatError("invalid base64");
  const out = Buffer.from(text, "base64");
  const again = out.toString("base64");
  if ((padded ? again : again.replace(/(?<!=)=+$/, "")) !== text) throw new SshFormatError("non-canonical base64");
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** An unencrypted SSH private key of a type age supports. Holds secret material. */
export type SshPrivateKey =
  | {
      readonly type: "ssh-ed25519";
      readonly publicKey: SshPublicKey;
      /** The 32-byte Ed25519 seed. */
      readonly seed: Uint8Array;
      readonly comment: string;
    }
  | {
      readonly type: "ssh-rsa";
      readonly publicKey: SshPublicKey;
      readonly privateKey: KeyObject;
      readonly comment: string;
    };

export type OpenSshPrivateKeyParse = { readonly encrypted: true } | { readonly encrypted: false; readonly key: SshPrivateKey };

const OPENSSH_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const OPENSSH_END = "-----END OPENSSH PRIVATE KEY-----";
const OPENSSH_MAGIC = "openssh-key-v1\0";

/** True when the text holds an OpenSSH-format private key. */
export function isOpenSshPrivateKey(text: string): boolean {
  return text.trimStart().startsWith(OPENSSH_BEGIN);
}

/**
 * Parses an OpenSSH-format private key (`-----BEGIN OPENSSH PRIVATE KEY-----`). Encrypted keys
 * are reported as such (their private section needs bcrypt-pbkdf, which node:crypto lacks).
 */
export function parseOpenSshPrivateKey(text: string): OpenSshPrivateKeyParse {
  const trimmed = text.trim();
  if (!trimmed.startsWith(OPENSSH_BEGIN) || !trimmed.endsWith(OPENSSH_END)) {
    throw new SshFormatError("not an OpenSSH private key");
  }
  const body = trimmed.slice(OPENSSH_BEGIN.length, trimmed.length - OPENSSH_END.length).replace(/\s+/g, "");
  const raw = decodeBase64Strict(body, true);
  const magic = Buffer.from(OPENSSH_MAGIC, "latin1");
  if (raw.length < magic.length || !magic.equals(raw.subarray(0, magic.length))) {
    throw new SshFormatError("bad OpenSSH key magic");
  }
  const r = new SshReader(raw.subarray(magic.length));
  const cipher = r.text();
  const kdf = r.text();
  r.bytes(); // kdf options
  if (r.uint32() !== 1) throw new SshFormatError("expected exactly one key");
  const publicBlob = r.bytes();
  const privateSection = r.bytes();
  if (cipher !== "none" || kdf !== "none") return { encrypted: true };

  const outerPublic = parseSshPublicKeyBlob(publicBlob);
  const p = new SshReader(privateSection);
  if (p.uint32() !== p.uint32()) throw new SshFormatError("corrupt private section (check bytes differ)");
  const type = p.text();
  let key: SshPrivateKey;
  if (type === "ssh-ed25519") {
    const pub = p.bytes();
    const priv = p.bytes();
    const comment = p.text();
    if (pub.length !== 32 || priv.length !== 64) throw new SshFormatError("invalid ssh-ed25519 private key");
    // The 64-byte private field is seed || public key; both copies of the public key must agree.
    if (!Buffer.from(priv.subarray(32)).equals(pub)) throw new SshFormatError("inconsistent ssh-ed25519 private key");
    key = { type: "ssh-ed25519", publicKey: ed25519PublicKey(Uint8Array.from(pub)), seed: Uint8Array.from(priv.subarray(0, 32)), comment };
  } else if (type === "ssh-rsa") {
    const n = p.mpint();
    const e = p.mpint();
    const d = p.mpint();
    const iqmp = p.mpint();
    const pr = p.mpint();
    const q = p.mpint();
    const comment = p.text();
    key = { type: "ssh-rsa", publicKey: rsaPublicKey(Uint8Array.from(n), Uint8Array.from(e)), privateKey: rsaPrivateKey(rsaJwk(n, e, d, pr, q, iqmp)), comment };
  } else {
    throw new SshFormatError("unsupported SSH key type");
  }
  if (!Buffer.from(key.publicKey.wire).equals(outerPublic.wire)) {
    throw new SshFormatError("public and private parts of the key do not match");
  }
  return { encrypted: false, key };
}

/** Opens the numbers as a key node:crypto can decrypt with (importing a JWK; only exporting one can hang). */
function rsaPrivateKey(jwk: JsonWebKey): KeyObject {
  try {
    return createPrivateKey({ key: jwk, format: "jwk" });
  } catch {
    throw new SshFormatError("invalid RSA key");
  }
}

function rsaJwk(n: Uint8Array, e: Uint8Array, d: Uint8Array, p: Uint8Array, q: Uint8Array, qi: Uint8Array): JsonWebKey {
  const dn = toBigInt(d);
  const pn = toBigInt(p);
  const qn = toBigInt(q);
  if (pn <= 1n || qn <= 1n) throw new SshFormatError("invalid RSA key");
  // OpenSSH stores no CRT exponents; JWK (and OpenSSL) want them.
  const dp = dn % (pn - 1n);
  const dq = dn % (qn - 1n);
  return {
    kty: "RSA",
    n: b64url(n),
    e: b64url(e),
    d: b64url(d),
    p: b64url(p),
    q: b64url(q),
    dp: b64url(fromBigInt(dp)),
    dq: b64url(fromBigInt(dq)),
    qi: b64url(qi),
  };
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function fromBigInt(value: bigint): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, "hex");
}
