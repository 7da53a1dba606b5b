import { createDecipheriv, createHash } from "node:crypto";
import { expect } from "vitest";
import { applyTextEdits, decryptText, encryptText, isHushError, storeFor, type FileFormat, type MasterKeyEntry } from "@hush/core";

/**
 * Shared checks for every store's tests: what must stay identical around encryption, the round
 * trip itself, and the shape of parse errors.
 */

/** A fixed data key with a placeholder key entry: the value layer is tested without any key source. */
export const dataKey = new Uint8Array(32).fill(7);
export const wrappedKeys: MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1test", enc: "x" }]];
export const noKeys = async (): Promise<undefined> => undefined;
/** A fixed time and deterministic IVs, so encrypted fixtures are stable. */
export const now = new Date("2025-01-02T03:04:05Z");
export const ivSource = (aad: string, plaintext: Buffer): Buffer => createHash("sha256").update(aad).update("\0").update(plaintext).digest();

/** YAML encrypted with the fixed data key and IVs above. */
export const encYaml = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
/** YAML decrypted with the fixed data key; `generalParser` skips the span scanner. */
export const decYaml = (text: string, generalParser = false): Promise<string> => decryptText(text, { format: "yaml", keySources: noKeys, dataKey, generalParser });

/** The error code and message the YAML store's parse of `text` gives, or "ok". */
export async function yamlReading(text: string): Promise<string> {
  try {
    (await storeFor("yaml")).parse(text);
    return "ok";
  } catch (err) {
    if (!isHushError(err)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

/** The text with every value span replaced by a marker and the metadata removed. */
export async function skeleton(text: string, format: FileFormat): Promise<string> {
  const doc = (await storeFor(format)).parse(text);
  const edits = [
    ...doc.metadataSpans.map((s) => ({ ...s, text: "" })),
    ...doc.leaves.filter((l) => l.aliased !== true && l.value !== null && (l.value.text !== "" || l.kind === "comment")).map((l) => ({ start: l.start, end: l.end, text: "\u0000" })),
  ];
  return applyTextEdits(text, edits);
}

/** decrypt(encrypt(x)) is x byte for byte, and encryption changed only value spans. */
export async function expectRoundTrip(
  text: string,
  format: FileFormat,
  enc: (t: string) => Promise<string>,
  dec: (t: string) => Promise<string>,
): Promise<string> {
  const e = await enc(text);
  expect(await dec(e)).toBe(text);
  expect(await skeleton(e, format)).toBe(await skeleton(text, format));
  return e;
}

/** The HushError a call throws, as message and line. */
export async function parseErrorOf(run: () => Promise<unknown>): Promise<{ message: string; line: number | undefined }> {
  try {
    await run();
  } catch (err) {
    if (!isHushError(err)) throw err;
    return { message: err.message, line: err.location?.line };
  }
  throw new Error("expected a parse error");
}

/** A parse error's message is one line, names `line`, matches `reason` and never shows `secret`. */
export function expectSafeParseError(err: { message: string; line: number | undefined }, line: number, reason: RegExp, secret: string): void {
  expect(err.message).toMatch(reason);
  expect(err.message).toContain(`line ${line}`);
  expect(err.line).toBe(line);
  expect(err.message).not.toContain(secret);
  expect(err.message).not.toContain("\n");
}

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** SOPS's decryption of one envelope (AES-256-GCM with `aad`), written apart from hush's code. */
export function sopsAesDecrypt(envelope: string, key: Uint8Array, aad: string): string {
  const m = ENC_RE.exec(envelope);
  if (m === null) throw new Error("Input string does not match sops' data format");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(m[2]!, "base64"));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(Buffer.from(m[3]!, "base64"));
  return Buffer.concat([d.update(Buffer.from(m[1]!, "base64")), d.final()]).toString("utf8");
}
