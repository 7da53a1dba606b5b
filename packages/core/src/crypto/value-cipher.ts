import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { HushError } from "../errors.ts";
import type { ValueType } from "../tree/values.ts";
import { formatEnvelope, parseEnvelope } from "./envelope.ts";

/** SOPS uses 32-byte GCM nonces (aes/cipher.go nonceSize); GHASH derives the counter. */
export const IV_SIZE = 32;

/** Supplies IVs; tests inject fixed ones to reproduce vectors (spec 10.4). */
export type IvSource = (aad: string, plaintext: Buffer) => Buffer;

export const randomIv: IvSource = () => randomBytes(IV_SIZE);

/** Encrypts one value. AAD is the SOPS path string (`a:b:`), or `lastmodified` for the MAC. */
export function encryptValue(key: Uint8Array, plaintext: Buffer, type: ValueType, aad: string, iv: Buffer): string {
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return formatEnvelope({ data, iv, tag: cipher.getAuthTag(), type });
}

/**
 * Decrypts one envelope. A wrong key, a changed byte or a value moved to another path all fail
 * authentication the same way: VALUE_TAMPERED, with no detail that could leak anything.
 */
export function decryptValue(key: Uint8Array, envelope: string, aad: string): { plaintext: Buffer; type: ValueType; iv: Buffer } {
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
