/**
 * A direct implementation of the common case of opening an age entry: an ASCII-armored age v1
 * file whose header holds only `X25519` stanzas, opened with plain `AGE-SECRET-KEY-1…`
 * identities, with a single-chunk payload (a data key). It uses node:crypto only, so decrypting
 * does not load the full age implementation and its post-quantum dependencies.
 *
 * It never decides that an entry is broken: whenever something is unusual (another stanza type,
 * a header or stanza it would not write itself, a failed MAC or payload check, a low-order
 * share), it answers "does not apply" and the caller hands the entry to the full implementation,
 * which then reports the exact error. It answers "not ours" only for a well-formed header whose
 * stanzas none of the keys opens.
 */
import { createHmac, diffieHellman, timingSafeEqual, type KeyObject } from "node:crypto";
import {
  aeadOpen,
  ARMOR_BEGIN,
  ARMOR_END,
  CHUNK_SIZE,
  HEADER_LABEL,
  hkdf32,
  LAST_FIRST_CHUNK_NONCE,
  PAYLOAD_LABEL,
  PAYLOAD_NONCE_SIZE,
  TAG_SIZE,
  VERSION_LINE,
  X25519_LABEL,
  ZERO_NONCE,
} from "./age-primitives.ts";
import { x25519PublicKey } from "./curve25519.ts";

/** An X25519 identity ready for the fast path. */
export interface X25519Key {
  readonly privateKey: KeyObject;
  /** The identity's public point, part of the HKDF salt. */
  readonly publicKey: Uint8Array;
}

/** The outcome when the fast path applies: the payload, or null when no key opens the entry. */
export interface FastUnwrapResult {
  readonly opened: Uint8Array | null;
}

/** Decodes canonical base64 (padded or not); undefined when `text` is not exactly that. */
function decodeCanonical(text: string, padded: boolean): Buffer | undefined {
  if (!(padded ? /^[A-Za-z0-9+/]*={0,2}$/ : /^[A-Za-z0-9+/]*$/).test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  const again = bytes.toString("base64");
  return (padded ? again : again.replace(/(?<!=)=+$/, "")) === text ? bytes : undefined;
}

/** age's ASCII armor, parsed as strictly as the full implementation does; undefined otherwise. */
export function decodeArmor(text: string): Uint8Array | undefined {
  const lines = text.trim().replaceAll("\r\n", "\n").split("\n");
  if (lines.shift() !== ARMOR_BEGIN || lines.pop() !== ARMOR_END || lines.length === 0) return undefined;
  const last = lines.length - 1;
  const linesOk = lines.every((l, i) => (i === last ? l.length > 0 && l.length <= 64 && l.length % 4 === 0 : l.length === 64));
  if (!linesOk) return undefined;
  return decodeCanonical(lines.join(""), true);
}

interface ParsedHeader {
  /** The X25519 stanzas: ephemeral share and 32-byte body. */
  readonly stanzas: readonly { readonly share: Buffer; readonly body: Buffer }[];
  /** The header up to and including `---`, which the MAC covers. */
  readonly headerNoMac: Uint8Array;
  readonly mac: Buffer;
  readonly payload: Uint8Array;
}

/** Parses a header made only of well-formed X25519 stanzas; undefined for anything else. */
function parseHeader(file: Uint8Array): ParsedHeader | undefined {
  let pos = 0;
  const nextLine = (): { text: string; start: number } | undefined => {
    const end = file.indexOf(0x0a, pos);
    if (end === -1) return undefined;
    const start = pos;
    const text = Buffer.from(file.subarray(start, end)).toString("latin1");
    pos = end + 1;
    // Header lines are printable ASCII.
    return /^[\x20-\x7e]*$/.test(text) ? { text, start } : undefined;
  };
  if (nextLine()?.text !== VERSION_LINE) return undefined;
  const stanzas: { share: Buffer; body: Buffer }[] = [];
  for (;;) {
    const line = nextLine();
    if (line === undefined) return undefined;
    if (line.text.startsWith("--- ")) {
      const mac = decodeCanonical(line.text.slice(4), false);
      if (mac?.length !== 32 || stanzas.length === 0) return undefined;
      return { stanzas, headerNoMac: file.subarray(0, line.start + 3), mac, payload: file.subarray(pos) };
    }
    const args = line.text.startsWith("-> ") ? line.text.slice(3).split(" ") : [];
    if (args.length !== 2 || args[0] !== "X25519") return undefined;
    const share = decodeCanonical(args[1] ?? "", false);
    if (share?.length !== 32) return undefined;
    // Body: 64-column lines of unpadded base64, the last one shorter than 64 (possibly empty).
    const parts: Buffer[] = [];
    for (;;) {
      const bodyLine = nextLine();
      if (bodyLine === undefined || bodyLine.text.length > 64) return undefined;
      const part = decodeCanonical(bodyLine.text, false);
      if (part === undefined) return undefined;
      parts.push(part);
      if (bodyLine.text.length < 64) break;
    }
    const body = Buffer.concat(parts);
    if (body.length !== 32) return undefined;
    stanzas.push({ share, body });
  }
}

/** The file key from one X25519 stanza; null when not for this key; undefined for a low-order share. */
function unwrapStanza(key: X25519Key, share: Buffer, body: Buffer): Buffer | null | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: key.privateKey, publicKey: x25519PublicKey(share) });
  } catch {
    return undefined;
  }
  // An all-zero shared secret means a low-order share: an error in age, left to the full path.
  if (shared.every((b) => b === 0)) return undefined;
  const wrapKey = hkdf32(shared, Buffer.concat([share, key.publicKey]), X25519_LABEL);
  return aeadOpen(wrapKey, ZERO_NONCE, body);
}

/**
 * Opens an age file (binary form) with X25519 keys. Returns undefined when the fast path does
 * not apply or something fails a check (the caller then uses the full implementation), or
 * `{ opened }` with the payload, or with null when none of the keys opens any stanza.
 */
export function fastUnwrapX25519(file: Uint8Array, keys: readonly X25519Key[]): FastUnwrapResult | undefined {
  const header = parseHeader(file);
  if (header === undefined) return undefined;
  let fileKey: Buffer | null = null;
  // Identities in order, each against every stanza, as the full implementation tries them.
  search: for (const key of keys) {
    for (const s of header.stanzas) {
      const opened = unwrapStanza(key, s.share, s.body);
      if (opened === undefined) return undefined;
      if (opened !== null) {
        fileKey = opened;
        break search;
      }
    }
  }
  if (fileKey === null) return { opened: null };
  if (fileKey.length !== 16) return undefined;
  const macKey = hkdf32(fileKey, new Uint8Array(0), HEADER_LABEL);
  const mac = createHmac("sha256", macKey).update(header.headerNoMac).digest();
  if (!timingSafeEqual(mac, header.mac)) return undefined;
  const { payload } = header;
  const sealed = payload.subarray(PAYLOAD_NONCE_SIZE);
  // A data key fits in one chunk; longer payloads go to the full implementation.
  if (payload.length < PAYLOAD_NONCE_SIZE || sealed.length < TAG_SIZE || sealed.length > CHUNK_SIZE + TAG_SIZE) return undefined;
  const streamKey = hkdf32(fileKey, payload.subarray(0, PAYLOAD_NONCE_SIZE), PAYLOAD_LABEL);
  const plaintext = aeadOpen(streamKey, LAST_FIRST_CHUNK_NONCE, sealed);
  return plaintext === null ? undefined : { opened: new Uint8Array(plaintext) };
}
