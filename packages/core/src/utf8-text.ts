import { checkBytes } from "./arguments.ts";
import { HushError } from "./errors.ts";

/**
 * A text file's bytes as UTF-8, checked: Node would silently put U+FFFD for every byte sequence
 * that is not UTF-8, and that changed text would then be encrypted, or decrypted and printed, as if
 * it were the file. `next`: what to do instead, for the message.
 * @throws HushError NOT_UTF8 naming the first line that is not UTF-8.
 */
export function utf8Text(bytes: Buffer, next: string): string {
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) {
    throw new HushError("NOT_UTF8", `line ${firstInvalidUtf8Line(bytes)}: not valid UTF-8 (${next})`);
  }
  return text;
}

/** 1-based line of the first byte sequence that is not UTF-8 (one past the last line when all are). */
export function firstInvalidUtf8Line(input: Uint8Array): number {
  checkBytes(input, "the bytes");
  const bytes = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
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
