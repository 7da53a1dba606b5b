import { HushError, convertPlaintext, formatFromPath, FORMATS, parseFormat, plaintextEncoding, utf8Text, type FileFormat } from "@hush/core";

/** Text of a file as the stores read it: binary files byte for byte (latin1), others UTF-8. */
export function decodeInput(bytes: Buffer, format: FileFormat, name: string): string {
  if (plaintextEncoding(format) === "latin1") return bytes.toString("latin1");
  try {
    return utf8Text(bytes, "use --input-type binary for binary files");
  } catch (err) {
    throw err instanceof HushError ? new HushError(err.code, `${name}: ${err.message}`, { located: true }) : err;
  }
}

/**
 * The next step under SOPS's "sops metadata not found" (kept as SOPS words it: scripts match on
 * it) for a command that needs an encrypted file and was given a plaintext one.
 */
export const NOT_ENCRYPTED_NEXT_STEP = "next: the file is not encrypted; `hush encrypt -i` encrypts it in place";

/**
 * The next step under "sops metadata not found" for a file read as binary because its name gives
 * no format (`prod.env.enc`): it may well be encrypted, in another format, and `hush encrypt -i`
 * refuses a name without a format anyway.
 */
export const NAME_GIVES_NO_FORMAT_NEXT_STEP = "next: its name gives no format, so it was read as a binary file; if it is another kind, pass --input-type (yaml, json, dotenv, ini or toml)";

/** Bytes of a text held in `encoding`. */
export function encodeText(text: string, encoding: "latin1" | "utf8"): Buffer {
  return Buffer.from(text, encoding);
}

/** Bytes of a text in `format` (binary plaintext byte for byte). */
export function encodeOutput(text: string, format: FileFormat): Buffer {
  return Buffer.from(text, plaintextEncoding(format));
}

/**
 * The input format: `--input-type`, else the file name's extension. For encryption an unknown
 * extension is an error (no silent binary fallback); `fallback` is used for decryption, where
 * the file's own metadata tells what it is.
 */
export function inputFormat(typeFlag: string | undefined, name: string | undefined, fallback?: FileFormat): FileFormat {
  if (typeFlag !== undefined) return parseFormat(typeFlag);
  const f = name === undefined ? undefined : formatFromPath(name);
  if (f !== undefined) return f;
  if (fallback !== undefined) return fallback;
  throw new HushError(
    "FORMAT_UNKNOWN",
    `${name ?? "stdin"}: cannot tell the file format from its name; pass --input-type (${FORMATS.slice(0, -1).join(", ")} or ${FORMATS.at(-1)!})`,
    { located: true },
  );
}

/** Re-writes a plaintext document in another format (`--output-type`), through the value tree. */
export const convert = convertPlaintext;
