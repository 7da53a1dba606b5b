import type { ScalarValue, KeyPath, TreeMap } from "../tree/values.ts";

/** The formats hush reads and writes. */
export type FileFormat = "yaml" | "json" | "dotenv" | "ini" | "toml" | "binary";

/**
 * One encryptable place in a document, in document order: a scalar value or a comment.
 * `start`/`end` is the span of source text that encryption or decryption replaces; every byte
 * outside the spans of a document's leaves (and its metadata) is left exactly as it is.
 */
export interface Leaf {
  readonly kind: "scalar" | "comment";
  /**
   * Full path from the document root. For a comment: the path of the map or list that
   * contains it (SOPS uses that for the comment's AAD).
   */
  readonly path: KeyPath;
  /** Index of the document (YAML streams); 0 elsewhere. */
  readonly document: number;
  /**
   * Scalars: the value as read; `null` for null (never encrypted, never in the MAC).
   * Comments: a str value holding the comment text without the comment marker.
   */
  readonly value: ScalarValue | null;
  readonly start: number;
  readonly end: number;
  /** 1-based line of `start`, for messages. */
  readonly line: number;
  /**
   * True when this leaf is reached again through a YAML alias: it counts in the MAC again
   * (SOPS expands aliases) but has no span of its own.
   */
  readonly aliased?: boolean;
  /** Store-private details (quoting style, indentation) used by the render methods. */
  readonly style?: unknown;
}

/** The result of reading a file's text. */
export interface ParsedDocument {
  /** Every scalar and comment in document order (aliased copies included, see Leaf.aliased). */
  readonly leaves: readonly Leaf[];
  /**
   * The SOPS metadata as plain data (nested maps/lists/strings/numbers/booleans), already
   * unflattened for dotenv and INI, or undefined when the file has none.
   */
  readonly metadata: unknown;
  /** Spans to delete to remove the metadata; the text left is the data part. */
  readonly metadataSpans: ReadonlyArray<{ readonly start: number; readonly end: number }>;
  /** Number of documents (YAML streams); 1 elsewhere, 0 for an empty YAML stream. */
  readonly documentCount: number;
  /**
   * The first construct SOPS cannot represent (YAML keys that are not strings): encrypting
   * refuses the file with this message; decrypting files written earlier still works.
   */
  readonly unsupported?: { readonly message: string; readonly line: number };
}

/** Options that change how a store writes. */
export interface EmitOptions {
  /** YAML: spaces (default 4). JSON: spaces, or -1 for a tab (default). */
  readonly indent?: number;
}

/**
 * A file format. Stores are pure: text in, text out; they never read files or the environment.
 * Errors are HushError with code PARSE_FAILED and a 1-based line, never a value.
 */
export interface Store {
  readonly format: FileFormat;
  /** Reads a document (plaintext or encrypted). Rejects duplicate keys where the format does. */
  parse(text: string): ParsedDocument;
  /**
   * YAML: the text with the aliases at these offsets (the `start` of their aliased leaves)
   * replaced by copies of their targets, for aliases that reach a value to encrypt.
   */
  expandAliases?(text: string, at: ReadonlySet<number>): string;
  /** Source text that replaces `leaf`'s span to hold an ENC[...] envelope. */
  renderEncrypted(leaf: Leaf, envelope: string): string;
  /** Source text that replaces `leaf`'s span to hold a decrypted value (or comment text). */
  renderPlaintext(leaf: Leaf, value: ScalarValue): string;
  /**
   * Source text for a leaf that encryption leaves in plaintext, when the encrypted file must
   * still write it differently for SOPS to read it (dotenv: indented comments); undefined to keep
   * it as it is. Decryption gives the original back through renderPlaintext.
   */
  renderKept?(leaf: Leaf): string | undefined;
  /**
   * Appends `metadata` (plain data, keys already in SOPS 3.13 order) to a data part. The
   * result ends with a newline exactly when `dataText` did, so that decrypting gives back
   * the original bytes.
   */
  appendMetadata(dataText: string, metadata: Record<string, unknown>, documentCount: number, options: EmitOptions): string;
  /** The plaintext value tree of the first document (conversions, extract, exec-env, set). */
  toTree(text: string): TreeMap;
  /**
   * Writes a tree as a fresh document in this format (used for conversions and new files).
   * Throws EMIT_FAILED with the offending key path when the tree does not fit the format.
   */
  emitTree(tree: TreeMap, options: EmitOptions): string;
}
