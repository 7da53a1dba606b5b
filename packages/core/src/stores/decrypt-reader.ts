import { checkString } from "../arguments.ts";
import type { TreeMap } from "../tree/values.ts";
import type { FastReader, ParsedDocument, Store, StreamingRead } from "./store.ts";
import { checkFormat, registration, storeFor, type FileFormat } from "./registry.ts";

/**
 * Reading an encrypted file's text for decryption: the leaves, metadata and spans, and how a
 * decrypted value is written back into its span. A format's fast reader (YAML's span scanner,
 * which needs no YAML composer) reads the files it fully understands; every other file goes
 * through its store's general parser.
 */

/** What decryption (and the review view) needs of a store: the parse and the renderers. */
export interface DecryptReader {
  readonly doc: ParsedDocument;
  readonly store: Pick<Store, "renderPlaintext" | "renderKept" | "renderEncrypted" | "confirmPlaintext" | "completePlaintext">;
}

/**
 * The parsed document and renderers for decrypting `text` (`generalParser`: skip the scanner).
 * @throws HushError PARSE_FAILED as the format's store does.
 */
export async function readForDecrypt(text: string, format: FileFormat, options: { generalParser?: boolean } = {}): Promise<DecryptReader> {
  checkString(text, "the text");
  checkFormat(format);
  const fast = options.generalParser === true ? undefined : await fastReaderFor(format);
  const read = fast?.read(text);
  if (read !== undefined) return read;
  const store = await storeFor(format);
  return { doc: store.parse(text), store };
}

/**
 * The store's whole parse of `text` (see FastReader.readWhole): through the format's fast reader
 * where it gives exactly that, else through the store's parser.
 * @throws HushError PARSE_FAILED as the format's store does.
 */
export async function readWhole(text: string, format: FileFormat): Promise<ParsedDocument> {
  checkString(text, "the text");
  checkFormat(format);
  return (await fastReaderFor(format))?.readWhole?.(text) ?? (await storeFor(format)).parse(text);
}

/**
 * The format's streaming read of `text` for decryption (see FastReader.stream), or undefined
 * when it has none or cannot read this text's metadata first.
 */
export async function streamForDecrypt(text: string, format: FileFormat): Promise<StreamingRead | undefined> {
  checkString(text, "the text");
  checkFormat(format);
  return (await fastReaderFor(format))?.stream?.(text);
}

/**
 * The value tree of a decrypted document (`--extract`, exec-env): through the format's fast
 * reader when it reads the text, else the format's store.
 * @throws HushError PARSE_FAILED as the format's store does.
 */
export async function readTree(text: string, format: FileFormat): Promise<TreeMap> {
  checkString(text, "the text");
  checkFormat(format);
  return (await treeScanner(format))(text) ?? (await storeFor(format)).toTree(text);
}

/**
 * The format's tree reader for plaintext documents through its fast reader only: it gives
 * undefined for a text the fast reader declines (the caller then uses the store's toTree, which
 * also gives the errors). A text it reads holds one document.
 */
export async function treeScanner(format: FileFormat): Promise<(text: string) => TreeMap | undefined> {
  checkFormat(format);
  const fast = await fastReaderFor(format);
  return (text) => {
    checkString(text, "the text");
    return fast?.readTree(text);
  };
}

/**
 * A plaintext's parse for encryption through the format's fast reader (see
 * FastReader.readPlaintext), or undefined when it has none or declines the text.
 */
export async function scannedPlaintext(text: string, format: FileFormat): Promise<ParsedDocument | undefined> {
  return (await fastReaderFor(format))?.readPlaintext?.(text);
}

async function fastReaderFor(format: FileFormat): Promise<FastReader | undefined> {
  return registration(format).loadFastReader?.();
}
