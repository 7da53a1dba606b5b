import type { ScalarValue, KeyPath, TreeMap, TreeNode } from "../tree/values.ts";

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

/** Layout facts of a document's text that writing it again should keep. */
export interface DocumentLayout {
  /** The `EmitOptions.indent` that re-emits the data the way this text is indented. */
  readonly indent?: number;
  /** The indentation of the metadata block, so that re-encrypting changes none of its lines. */
  readonly metadataIndent?: number;
}

/** One change of a document's data, as a store's text editor receives it. */
export interface TextEditRequest {
  readonly kind: "set" | "unset";
  /** The path as asked for (for `set` it may name list positions past the end). */
  readonly path: KeyPath;
  /** The new value (`set` only). */
  readonly value?: TreeNode;
  /** Where the edit lands in `expected`: list appends resolved to their index. */
  readonly landingPath: KeyPath;
  /** The value tree the edited text must hold. */
  readonly expected: TreeMap;
  /** Indentation for new lines: the caller's choice, else the document's own layout. */
  readonly indent: number | undefined;
}

/**
 * A file format. Stores are pure: text in, text out; they never read files or the environment.
 * Errors are HushError with code PARSE_FAILED and a 1-based line, never a value.
 */
export interface Store {
  /** The format's name, as registered in registry.ts. */
  readonly format: string;
  /** Reads a document (plaintext or encrypted). Rejects duplicate keys where the format does. */
  parse(text: string): ParsedDocument;
  /**
   * YAML: the text with the aliases at these offsets (the `start` of their aliased leaves)
   * replaced by copies of their targets, for aliases that reach a value to encrypt.
   */
  expandAliases?(text: string, at: ReadonlySet<number>): string;
  /**
   * The constructs of a plaintext that the format's reader in SOPS refuses or reads otherwise,
   * although this store reads them (YAML: see yaml-go-reading.ts), in text order. Encrypting
   * refuses the text with the first one that is not inside a value it encrypts. Asked only before
   * writing: reading stays as liberal as the store.
   */
  sopsReadingProblems?(text: string): ReadonlyArray<{ readonly offset: number; readonly message: string; readonly line: number }>;
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
   * For stores whose other readers would read a comment in clear as part of a value (INI: Python's
   * configparser and PHP read `key = value ; comment` whole): why the comment `leaf` of the
   * encrypted `text`, found in clear where the file's rule encrypts comments, cannot be written
   * into the decrypted text; undefined where it can. Such a comment was added without the key
   * (hush and SOPS encrypt every comment the rule covers), and no MAC covers it.
   */
  clearCommentProblem?(text: string, leaf: Leaf): string | undefined;
  /**
   * For stores whose renderers write a value under syntax kept from the encrypted file that
   * decides how it reads (YAML block headers): checks that the decrypted `plaintext` reads back
   * as the values written into it (`written`, the decrypted data leaves in document order).
   * That syntax is outside the MAC, so anyone may have changed it. Absent: every renderer writes
   * text that reads back exactly.
   * @throws HushError VALUE_TAMPERED naming the first value that does not read back
   */
  confirmPlaintext?(plaintext: string, written: ReadonlyArray<{ readonly leaf: Leaf; readonly value: ScalarValue }>): void;
  /**
   * The decrypted text of a file, given its data part once the metadata is removed, for formats
   * where a data part that holds nothing does not read as an empty document (YAML: no node reads
   * as null, so it decrypts to `{}`, as SOPS prints it). Absent: the data part as it is.
   */
  completePlaintext?(plaintext: string): string;
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
  /**
   * False where the syntax, not the writer, decides where a map's entries stand (INI sections,
   * TOML tables follow the plain keys): documents are then compared without map order.
   */
  readonly orderedMaps: boolean;
  /**
   * True where every value reads as a string (dotenv, INI): a number, boolean or null set into
   * the file is its string as SOPS writes it there (ValToString), so that the edit can read back.
   */
  readonly stringValues?: boolean;
  /**
   * For formats whose headers may be repeated (INI: go-ini reads `[cache]` twice as one section,
   * Python's configparser refuses the file): how many times the most repeated header stands in
   * `text`, 1 when none repeats. A merged text must not repeat one more than either side did,
   * though its values are right. Absent: the format has no such headers, or refuses repeats.
   */
  mostRepeatedHeader?(text: string): number;
  /** Layout facts of a text (never throws; a text that does not parse has none). */
  layout(text: string): DocumentLayout;
  /**
   * Minimal-diff editing: candidate texts for `edit`, best first. The caller keeps the first one
   * whose parse holds exactly `edit.expected` and re-emits the tree when none does, so a candidate
   * may be wrong but never harmful. Absent: the store has no text editor (changes re-emit).
   * Editors are loaded on first use, off the start-up path of decryption.
   */
  editCandidates?(text: string, edit: TextEditRequest): Promise<Iterable<string | undefined>>;
  /**
   * One value written alone, as SOPS prints `--extract` of a list or a non-string scalar.
   * Absent: the value is printed as YAML (after `emitTree` checked that the format can hold it).
   */
  emitValue?(node: TreeNode, options: EmitOptions): string;
}

/**
 * A reader that needs no general parser, for decryption (decrypt, textconv, `--extract`,
 * exec-env): it reads the files it fully understands and declines (undefined) every other one,
 * which then goes to the format's store. It must never guess: what it reads is exactly what the
 * store would read.
 */
export interface FastReader {
  /** The parsed document and the renderers decryption writes values back with. */
  read(text: string): { doc: ParsedDocument; store: Pick<Store, "renderPlaintext" | "renderEncrypted" | "completePlaintext"> } | undefined;
  /** The value tree of a decrypted document (no metadata). */
  readTree(text: string): TreeMap | undefined;
  /**
   * A plaintext read for encryption: exactly the store's parse, leaves in the store's order, or
   * undefined. It declines every text whose parse it cannot give whole: texts with comments (the
   * store decides their order, on which reusing IVs depends) and keys the store reports as
   * `unsupported`.
   */
  readPlaintext?(text: string): ParsedDocument | undefined;
  /**
   * The store's whole parse of any text, plaintext or encrypted: every leaf (comments included)
   * in the store's order, the metadata, its spans and the document count, exactly as the store's
   * parse gives them, or undefined. For readers that judge every leaf without a key (the
   * `check` gate): `read` may leave out what decryption does not need, such as a plaintext comment.
   */
  readWhole?(text: string): ParsedDocument | undefined;
  /**
   * Reading for decryption without holding the leaves: the metadata, read before the values,
   * and a scan of the whole text that hands each leaf to `onLeaf` in document order and returns
   * the document without its leaves (undefined where `read` would decline).
   */
  stream?(text: string): StreamingRead | undefined;
}

/**
 * See {@link FastReader.stream}. `scan` may hand comment leaves in an order other than the
 * store's (reading a plaintext does not depend on it). A comment's path is its AAD, so a wrong
 * one cannot go unnoticed: the reader of a streaming read treats a comment that fails
 * authentication as a reason to read the text again with the store (which keeps such a comment as
 * it is, as SOPS does).
 */
export interface StreamingRead {
  readonly metadata: unknown;
  readonly store: Pick<Store, "renderPlaintext" | "completePlaintext">;
  scan(onLeaf: (leaf: Leaf) => void): ParsedDocument | undefined;
  /**
   * A builder of the value tree the decrypted plaintext reads as (the format's readTree), fed
   * each scalar leaf `scan` hands out with its value: the tree without rendering the plaintext
   * and reading it again (the env loader, exec-env).
   */
  valueTree?(): ValueTreeBuilder;
}

/** See {@link StreamingRead.valueTree}. */
export interface ValueTreeBuilder {
  /**
   * Adds a scalar leaf at its path, in document order: `value` is its own (`null`: a null), or,
   * with `rendered`, the value decrypted into it and the text that stands for it in the plaintext.
   */
  add(leaf: Leaf, value: ScalarValue | null, rendered?: string): void;
  /**
   * The tree, once every scalar leaf was added; undefined when a rendered value would read back
   * as another value than the one decrypted (the caller then reads the plaintext).
   */
  tree(): TreeMap | undefined;
}
