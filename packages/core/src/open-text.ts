import { isUtf8 } from "node:buffer";
import { checkBytes, checkObject, checkString } from "./arguments.ts";
import { HushError, isHushError } from "./errors.ts";
import { DATA_KEY_SIZE, decryptValue } from "./crypto/value-cipher.ts";
import { IvStash } from "./crypto/iv-stash.ts";
import { looksEncrypted } from "./crypto/envelope.ts";
import { MacBuilder, macsEqual } from "./crypto/mac.ts";
import { unwrapDataKey, type KeySourceResolver } from "./crypto/data-key.ts";
import { concealedKey } from "./crypto/concealed-key.ts";
import type { FileMetadata } from "./metadata/file-metadata.ts";
import { decodeMetadata } from "./metadata/metadata-codec.ts";
import { aadString, deciderFor, ruleLeaf, withLocation } from "./leaf-rules.ts";
import type { Leaf, ParsedDocument, Store, ValueTreeBuilder } from "./stores/store.ts";
import { applyTextEdits, type TextEdit } from "./stores/text-edits.ts";
import { checkFormat, plaintextEncoding, type FileFormat } from "./stores/registry.ts";
import { readForDecrypt, streamForDecrypt } from "./stores/decrypt-reader.ts";
import { breaksLineForSomeReader } from "./stores/foreign-line-breaks.ts";
import { formatKeyPath, type KeyPath, type ScalarValue, type TreeMap, type ValueType } from "./tree/values.ts";

/**
 * Opening and decrypting a file's text: the value cipher, the MAC and the key sources over a
 * store's leaves. Pure apart from the key sources it is handed.
 */

export interface DecryptOptions {
  readonly format: FileFormat;
  readonly keySources: KeySourceResolver;
  /** Skip the MAC check (SOPS `--ignore-mac`). */
  readonly ignoreMac?: boolean;
  /** Use this data key instead of unwrapping one (tests, merges of already-opened files). */
  readonly dataKey?: Uint8Array;
  /**
   * Read the file with its format's general parser even where the decrypt span scanner reads
   * it (the result is the same; comparisons and benchmarks use this).
   */
  readonly generalParser?: boolean;
  /**
   * Also give the value tree the plaintext reads as ({@link ReadFile.tree}), where the format's
   * fast reader can build it while decrypting (YAML in the shape SOPS and hush write): a reader
   * of the values (the env loader, exec-env) then need not read the plaintext again.
   */
  readonly valueTree?: boolean;
}

/**
 * Where a value stands in a file: its document (a YAML stream holds the same path in several
 * documents; 0 in every other format) and its key path within that document.
 */
export interface ValuePlace {
  readonly document: number;
  readonly path: KeyPath;
}

/** A decrypted file and what is needed to write it back with minimal changes. */
export interface OpenedFile {
  readonly format: FileFormat;
  readonly plaintext: string;
  readonly metadata: FileMetadata;
  readonly dataKey: Uint8Array;
  readonly stash: IvStash;
  /**
   * Places of the values not bound to their key (set by {@link openText}): nulls and empty
   * strings (outside the MAC), and every value left in clear: under `mac_only_encrypted` (or
   * when the MAC is not checked) it is outside the MAC, and otherwise the MAC hashes values
   * without their names, so a clear value can be moved to another clear key. Only an encrypted
   * value is bound to its path, by its own tag. Anyone can add, move or change these without the
   * data key; callers that act on a name (exec-env) treat them as untrusted. Each names its
   * document too: an empty value in one document of a YAML stream says nothing about the value
   * at the same path in another.
   */
  readonly unauthenticated?: readonly ValuePlace[];
  /**
   * Lines (1-based) of comments the file's rule encrypts that are not encrypted, or whose
   * envelope did not authenticate and was kept as it is (as SOPS keeps it, with a warning): no
   * MAC covers comments, so anyone can add such a comment without the data key, and it reads as
   * the file's own. Set by {@link openText} and {@link readPlaintext}.
   */
  readonly unauthenticatedComments?: readonly number[];
  /**
   * Opened with `ignoreMac` (set by {@link openText}): whether the MAC would have held. An editor
   * that shows values whose MAC did not hold can let the user vouch for them with a new one.
   */
  readonly macHolds?: boolean;
}

/**
 * Reads a file's metadata without decrypting anything (filestatus, check, updatekeys). Nothing
 * here is authenticated: anyone can change the keys, rules or dates a file lists without its key,
 * so this says what the file claims, not who can read it.
 */
export async function readMetadata(text: string, format: FileFormat): Promise<FileMetadata | undefined> {
  checkString(text, "the text");
  checkFormat(format);
  const { doc } = await readForDecrypt(text, format);
  return doc.metadata === undefined ? undefined : decodeMetadata(doc.metadata);
}

/** Decrypts a file and keeps what is needed to write it back with minimal changes. */
export async function openText(text: string, options: DecryptOptions): Promise<OpenedFile> {
  return (await decryptDocument(text, options, true)) as OpenedFile;
}

/** What {@link readPlaintext} gives: an {@link OpenedFile} without the IV stash. */
export type ReadFile = Omit<OpenedFile, "stash" | "unauthenticated" | "unauthenticatedComments"> & {
  readonly unauthenticated: readonly ValuePlace[];
  readonly unauthenticatedComments: readonly number[];
  /** With {@link DecryptOptions.valueTree}: what `readTree(plaintext, format)` gives, when it could be built while decrypting; else undefined. */
  readonly tree?: TreeMap;
};

/**
 * Decrypts a file for reading only (decrypt, textconv, the env loader): its plaintext, metadata,
 * data key and {@link OpenedFile.unauthenticated}, without the IV stash that writing it back
 * needs (which would hold every value's IV and the parsed document as long as the result).
 * @throws HushError as {@link decryptText} does.
 */
export async function readPlaintext(text: string, options: DecryptOptions): Promise<ReadFile> {
  const { format, plaintext, metadata, dataKey, unauthenticated, unauthenticatedComments, tree } = await decryptDocument(text, options, false);
  return { format, plaintext, metadata, dataKey, unauthenticated: unauthenticated ?? [], unauthenticatedComments: unauthenticatedComments ?? [], ...(tree === undefined ? {} : { tree }) };
}

/** {@link openText}, with the IV stash only when `keepForRewrite`. */
async function decryptDocument(text: string, options: DecryptOptions, keepForRewrite: boolean): Promise<Omit<OpenedFile, "stash"> & { stash: IvStash | undefined; tree?: TreeMap }> {
  checkString(text, "the text");
  checkObject(options, "the options");
  checkFormat(options.format);
  if (options.dataKey !== undefined) checkBytes(options.dataKey, "options.dataKey", DATA_KEY_SIZE);
  // Reading only, a fast reader that gives the metadata first lets each value be decrypted as it
  // is read, so no list of every value is held (the peak memory of a large file's decrypt).
  const streaming = keepForRewrite || options.generalParser === true ? undefined : await streamForDecrypt(text, options.format);
  if (streaming !== undefined) {
    let dataKey: Uint8Array | undefined;
    try {
      const metadata = decodeMetadata(streaming.metadata);
      dataKey = await dataKeyOf(metadata, options);
      const tree = options.valueTree === true ? streaming.valueTree?.() : undefined;
      const decrypting = await startDecrypting(text, options, metadata, dataKey, streaming.store, undefined, "throw", tree);
      const doc = streaming.scan((leaf) => decrypting.take(leaf, -1));
      // The whole text read as the metadata read first said: else it is read again, as a whole.
      if (doc !== undefined && sameData(doc.metadata, streaming.metadata)) {
        const valueTree = tree?.tree();
        return { ...decrypting.finish(doc), ...(valueTree === undefined ? {} : { tree: valueTree }) };
      }
    } catch (err) {
      // Reading the whole text first, as below, may fail before the keys are tried: that error
      // comes first, and the keys are not tried twice.
      if (dataKey === undefined && sameData((await readForDecrypt(text, options.format)).doc.metadata, streaming.metadata)) throw err;
    }
    // Anything else (a value that fails, the MAC) gets the same outcome from the reading below.
    return decryptDocument(text, dataKey === undefined ? options : { ...options, dataKey }, true);
  }
  const { doc, store } = await readForDecrypt(text, options.format, { generalParser: options.generalParser === true });
  if (doc.metadata === undefined) throw new HushError("METADATA_MISSING", "sops metadata not found");
  const metadata = decodeMetadata(doc.metadata);
  const dataKey = await dataKeyOf(metadata, options);
  const decrypting = await startDecrypting(text, options, metadata, dataKey, store, keepForRewrite ? new IvStash(doc.leaves) : undefined, "keep");
  for (const [i, leaf] of doc.leaves.entries()) decrypting.take(leaf, i);
  return decrypting.finish(doc);
}

function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function dataKeyOf(metadata: FileMetadata, options: DecryptOptions): Promise<Uint8Array> {
  const dataKey = options.dataKey ?? (await unwrapDataKey(metadata.keyGroups, metadata.shamirThreshold, options.keySources));
  if (dataKey.length !== DATA_KEY_SIZE) throw new HushError("METADATA_INVALID", `invalid sops metadata: the data key its keys wrap is ${dataKey.length} bytes, not ${DATA_KEY_SIZE}`);
  // The opened file keeps the key for writing the file back: it must not print with the file.
  return concealedKey(dataKey);
}

type Renderers = Pick<Store, "renderPlaintext"> & Partial<Pick<Store, "renderKept" | "confirmPlaintext" | "completePlaintext" | "clearCommentProblem">>;

/**
 * The decryption of a document's leaves, taken one at a time in document order (`i`: the leaf's
 * index, for the stash), then finished into the plaintext once the MAC checks. An encrypted
 * comment that fails authentication is kept as it is (`"keep"`, what SOPS does), or throws
 * (`"throw"`: a streaming read, whose comment paths the store's reading then decides).
 */
/**
 * `tree`: fed each scalar leaf with the value the plaintext holds (see StreamingRead.valueTree).
 */
async function startDecrypting(text: string, options: DecryptOptions, metadata: FileMetadata, dataKey: Uint8Array, store: Renderers, stash: IvStash | undefined, failedComment: "keep" | "throw", tree?: ValueTreeBuilder) {
  const decider = await deciderFor(options.format, metadata.rule);
  const mac = new MacBuilder(metadata.macOnlyEncrypted, plaintextEncoding(options.format));
  const utf8 = plaintextEncoding(options.format) === "utf8";
  const edits: TextEdit[] = [];
  const unauthenticated: ValuePlace[] = [];
  const unauthenticatedComments: number[] = [];
  /** The values written into the text, for a store that confirms they read back. */
  const written: Array<{ leaf: Leaf; value: ScalarValue }> | undefined = store.confirmPlaintext === undefined ? undefined : [];
  const take = (leaf: Leaf, i: number): void => {
    const encrypt = decider === undefined ? true : decider.shouldEncrypt(ruleLeaf(leaf));
    if (leaf.value === null) {
      if (leaf.kind === "scalar") {
        unauthenticated.push({ document: leaf.document, path: leaf.path });
        tree?.add(leaf, null);
      }
      return;
    }
    const raw = leaf.value.text;
    if (leaf.kind === "comment") {
      if (!looksEncrypted(raw)) {
        const problem = encrypt ? store.clearCommentProblem?.(text, leaf) : undefined;
        if (problem !== undefined) throw new HushError("VALUE_TAMPERED", problem, { location: { line: leaf.line } });
        if (encrypt) unauthenticatedComments.push(leaf.line);
        // A comment kept in plaintext that the store moved (renderKept) goes back in place.
        const restored = store.renderKept === undefined ? undefined : store.renderPlaintext(leaf, leaf.value);
        if (restored !== undefined && restored !== text.slice(leaf.start, leaf.end)) edits.push({ start: leaf.start, end: leaf.end, text: restored });
        return;
      }
      let opened: { plaintext: Buffer; iv: Buffer };
      try {
        opened = decryptValue(dataKey, raw, aadString(leaf));
      } catch (err) {
        if (failedComment === "throw") throw err;
        // SOPS keeps a comment that fails to decrypt as it is (pre-3.0 files); so do we.
        unauthenticatedComments.push(leaf.line);
        return;
      }
      const value: ScalarValue = { type: "str", text: opened.plaintext.toString("utf8") };
      // A comment's AAD is its collection's path, which a list item's value shares (and the type
      // label is not authenticated): a value's envelope copied into a comment there decrypts, and
      // its line breaks would turn the rest of it into keys. No comment holds a line break, LF or
      // one only other readers take (U+2028 for PyYAML, VT for python-dotenv: see
      // breaksLineForSomeReader); one CR at its end is the CR of a CRLF line.
      if (breaksLineForSomeReader(value.text, options.format)) throw commentTampered(leaf);
      if (stash !== undefined) remember(stash, i, "comment", opened.plaintext, value.text, opened.iv, utf8);
      let rendered: string;
      try {
        rendered = store.renderPlaintext(leaf, value);
      } catch (err) {
        if (failedComment === "throw") throw err;
        // A comment that cannot be written where it stands is kept as it is too.
        return;
      }
      edits.push({ start: leaf.start, end: leaf.end, text: rendered });
      return;
    }
    if (!encrypt || raw === "") {
      if (!metadata.macOnlyEncrypted) mac.add(leaf.value);
      unauthenticated.push({ document: leaf.document, path: leaf.path });
      tree?.add(leaf, leaf.value);
      return;
    }
    if (leaf.value.type !== "str" || !looksEncrypted(raw)) {
      throw new HushError("VALUE_NOT_ENCRYPTED", `value at ${formatKeyPath(leaf.path)} (line ${leaf.line}) should be encrypted but is not`, {
        location: { keyPath: formatKeyPath(leaf.path), line: leaf.line },
        // Most often a value typed into the encrypted file; hush never reads it as the secret.
        hint: "change values with hush set or hush edit, not in the encrypted file: take the file back from git, then use one of them",
      });
    }
    let value: ScalarValue;
    try {
      const aad = aadString(leaf);
      const { plaintext, type, iv } = decryptValue(dataKey, raw, aad);
      if (type === "comment") throw new HushError("VALUE_TAMPERED", "a value is stored with the comment type");
      value = { type, text: plaintext.toString(plaintextEncoding(options.format)) };
      if (type === "str") mac.addStringBytes(plaintext);
      else mac.add(value);
      if (leaf.aliased !== true && stash !== undefined) remember(stash, i, type, plaintext, value.text, iv, utf8);
    } catch (err) {
      throw withLocation(err, leaf);
    }
    if (leaf.aliased !== true) {
      const rendered = store.renderPlaintext(leaf, value);
      edits.push({ start: leaf.start, end: leaf.end, text: rendered });
      written?.push({ leaf, value });
      tree?.add(leaf, value, rendered);
    } else {
      // An alias reads as its anchor's value, which was checked where the anchor was written.
      tree?.add(leaf, value);
    }
  };
  const finish = (doc: ParsedDocument) => {
    let macHolds: boolean | undefined;
    if (options.ignoreMac !== true) verifyMac(mac.digestHex(), metadata, dataKey);
    else macHolds = macHoldsFor(mac.digestHex(), metadata, dataKey);
    for (const s of doc.metadataSpans) edits.push({ start: s.start, end: s.end, text: "" });
    const dataText = applyTextEdits(text, edits);
    if (written !== undefined) store.confirmPlaintext!(dataText, written);
    const plaintext = store.completePlaintext?.(dataText) ?? dataText;
    return { format: options.format, plaintext, metadata, dataKey, stash, unauthenticated, unauthenticatedComments, ...(macHolds === undefined ? {} : { macHolds }) };
  };
  return { take, finish };
}

function commentTampered(leaf: Leaf): HushError {
  return new HushError("VALUE_TAMPERED", `the encrypted comment at line ${leaf.line} decrypts to more than one line, which no comment holds: a value's ciphertext was copied into it without the key; restore the file from history`, {
    location: { line: leaf.line },
  });
}

/** Stashes a decrypted value's IV, or marks it when its bytes are not the UTF-8 text shown. */
function remember(stash: IvStash, leaf: number, type: ValueType, plaintext: Buffer, shown: string, iv: Buffer, utf8: boolean): void {
  if (utf8 && !isUtf8(plaintext)) stash.recordNotText(leaf, type, shown);
  // `shown` decodes valid UTF-8 (or latin1) bytes, so it encodes back to exactly them.
  else stash.recordText(leaf, type, shown, utf8 ? "utf8" : "latin1", iv.toString("base64"));
}

/** The way on from a MAC that does not hold (a hint: the review view shows the message alone). */
const MAC_NEXT = { hint: "restore the file from git, or, if the change is yours, save it with hush edit --ignore-mac for a new MAC" };

/** Whether {@link verifyMac} would pass. */
function macHoldsFor(computed: string, metadata: FileMetadata, dataKey: Uint8Array): boolean {
  try {
    verifyMac(computed, metadata, dataKey);
    return true;
  } catch (err) {
    if (isHushError(err, "MAC_MISMATCH")) return false;
    throw err;
  }
}

function verifyMac(computed: string, metadata: FileMetadata, dataKey: Uint8Array): void {
  if (metadata.mac === "") throw new HushError("MAC_MISMATCH", "MAC mismatch: the file has no MAC", MAC_NEXT);
  let stored: string;
  try {
    stored = decryptValue(dataKey, metadata.mac, metadata.lastModified).plaintext.toString("utf8");
  } catch {
    throw new HushError("MAC_MISMATCH", "cannot decrypt MAC: the MAC, lastmodified or data key was tampered with", MAC_NEXT);
  }
  if (!macsEqual(stored, computed)) {
    throw new HushError("MAC_MISMATCH", "MAC mismatch: values were changed, moved or removed since the file was encrypted", MAC_NEXT);
  }
}

/**
 * Decrypts a file's text; checks the MAC unless `ignoreMac`.
 * @throws HushError METADATA_MISSING (not encrypted), PARSE_FAILED / METADATA_INVALID,
 *   NO_MATCHING_KEY / KEY_SOURCE_FAILED (no key opens it), VALUE_TAMPERED, MAC_MISMATCH.
 */
export async function decryptText(text: string, options: DecryptOptions): Promise<string> {
  return (await decryptDocument(text, options, false)).plaintext;
}

/**
 * Checks a file's integrity (data key, every value, MAC) without returning plaintext. The MAC is
 * always checked: an `ignoreMac` in the options (shared with a decrypt, or from a caller without
 * types) is not followed, since a verification that skips it would pass a tampered file. What
 * SOPS's MAC does not cover passes: empty and null values, and values left in clear moved to
 * another key (or, under `mac_only_encrypted`, changed); {@link OpenedFile.unauthenticated} lists
 * them for a caller that acts on names.
 * @throws HushError as `decryptText` does.
 */
export async function verifyText(text: string, options: Omit<DecryptOptions, "ignoreMac">): Promise<void> {
  checkObject(options, "the options");
  await decryptDocument(text, { ...options, ignoreMac: false }, false);
}
