import { checkString } from "../arguments.ts";
import type { TreeMap } from "../tree/values.ts";
import type { ParsedDocument, Store } from "./store.ts";
import { checkFormat, storeFor, type FileFormat } from "./registry.ts";

/**
 * Reading an encrypted file's text for decryption: the leaves, metadata and spans, and how a
 * decrypted value is written back into its span. YAML files in the shape SOPS and hush write are
 * read by the span scanner, which needs no YAML composer (most of the time of a large decrypt,
 * and of a small one's start-up); every other file goes through its store's general parser.
 */

/** What decryption (and the review view) needs of a store: the parse and the renderers. */
export interface DecryptReader {
  readonly doc: ParsedDocument;
  readonly store: Pick<Store, "renderPlaintext" | "renderKept" | "renderEncrypted">;
}

/**
 * The parsed document and renderers for decrypting `text` (`generalParser`: skip the scanner).
 * @throws HushError PARSE_FAILED as the format's store does.
 */
export async function readForDecrypt(text: string, format: FileFormat, options: { generalParser?: boolean } = {}): Promise<DecryptReader> {
  checkString(text, "the text");
  checkFormat(format);
  if (format === "yaml" && options.generalParser !== true) {
    const { scanYaml } = await import("./yaml-scan.ts");
    const doc = scanYaml(text);
    if (doc !== undefined) {
      const { renderEncrypted, renderPlaintext } = await import("./yaml-render.ts");
      return { doc, store: { renderEncrypted, renderPlaintext } };
    }
  }
  const store = await storeFor(format);
  return { doc: store.parse(text), store };
}

/**
 * The value tree of a decrypted document (`--extract`, exec-env): through the span scanner for
 * YAML it reads, else the format's store.
 * @throws HushError PARSE_FAILED as the format's store does.
 */
export async function readTree(text: string, format: FileFormat): Promise<TreeMap> {
  checkString(text, "the text");
  checkFormat(format);
  if (format === "yaml") {
    const tree = (await import("./yaml-scan-tree.ts")).scanYamlTree(text);
    if (tree !== undefined) return tree;
  }
  return (await storeFor(format)).toTree(text);
}
