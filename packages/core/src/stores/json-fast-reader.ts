import type { FastReader } from "./store.ts";
import { renderJsonEncrypted, renderJsonPlaintext } from "./json-render.ts";
import { scanJson } from "./json-scan.ts";

/**
 * JSON read by the span scanner instead of jsonc-parser for decryption. The value tree (for
 * --extract and exec-env) stays the store's: it keeps empty objects and arrays, which have no
 * leaves.
 */
export const jsonFastReader: FastReader = {
  read(text) {
    const doc = scanJson(text);
    return doc === undefined ? undefined : { doc, store: { renderEncrypted: renderJsonEncrypted, renderPlaintext: renderJsonPlaintext } };
  },
  readTree: () => undefined,
  // JSON has no comments: what the scanner reads is the store's whole parse.
  readWhole: scanJson,
};
