/**
 * Identity parsing: age keys files, SSH private keys, and passphrase-protected age identity files
 * (spec §5.1 `parseIdentity`, `age/encrypted_keys.go`). Parsed secrets live only in closures and
 * private fields, so an identity printed or serialised by accident shows no key material.
 */
import { createPrivateKey } from "node:crypto";
import type { Identity, Stanza } from "age-encryption";
import { HushError } from "@hush/core";
import { bech32Decode } from "./bech32.ts";
import { parsePluginIdentity, pluginProgram } from "./plugin-names.ts";
import { x25519PrivateKey, x25519PublicOf } from "./curve25519.ts";
import { ed25519KeyParts, rsaPublicNumbers } from "./key-der.ts";
import type { X25519Key } from "./fast-unwrap.ts";
import { sshIdentity } from "./ssh-stanzas.ts";
import {
  ed25519PublicKey,
  isOpenSshPrivateKey,
  parseOpenSshPrivateKey,
  rsaPublicKey,
  SshFormatError,
  sshFingerprint,
  type SshPrivateKey,
} from "./ssh-wire.ts";

/** The age stanza types hush can open. */
export type AgeStanzaType = "X25519" | "mlkem768x25519" | "ssh-ed25519" | "ssh-rsa";

/**
 * An age identity (private key) ready for {@link AgeKeySource}. Opaque: it exposes only what is
 * safe to print.
 */
export interface AgeIdentity {
  /** The stanza types this identity can open; used to skip identities that cannot match. */
  readonly stanzaTypes: readonly AgeStanzaType[];
  /** Where the identity came from (a path, an environment variable, a command), for messages. */
  readonly source: string;
  /** True when a passphrase is needed first; it is asked for only when a matching entry is tried. */
  readonly needsPassphrase: boolean;
  /**
   * For a plugin identity (`AGE-PLUGIN-<NAME>-1…`), the plugin's name: `age-plugin-<name>` is run
   * to open an entry, after the other identities failed. Its stanza types are the plugin's to know.
   */
  readonly plugin?: string | undefined;
}

/** Runs a plugin to unwrap `stanzas` with the identity string (a secret, never stored elsewhere). */
export type PluginUnwrap = (name: string, identity: string, stanzas: readonly Stanza[]) => Promise<Uint8Array | null>;

/** Asks the user for a passphrase; `what` names the file or key it unlocks. */
export type PassphrasePrompt = (what: string) => Promise<string>;

/** Options for {@link parseAgeIdentities}. */
export interface ParseAgeIdentitiesOptions {
  /** Name of the input for messages (a path or an environment variable). */
  readonly source?: string;
  /** Asked for passphrase-protected identity files and PEM keys, on first use. */
  readonly passphrase?: PassphrasePrompt;
}

type TypageIdentity = string | Identity;

/** The implementation behind {@link AgeIdentity}; not exported from the package. */
export class AgeIdentityHandle implements AgeIdentity {
  readonly stanzaTypes: readonly AgeStanzaType[];
  readonly source: string;
  readonly needsPassphrase: boolean;
  readonly plugin?: string | undefined;
  readonly #open: () => Promise<readonly TypageIdentity[]>;
  readonly #x25519Scalar: Uint8Array | undefined;
  readonly #pluginIdentity: string | undefined;
  #x25519Key: X25519Key | undefined;

  constructor(
    stanzaTypes: readonly AgeStanzaType[],
    source: string,
    needsPassphrase: boolean,
    open: () => Promise<readonly TypageIdentity[]>,
    x25519Scalar?: Uint8Array,
    plugin?: { readonly name: string; readonly identity: string },
  ) {
    this.stanzaTypes = stanzaTypes;
    this.source = source;
    this.needsPassphrase = needsPassphrase;
    this.#open = open;
    this.#x25519Scalar = x25519Scalar;
    this.plugin = plugin?.name;
    this.#pluginIdentity = plugin?.identity;
  }

  /** For a plugin identity, the typage identity that unwraps through `unwrap`; else undefined. */
  pluginIdentity(unwrap: PluginUnwrap): Identity | undefined {
    const name = this.plugin;
    const identity = this.#pluginIdentity;
    if (name === undefined || identity === undefined) return undefined;
    return { unwrapFileKey: (stanzas) => unwrap(name, identity, stanzas) };
  }

  /**
   * The key for node:crypto's X25519 when this is a plain `AGE-SECRET-KEY-1…` identity (the
   * fast path of unwrap), else undefined. Built on first use.
   */
  x25519Key(): X25519Key | undefined {
    if (this.#x25519Scalar === undefined) return undefined;
    if (this.#x25519Key === undefined) {
      const privateKey = x25519PrivateKey(this.#x25519Scalar);
      this.#x25519Key = { privateKey, publicKey: x25519PublicOf(privateKey) };
    }
    return this.#x25519Key;
  }

  /** What typage's Decrypter takes. May ask for a passphrase; the result is memoised. */
  open(): Promise<readonly TypageIdentity[]> {
    return this.#open();
  }
}

const NATIVE_TYPES: readonly AgeStanzaType[] = ["X25519", "mlkem768x25519"];

function parseError(source: string, what: string, line?: number, cause?: unknown): HushError {
  const where = line === undefined ? source : `${source} line ${line}`;
  return new HushError("INVALID_ARGUMENT", `${where}: ${what}`, cause === undefined ? undefined : { cause });
}

/** Parses one native identity string (already trimmed). Never echoes it. */
function parseNativeIdentity(identity: string, source: string, line: number): AgeIdentityHandle {
  if (identity.startsWith("AGE-PLUGIN-")) {
    const parsed = parsePluginIdentity(identity);
    if ("fault" in parsed) {
      // The name is shown only when age would accept it: anything else may be hostile text.
      if (parsed.fault === "name") throw parseError(source, "age plugin identity names a plugin with characters outside [A-Za-z0-9+-._]; refusing it", line);
      throw parseError(source, `invalid ${pluginProgram(parsed.name ?? "")} identity (bad bech32 encoding)`, line);
    }
    return new AgeIdentityHandle([], source, false, () => Promise.resolve([]), undefined, { name: parsed.name, identity });
  }
  let type: AgeStanzaType;
  if (identity.startsWith("AGE-SECRET-KEY-PQ-1")) type = "mlkem768x25519";
  else if (identity.startsWith("AGE-SECRET-KEY-1")) type = "X25519";
  else throw parseError(source, "not an age identity (expected AGE-SECRET-KEY-1…)", line);
  // Validated as age does when the identity is added to a decrypter: bech32 checksum, the
  // exact prefix, a 32-byte key.
  let scalar: Uint8Array;
  try {
    const decoded = bech32Decode(identity);
    const prefix = type === "X25519" ? "age-secret-key-" : "age-secret-key-pq-";
    if (decoded.prefix !== prefix || decoded.bytes.length !== 32) throw new Error("invalid identity");
    scalar = decoded.bytes;
  } catch {
    // No cause attached: it could describe the string it failed on, here a secret key.
    throw parseError(source, "invalid age identity", line);
  }
  const opened: readonly TypageIdentity[] = [identity];
  return new AgeIdentityHandle([type], source, false, () => Promise.resolve(opened), type === "X25519" ? scalar : undefined);
}

/**
 * Parses a keys file: one identity per line; blank lines and `#` comments skipped. With
 * `wordsPerLine`, a line may hold several identities separated by whitespace (as SOPS accepts
 * in SOPS_AGE_KEY).
 */
function parseKeysFile(text: string, source: string, wordsPerLine: boolean): AgeIdentityHandle[] {
  const out: AgeIdentityHandle[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    for (const word of wordsPerLine ? line.split(/\s+/) : [line]) {
      out.push(parseNativeIdentity(word, source, index + 1));
    }
  });
  return out;
}

function isAgeEncrypted(text: string): boolean {
  return text.startsWith("age-encryption.org/") || text.startsWith("-----BEGIN AGE ENCRYPTED FILE-----");
}

function isPemPrivateKey(text: string): boolean {
  return /^-----BEGIN (?:RSA |ENCRYPTED |)PRIVATE KEY-----/.test(text);
}

/** A handle for an unencrypted SSH private key; the identity is built now to report errors early. */
function sshHandle(key: SshPrivateKey, source: string): AgeIdentityHandle {
  let identity: Identity;
  try {
    identity = sshIdentity(key);
  } catch (err) {
    throw parseError(source, `unusable ${key.type} key ${sshFingerprint(key.publicKey)}: ${(err as Error).message}`, undefined, err);
  }
  const opened: readonly TypageIdentity[] = [identity];
  return new AgeIdentityHandle([key.type], source, false, () => Promise.resolve(opened));
}

/** Converts a PEM/PKCS#8 key that node:crypto opened into the form the SSH stanzas use. */
function sshKeyFromKeyObject(keyObject: ReturnType<typeof createPrivateKey>, source: string): SshPrivateKey {
  if (keyObject.asymmetricKeyType === "rsa") {
    const { n, e } = rsaPublicNumbers(keyObject);
    return { type: "ssh-rsa", publicKey: rsaPublicKey(n, e), privateKey: keyObject, comment: "" };
  }
  if (keyObject.asymmetricKeyType === "ed25519") {
    const { seed, publicKey } = ed25519KeyParts(keyObject);
    return { type: "ssh-ed25519", publicKey: ed25519PublicKey(publicKey), seed, comment: "" };
  }
  throw parseError(source, `unsupported private key type ${keyObject.asymmetricKeyType ?? "unknown"} (age supports ssh-ed25519 and ssh-rsa)`);
}

/** Parses an SSH private key (OpenSSH format, or PEM/PKCS#8 RSA or Ed25519). */
export function parseSshPrivateKey(text: string, source: string, passphrase?: PassphrasePrompt): AgeIdentityHandle {
  const trimmed = text.trim();
  if (isOpenSshPrivateKey(trimmed)) {
    let parsed;
    try {
      parsed = parseOpenSshPrivateKey(trimmed);
    } catch (err) {
      const why = err instanceof SshFormatError ? err.message : "unreadable";
      throw parseError(source, `not a valid OpenSSH private key (${why})`, undefined, err);
    }
    if (parsed.encrypted) {
      throw new HushError("KEY_SOURCE_FAILED", `${source}: passphrase-protected OpenSSH keys are not supported`, {
        hint: "use an unencrypted copy of the key (ssh-keygen -p -N \"\" -f <copy>) kept in a private place, or an age identity",
      });
    }
    return sshHandle(parsed.key, source);
  }
  if (!isPemPrivateKey(trimmed)) throw parseError(source, "not an SSH private key");
  if (/^-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(trimmed) || /^Proc-Type: 4,ENCRYPTED$/m.test(trimmed)) {
    return encryptedPemHandle(trimmed, source, passphrase);
  }
  let keyObject;
  try {
    keyObject = createPrivateKey({ key: trimmed, format: "pem" });
  } catch (err) {
    throw parseError(source, "not a readable PEM private key", undefined, err);
  }
  return sshHandle(sshKeyFromKeyObject(keyObject, source), source);
}

/** A PEM key behind a passphrase: asked for only when an SSH stanza is tried. */
function encryptedPemHandle(pem: string, source: string, passphrase: PassphrasePrompt | undefined): AgeIdentityHandle {
  if (passphrase === undefined) {
    throw new HushError("KEY_SOURCE_FAILED", `${source}: the SSH key is passphrase-protected and no passphrase can be asked for`);
  }
  let opened: Promise<readonly TypageIdentity[]> | undefined;
  const open = async (): Promise<readonly TypageIdentity[]> => {
    const secret = await passphrase(`SSH key ${source}`);
    let keyObject;
    try {
      keyObject = createPrivateKey({ key: pem, format: "pem", passphrase: secret });
    } catch (err) {
      throw new HushError("KEY_SOURCE_FAILED", `${source}: cannot decrypt the SSH key (wrong passphrase?)`, { cause: err });
    }
    return sshHandle(sshKeyFromKeyObject(keyObject, source), source).open();
  };
  // The key type is unknown until decrypted (PKCS#8 may hold either).
  return new AgeIdentityHandle(["ssh-rsa", "ssh-ed25519"], source, true, () => (opened ??= open()));
}

/** An age file encrypted with a passphrase (scrypt) that holds a keys file. */
function encryptedIdentityFileHandle(
  file: Uint8Array,
  armored: boolean,
  source: string,
  passphrase: PassphrasePrompt | undefined,
): AgeIdentityHandle {
  if (passphrase === undefined) {
    throw new HushError("KEY_SOURCE_FAILED", `${source}: passphrase-protected age identity file, and no passphrase can be asked for`);
  }
  let opened: Promise<readonly TypageIdentity[]> | undefined;
  const open = async (): Promise<readonly TypageIdentity[]> => {
    const { armor, Decrypter } = await import("age-encryption");
    let raw: Uint8Array;
    try {
      raw = armored ? armor.decode(Buffer.from(file).toString("utf8")) : file;
    } catch (err) {
      throw new HushError("KEY_SOURCE_FAILED", `${source}: malformed armored age identity file`, { cause: err });
    }
    const secret = await passphrase(`age identity file ${source}`);
    const decrypter = new Decrypter();
    decrypter.addPassphrase(secret);
    let text: string;
    try {
      text = await decrypter.decrypt(raw, "text");
    } catch (err) {
      throw new HushError("KEY_SOURCE_FAILED", `${source}: cannot decrypt the age identity file (wrong passphrase?)`, { cause: err });
    }
    const inner = parseKeysFile(text, source, false);
    if (inner.some((h) => h.plugin !== undefined)) {
      throw new HushError("KEY_SOURCE_FAILED", `${source}: age plugin identities inside a passphrase-protected identity file are not supported`, {
        hint: "put the plugin identity in a keys file of its own (SOPS_AGE_KEY_FILE or the default keys file)",
      });
    }
    return (await Promise.all(inner.map((h) => h.open()))).flat();
  };
  return new AgeIdentityHandle(NATIVE_TYPES, source, true, () => (opened ??= open()));
}

/** Internal form of {@link parseAgeIdentities} with SOPS_AGE_KEY's several-per-line rule. */
export function parseIdentities(
  input: string | Uint8Array,
  source: string,
  passphrase: PassphrasePrompt | undefined,
  wordsPerLine: boolean,
): AgeIdentityHandle[] {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const text = typeof input === "string" ? input : Buffer.from(input).toString("utf8");
  const start = text.trimStart();
  if (isAgeEncrypted(start)) {
    // A binary age file must stay bytes; only the armored form survives a text round trip.
    const armored = start.startsWith("-----BEGIN");
    return [encryptedIdentityFileHandle(armored ? Buffer.from(start, "utf8") : bytes, armored, source, passphrase)];
  }
  if (start.startsWith("-----BEGIN ")) return [parseSshPrivateKey(start, source, passphrase)];
  return parseKeysFile(text, source, wordsPerLine);
}

/**
 * Parses age identities from the content of an identity file:
 * - a keys file (`AGE-SECRET-KEY-1…`, `AGE-SECRET-KEY-PQ-1…`, plugin identities
 *   `AGE-PLUGIN-<NAME>-1…`, one per line, blank and `#` lines skipped);
 * - an unencrypted SSH private key (OpenSSH format or PEM, ed25519 or RSA); a passphrase-protected
 *   PEM key asks for its passphrase on first use;
 * - a passphrase-protected age identity file (binary or armored scrypt age file holding a keys
 *   file); the passphrase is asked for on first use, through `options.passphrase`.
 *
 * @throws HushError `INVALID_ARGUMENT` for content that is not a valid identity, and for plugin
 *   identities whose plugin name age would refuse (messages give the source and line, never the
 *   content); `KEY_SOURCE_FAILED`
 *   for what hush cannot open (passphrase-protected OpenSSH keys, a protected file without a
 *   passphrase prompt).
 */
export function parseAgeIdentities(input: string | Uint8Array, options: ParseAgeIdentitiesOptions = {}): AgeIdentity[] {
  return parseIdentities(input, options.source ?? "age identities", options.passphrase, false);
}
