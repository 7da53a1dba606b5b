import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { checkBytes, checkString, invalidArgument } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { ValueType } from "../tree/values.ts";
import { formatEnvelope, parseEnvelope } from "./envelope.ts";

/** SOPS uses 32-byte GCM nonces (aes/cipher.go nonceSize); GHASH derives the counter. */
export const IV_SIZE = 32;

/** AES-256: a data key is 32 bytes. */
export const DATA_KEY_SIZE = 32;

const VALUE_TYPES: ReadonlySet<string> = new Set(["str", "int", "float", "bool", "time", "comment"]);

/** Supplies IVs; tests inject fixed ones to reproduce vectors (spec 10.4). */
export type IvSource = (aad: string, plaintext: Buffer) => Buffer;

export const randomIv: IvSource = () => randomBytes(IV_SIZE);

/**
 * Encrypts one value. AAD is the SOPS path string (`a:b:`), or `lastmodified` for the MAC.
 * @throws HushError INVALID_ARGUMENT when the key is not {@link DATA_KEY_SIZE} bytes, the IV not
 *   {@link IV_SIZE} bytes, or the type not one of SOPS's.
 */
export function encryptValue(key: Uint8Array, plaintext: Buffer, type: ValueType, aad: string, iv: Buffer): string {
  checkBytes(key, "the data key", DATA_KEY_SIZE);
  checkBytes(plaintext, "the plaintext");
  if (!VALUE_TYPES.has(type)) throw invalidArgument(`the value type must be one of ${[...VALUE_TYPES].join(", ")}`);
  checkString(aad, "the additional data (aad)");
  checkBytes(iv, "the IV", IV_SIZE);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return formatEnvelope({ data, iv, tag: cipher.getAuthTag(), type });
}

/**
 * Decrypts one envelope. A wrong key, a changed byte or a value moved to another path all fail
 * authentication the same way: VALUE_TAMPERED, with no detail that could leak anything.
 * @throws HushError VALUE_TAMPERED (see above, or a malformed envelope); INVALID_ARGUMENT when the
 *   key is not {@link DATA_KEY_SIZE} bytes or the envelope or aad is not a string.
 */
export function decryptValue(key: Uint8Array, envelope: string, aad: string): { plaintext: Buffer; type: ValueType; iv: Buffer } {
  checkBytes(key, "the data key", DATA_KEY_SIZE);
  checkString(envelope, "the encrypted value");
  checkString(aad, "the additional data (aad)");
  const e = parseEnvelope(envelope);
  const decipher = createDecipheriv("aes-256-gcm", key, e.iv);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(e.tag);
  try {
    const plaintext = Buffer.concat([decipher.update(e.data), decipher.final()]);
    return { plaintext, type: e.type, iv: e.iv };
  } catch {
    throw new HushError("VALUE_TAMPERED", "value failed authentication (tampered, moved, or wrong data key)");
  }
}
