import { expect } from "vitest";
import { applyTextEdits, isHushError, storeFor, type FileFormat } from "@hush/core";

/**
 * Shared checks for every store's tests: what must stay identical around encryption, the round
 * trip itself, and the shape of parse errors.
 */

/** The text with every value span replaced by a marker and the metadata removed. */
export async function skeleton(text: string, format: FileFormat): Promise<string> {
  const doc = (await storeFor(format)).parse(text);
  const edits = [
    ...doc.metadataSpans.map((s) => ({ ...s, text: "" })),
    ...doc.leaves.filter((l) => l.aliased !== true && l.value !== null && l.value.text !== "").map((l) => ({ start: l.start, end: l.end, text: "\u0000" })),
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
