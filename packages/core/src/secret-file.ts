import { HushError, isHushError, printable } from "./errors.ts";
import type { MasterKeyEntry } from "./key-source.ts";
import { checkBytes, checkObject, checkString } from "./arguments.ts";
import { DATA_KEY_SIZE, encryptValue, IV_SIZE, randomIv, type IvSource } from "./crypto/value-cipher.ts";
import { IvReuse } from "./crypto/iv-stash.ts";
import { looksEncrypted } from "./crypto/envelope.ts";
import { MacBuilder } from "./crypto/mac.ts";
import { generateDataKey, wrapDataKey, type KeyGroupRecipients, type KeySourceResolver } from "./crypto/data-key.ts";
import { SOPS_FORMAT_VERSION, type EncryptionRule, type FileMetadata } from "./metadata/file-metadata.ts";
import { encodeMetadata } from "./metadata/metadata-codec.ts";
import { keyGroupLimitProblem } from "./metadata/limits.ts";
import { EncryptionDecider } from "./rules/encryption-rules.ts";
import type { EmitOptions, Leaf, ParsedDocument, Store } from "./stores/store.ts";
import { applyTextEdits, type TextEdit } from "./stores/text-edits.ts";
import { lineIndex } from "./stores/lines.ts";
import { spanCover, type OffsetSpan } from "./stores/span-cover.ts";
import { checkFormat, plaintextEncoding, storeFor, type FileFormat } from "./stores/registry.ts";
import { readForDecrypt, scannedPlaintext } from "./stores/decrypt-reader.ts";
import { aadString, deciderFor, effectiveRule, ruleLeaf } from "./leaf-rules.ts";
import type { OpenedFile } from "./open-text.ts";
import { formatKeyPath, type ScalarValue, type ValueType } from "./tree/values.ts";

/**
 * Encrypting a whole file's text: the orchestration of stores, rules, the value cipher, the MAC
 * and the key sources (opening and decrypting: open-text.ts). Pure apart from the key sources
 * it is handed.
 */

export interface EncryptOptions {
  readonly format: FileFormat;
  /** Key groups to wrap a new data key to (ignored when `previous` is given). */
  readonly keyGroups?: KeyGroupRecipients;
  readonly shamirThreshold?: number;
  /** Selection rule; defaults to `_unencrypted` (none for binary). */
  readonly rule?: EncryptionRule;
  readonly macOnlyEncrypted?: boolean;
  readonly keySources: KeySourceResolver;
  readonly emit?: EmitOptions;
  /**
   * An opened earlier version of this file: its data key, key entries and rules are kept and
   * the ciphertext of every unchanged value is reused, so a diff shows only what changed.
   */
  readonly previous?: OpenedFile;
  /** Fixed time and IVs: tests use them to reproduce vectors. */
  readonly now?: Date;
  readonly ivSource?: IvSource;
  /** Use this data key instead of a fresh one (with `wrappedKeys`: entries that wrap it). */
  readonly dataKey?: Uint8Array;
  /** Already wrapped key entries, so callers can wrap themselves (rotate reports errors per group). */
  readonly wrappedKeys?: MasterKeyEntry[][];
  /**
   * Refuse (NOTHING_ENCRYPTED) when the document has values but the selection rule encrypts
   * none of them: such a file looks encrypted and is not (SOPS writes it anyway).
   */
  readonly requireEncryptedValue?: boolean;
}

function rfc3339Seconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Parses and checks that the text is not already encrypted. The format's span scanner reads the
 * texts whose whole parse it gives exactly (the store's leaves, in its order); the store reads the
 * others, and gives the errors.
 */
async function parsePlain(format: FileFormat, store: Store, text: string): Promise<ParsedDocument> {
  const doc = (await scannedPlaintext(text, format)) ?? store.parse(text);
  if (doc.metadata !== undefined) {
    throw new HushError("ALREADY_ENCRYPTED", "the file is already encrypted (it has a sops section)");
  }
  // A later YAML document's top-level `sops` is where that document's copy of the metadata goes
  // (SOPS reads the first one's): encrypting would write it twice there.
  const laterSops = doc.metadataSpans[0];
  if (laterSops !== undefined) {
    const line = lineIndex(text)(laterSops.start);
    throw new HushError("ALREADY_ENCRYPTED", `a later document has a sops key at line ${line}, which SOPS reserves for its metadata; nothing was written`, {
      location: { line },
      hint: "rename that key, or encrypt the documents as separate files",
    });
  }
  if (doc.documentCount === 0) throw new HushError("NO_DOCUMENT", "the file has no document to encrypt");
  if (doc.unsupported !== undefined) throw new HushError("PARSE_FAILED", doc.unsupported.message, { location: { line: doc.unsupported.line } });
  return doc;
}

/**
 * SOPS expands YAML aliases, so a value reached through an alias is encrypted at the alias's path
 * too; one envelope cannot serve both paths. Aliases that reach a value to encrypt are replaced by
 * copies (the store's expandAliases) before encrypting; the others stay as written.
 */
async function withEncryptedAliasesExpanded(format: FileFormat, store: Store, text: string, doc: ParsedDocument, rule: EncryptionRule | undefined): Promise<{ text: string; doc: ParsedDocument }> {
  for (let round = 0; round < 8 && store.expandAliases !== undefined && rule !== undefined; round++) {
    const decider = await EncryptionDecider.create(rule);
    const expand = new Set<number>();
    for (const leaf of doc.leaves) {
      const encrypt = decider.shouldEncrypt(ruleLeaf(leaf));
      if (encrypt && leaf.aliased === true && leaf.value !== null && leaf.value.text !== "") expand.add(leaf.start);
    }
    if (expand.size === 0) break;
    text = store.expandAliases(text, expand);
    doc = await parsePlain(format, store, text);
  }
  return { text, doc };
}

/**
 * Encrypts a plaintext document and returns the encrypted file's text (values replaced by
 * ENC[...] envelopes, keys and comments kept, the `sops` metadata appended).
 * @throws HushError PARSE_FAILED (the text does not parse), ALREADY_ENCRYPTED (it has `sops`
 *   metadata), NO_DOCUMENT, NO_KEYS / KEY_WRAP_FAILED (the data key cannot be wrapped),
 *   NOTHING_ENCRYPTED (with `requireEncryptedValue`), INVALID_ARGUMENT (too many keys, or a
 *   shamir threshold no set of key groups can meet).
 */
export async function encryptText(plaintext: string, options: EncryptOptions): Promise<string> {
  checkString(plaintext, "the plaintext");
  checkObject(options, "the options");
  checkFormat(options.format);
  if (options.dataKey !== undefined) checkBytes(options.dataKey, "options.dataKey", DATA_KEY_SIZE);
  const store = await storeFor(options.format);
  const prev = options.previous;
  const { text, doc } = await withEncryptedAliasesExpanded(options.format, store, plaintext, await parsePlain(options.format, store, plaintext), effectiveRule(options.format, prev?.metadata.rule ?? options.rule));
  const now = options.now ?? new Date();
  const dataKey = prev?.dataKey ?? options.dataKey ?? generateDataKey();
  let metadata: Omit<FileMetadata, "lastModified" | "mac">;
  if (prev !== undefined) {
    metadata = prev.metadata;
  } else {
    const groups = options.keyGroups ?? [];
    const threshold = groups.length > 1 ? (options.shamirThreshold ?? 0) || groups.length : 0;
    const keyGroups = options.wrappedKeys ?? (await wrapDataKey(dataKey, groups, threshold, options.keySources));
    metadata = {
      keyGroups,
      shamirThreshold: threshold,
      rule: effectiveRule(options.format, options.rule),
      macOnlyEncrypted: options.macOnlyEncrypted ?? false,
      version: SOPS_FORMAT_VERSION,
    };
  }
  // Never write a file that hush would refuse to read (pre-wrapped keys skip wrapDataKey's check).
  const tooMany = keyGroupLimitProblem(metadata.keyGroups.map((g) => g.length));
  if (tooMany !== undefined) throw new HushError("INVALID_ARGUMENT", `too many keys: ${tooMany}`);
  const ivFor: IvSource = options.ivSource ?? randomIv;
  const reuse = prev === undefined ? undefined : new IvReuse(prev.stash, doc.leaves);
  const decider = await deciderFor(options.format, metadata.rule);
  const mac = new MacBuilder(metadata.macOnlyEncrypted, plaintextEncoding(options.format));
  const edits: TextEdit[] = [];
  const inClear: Leaf[] = [];
  const encryptedSpans: OffsetSpan[] = [];
  let keptEdits = 0;
  // Values and comments a rule keeps in clear whose text has an envelope's form (an example, a
  // value copied from another file): they read back as text that looks encrypted, as SOPS writes
  // and reads them (it never decrypts what the rule keeps in clear).
  let clearLookalikes = 0;
  for (const [i, leaf] of doc.leaves.entries()) {
    const encrypt = decider === undefined ? true : decider.shouldEncrypt(ruleLeaf(leaf));
    if (leaf.value === null) continue;
    if (leaf.kind === "scalar" && (!metadata.macOnlyEncrypted || encrypt)) mac.add(leaf.value);
    if (!encrypt || leaf.value.text === "") {
      const kept = store.renderKept?.(leaf);
      if (kept !== undefined) {
        edits.push({ start: leaf.start, end: leaf.end, text: kept });
        keptEdits++;
      }
      if (leaf.kind === "scalar" && leaf.aliased !== true) inClear.push(leaf);
      if (leaf.aliased !== true && looksEncrypted(leaf.value.text)) clearLookalikes++;
      continue;
    }
    if (leaf.aliased === true) {
      throw new HushError("ENCRYPT_FAILED", `a YAML alias refers to a value that must be encrypted at ${formatKeyPath(leaf.path)} (line ${leaf.line}) and could not be expanded`);
    }
    const type: ValueType = leaf.kind === "comment" ? "comment" : leaf.value.type;
    const aad = aadString(leaf);
    const plaintext = Buffer.from(leaf.value.text, plaintextEncoding(options.format));
    // A kept IV of another size (a file SOPS did not write) is not used again: the value gets a new one.
    const kept = reuse?.ivFor(i, leaf, type, plaintext);
    const iv = kept !== undefined && kept.length === IV_SIZE ? kept : ivFor(aad, plaintext);
    const envelope = encryptValue(dataKey, plaintext, type, aad, iv);
    edits.push({ start: leaf.start, end: leaf.end, text: store.renderEncrypted(leaf, envelope) });
    encryptedSpans.push(leaf);
  }
  refuseWhatSopsReadsOtherwise(store, text, encryptedSpans);
  if (options.requireEncryptedValue === true && metadata.rule !== undefined) refuseIfNothingEncrypted(doc, edits.length, metadata.rule);
  const lastModified = rfc3339Seconds(now);
  const macText = mac.digestHex();
  const macIv = ivFor(lastModified, Buffer.from(macText));
  const full: FileMetadata = { ...metadata, lastModified, mac: encryptValue(dataKey, Buffer.from(macText), "str", lastModified, macIv) };
  const dataText = applyTextEdits(text, edits);
  const out = store.appendMetadata(dataText, encodeMetadata(full), doc.documentCount, options.emit ?? {});
  await assertReadsBack(options.format, out, edits.length - keptEdits + clearLookalikes, inClear);
  return out;
}

/**
 * hush keeps the text around the values it encrypts: a construct there that SOPS's reader
 * refuses or reads otherwise would make a file SOPS cannot open (or opens with other keys). One
 * inside a value that is encrypted goes away with it. `encrypted`: the encrypted values' spans.
 */
function refuseWhatSopsReadsOtherwise(store: Store, text: string, encrypted: readonly OffsetSpan[]): void {
  const problems = store.sopsReadingProblems?.(text) ?? [];
  if (problems.length === 0) return;
  const insideEncrypted = spanCover(encrypted);
  const left = problems.find((p) => !insideEncrypted(p.offset));
  if (left !== undefined) throw new HushError("PARSE_FAILED", left.message, { location: { line: left.line } });
}

function refuseIfNothingEncrypted(doc: ParsedDocument, encrypted: number, rule: EncryptionRule): void {
  if (encrypted > 0) return;
  const values = doc.leaves.filter((l) => l.kind === "scalar" && l.value !== null && l.value.text !== "").length;
  if (values === 0) return;
  // An unencrypted_* rule left every value out (it matched them all); an encrypted_* one matched none.
  const outcome = rule.kind.startsWith("unencrypted") ? `leaves all ${values} values in plaintext` : `matched none of the ${values} values`;
  throw new HushError("NOTHING_ENCRYPTED", `${rule.kind} "${printable(rule.value, 120)}" ${outcome}: nothing would be encrypted`);
}

/**
 * The written file must read back with every value we encrypted as an envelope (and its
 * metadata): a file that cannot be decrypted is data loss, so it is refused before any write.
 * `envelopes`: the values encrypted, and those in clear whose text has an envelope's form.
 * It is read as decryption reads it: the span scanner where it reads the file, else the store.
 */
async function assertReadsBack(format: FileFormat, out: string, envelopes: number, inClear: readonly Leaf[]): Promise<void> {
  let doc: ParsedDocument;
  try {
    doc = (await readForDecrypt(out, format)).doc;
  } catch (err) {
    // Say what the reader refused (its messages name keys and lines, never values): a rule's
    // mac_only_encrypted, say, makes a key in clear one a branch could add, which the plaintext
    // read could not weigh, and "would not read back" alone leaves the user nothing to fix.
    const why = isHushError(err) ? ` (${err.message}, in the encrypted text)` : "";
    throw new HushError("ENCRYPT_FAILED", `the encrypted file would not read back${why}; nothing was written`, { cause: err });
  }
  // An alias left in a place that stays in clear, pointing at values encrypted where they are
  // anchored, would read ciphertext as its plaintext (and SOPS, which expands aliases, would copy
  // the secret there in clear): refuse rather than write a file whose MAC cannot verify.
  const leaked = doc.leaves.find((l) => l.aliased === true && l.value !== null && looksEncrypted(l.value.text));
  if (leaked !== undefined) {
    throw new HushError(
      "ENCRYPT_FAILED",
      // The leaf's line is its anchor's (aliased copies carry the original's position): name the path.
      `the YAML alias at ${formatKeyPath(leaked.path)} stays in clear but refers to values that are encrypted where they are anchored; nothing was written`,
      { hint: "encrypt the key that holds the alias too, or write the value instead of an alias" },
    );
  }
  const readEnvelopes = doc.leaves.filter((l) => l.aliased !== true && l.value !== null && looksEncrypted(l.value.text)).length;
  if (doc.metadata === undefined || readEnvelopes !== envelopes) {
    throw new HushError("ENCRYPT_FAILED", "the encrypted file would not read back as written; nothing was written");
  }
  // A value left in clear must read back as itself: one that reads otherwise (the text around it
  // changed its meaning) would fail the MAC, and an empty one that reads as text would be taken
  // for a value left unencrypted. Either way the file could not be decrypted.
  const readBack = new Map(doc.leaves.filter((l) => l.kind === "scalar" && l.aliased !== true).map((l) => [leafKey(l), l.value]));
  const differs = inClear.find((leaf) => !sameValue(leaf.value, readBack.get(leafKey(leaf)) ?? null));
  if (differs !== undefined) {
    throw new HushError("ENCRYPT_FAILED", `the value at ${formatKeyPath(differs.path)} (line ${differs.line}) would not read back as written; nothing was written`);
  }
}

function leafKey(leaf: Leaf): string {
  return `${leaf.document}:${JSON.stringify(leaf.path)}`;
}

function sameValue(a: ScalarValue | null, b: ScalarValue | null): boolean {
  return a === null || b === null ? a === b : a.type === b.type && a.text === b.text;
}

/**
 * Re-encrypts `plaintext` as a new version of an opened file: same data key and keys, reused
 * ciphertext for every unchanged value, new `lastmodified` and MAC. It writes as the file's own
 * `sops` metadata says (recipients, which values are encrypted), which no MAC covers: for a file
 * from a branch or clone, compare it with `.sops.yaml` first (`unvouchedReaders`,
 * `valuesLeftInClear`), as `openFile` does.
 */
export async function reencryptText(previous: OpenedFile, plaintext: string, options: { keySources: KeySourceResolver; emit?: EmitOptions; now?: Date }): Promise<string> {
  checkObject(previous, "the opened file");
  checkObject(options, "the options");
  return encryptText(plaintext, { format: previous.format, keySources: options.keySources, previous, ...(options.emit ? { emit: options.emit } : {}), ...(options.now ? { now: options.now } : {}) });
}
