import { formatFromPath, parseFormat, storeFor, type FileFormat, type TreeMap } from "@hush/core";
import { CliError, EXIT } from "./exit-codes.ts";

/** Text of a file as the stores read it: binary files byte for byte (latin1), others UTF-8. */
export function decodeInput(bytes: Buffer, format: FileFormat, name: string): string {
  if (format === "binary") return bytes.toString("latin1");
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) {
    throw new CliError(EXIT.couldNotReadInputFile, `${name}: line ${firstInvalidUtf8Line(bytes)}: not valid UTF-8 (use --input-type binary for binary files)`);
  }
  return text;
}

export function encodeOutput(text: string, format: FileFormat): Buffer {
  return Buffer.from(text, format === "binary" ? "latin1" : "utf8");
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
  throw new CliError(
    EXIT.generic,
    `${name ?? "stdin"}: cannot tell the file format from its name; pass --input-type (yaml, json, dotenv, ini, toml or binary)`,
  );
}

/** Re-writes a plaintext document in another format (`--output-type`), through the value tree. */
export async function convert(text: string, from: FileFormat, to: FileFormat, indent: number | undefined): Promise<string> {
  if (from === to) return text;
  const tree: TreeMap = (await storeFor(from)).toTree(text);
  return (await storeFor(to)).emitTree(tree, indent === undefined ? {} : { indent });
}

/** 1-based line of the first byte sequence that is not UTF-8. */
function firstInvalidUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    const chunk = bytes.subarray(start, end);
    if (!Buffer.from(chunk.toString("utf8"), "utf8").equals(chunk)) return line;
    line += 1;
    start = end + 1;
  }
  return line;
}
