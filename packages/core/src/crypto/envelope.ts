import { HushError } from "../errors.ts";
import type { ValueType } from "../tree/values.ts";

/**
 * The `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` string (spec 2.1). Parsing is strict:
 * anchored, canonical standard base64, a 16-byte tag, a known type. SOPS's own regex is looser
 * (unanchored at the end, any IV length); we accept any IV length too, since SOPS does.
 */
export interface Envelope {
  readonly data: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly type: ValueType;
}

const ENVELOPE = /^ENC\[AES256_GCM,data:([A-Za-z0-9+/=]*),iv:([A-Za-z0-9+/=]+),tag:([A-Za-z0-9+/=]+),type:([a-z]+)\]$/;
const TYPES: ReadonlySet<string> = new Set(["str", "int", "float", "bool", "time", "comment"]);

/** True when `text` looks like an envelope (cheap check used before full parsing). */
export function looksEncrypted(text: string): boolean {
  return text.startsWith("ENC[AES256_GCM,");
}

function decodeBase64(text: string, what: string): Buffer {
  const bytes = Buffer.from(text, "base64");
  // Canonical form only: re-encoding must give the same text (rejects bad padding and junk bits).
  if (bytes.toString("base64") !== text) throw new HushError("VALUE_TAMPERED", `malformed ENC value: ${what} is not canonical base64`);
  return bytes;
}

/**
 * An envelope's fields as written, not decoded: `ciphertext` is its data, IV and tag text joined
 * by commas, or undefined when it does not have an envelope's form or type (or is not text). Enough to tell one
 * ciphertext from another without the cost of decoding it: a valid envelope's base64 is canonical
 * (see {@link parseEnvelope}), so one ciphertext has one spelling.
 */
export function envelopeFields(text: string): { readonly ciphertext: string; readonly type: string } | undefined {
  const m = typeof text === "string" ? ENVELOPE.exec(text.trimEnd()) : null;
  if (m === null || !TYPES.has(m[4]!)) return undefined;
  return { ciphertext: `${m[1]},${m[2]},${m[3]}`, type: m[4]! };
}

/** Parses an envelope; throws VALUE_TAMPERED (without echoing the text) when it is malformed. */
export function parseEnvelope(text: string): Envelope {
  const m = ENVELOPE.exec(text.trimEnd());
  if (m === null) throw new HushError("VALUE_TAMPERED", "malformed ENC value");
  const [, data, iv, tag, type] = m as unknown as [string, string, string, string, string];
  if (!TYPES.has(type)) throw new HushError("VALUE_TAMPERED", "malformed ENC value: unknown type");
  const parsed = {
    data: decodeBase64(data, "data"),
    iv: decodeBase64(iv, "iv"),
    tag: decodeBase64(tag, "tag"),
    type: type as ValueType,
  };
  if (parsed.tag.length !== 16) throw new HushError("VALUE_TAMPERED", "malformed ENC value: tag is not 16 bytes");
  if (parsed.iv.length === 0) throw new HushError("VALUE_TAMPERED", "malformed ENC value: empty iv");
  return parsed;
}

export function formatEnvelope(e: Envelope): string {
  return `ENC[AES256_GCM,data:${e.data.toString("base64")},iv:${e.iv.toString("base64")},tag:${e.tag.toString("base64")},type:${e.type}]`;
}
