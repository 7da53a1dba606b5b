import { isUtf8 } from "node:buffer";
import { createHash } from "node:crypto";
import {
  applyTextEdits,
  decodeMetadata,
  formatFromPath,
  isHushError,
  looksEncrypted,
  masterKeyIdentity,
  openText,
  plaintextEncoding,
  printable,
  readForDecrypt,
  readMetadata,
  readPlaintext,
  readWhole,
  showInvisible,
  storeFor,
  streamForDecrypt,
  type FileFormat,
  type FileMetadata,
  type KeySource,
  type KeySourceResolver,
  type MasterKeyEntry,
  type ParsedDocument,
  type TextEdit,
} from "@hush/core";
import { detectFormat } from "./detect-format.ts";
import { escapeMixedScripts } from "./mixed-scripts.ts";
import { metadataSummary, SUMMARY_PREFIX } from "./metadata-summary.ts";
import { hiddenMetadataSummary } from "./metadata-text.ts";
import { hasConflictMarkers } from "./sequence-merge.ts";

/**
 * What git's diff driver shows for a file (`textconv`): the decrypted document when a key opens
 * it, otherwise its structure with each encrypted value replaced by a short marker derived from
 * the ciphertext. Unchanged values keep their ciphertext (hush reuses it), so their markers stay
 * the same and a reviewer without a key still sees exactly which key paths changed. Every view of
 * an encrypted file starts with the metadata summary (who can read it, under which rules), so a
 * change of recipients or data key is a diff line too. Nothing is written anywhere; the caller
 * prints the result.
 */

export interface DiffViewOptions {
  /** The path git passed (a temporary copy keeps the extension), used to pick the format. */
  readonly path?: string;
  readonly keySources: KeySourceResolver;
}

export type DiffViewStatus = "plain" | "decrypted" | "keyless" | "unverified" | "damaged" | "too-large";

export interface DiffView {
  readonly status: DiffViewStatus;
  readonly output: Buffer;
}

/** The marker shown for an encrypted value: a hash of its ENC string, not of the secret. */
export function encryptedMarker(envelope: string): string {
  return `<encrypted:${createHash("sha256").update(envelope).digest("hex").slice(0, 8)}>`;
}

/** A header line; its text may quote the file (recipients, error messages), so it is escaped. */
function header(text: string): string {
  return `${SUMMARY_PREFIX}${printable(text, 4096)}\n`;
}

/** Renders a file for a diff. Never throws for content problems: git must always get output. */
export async function renderDiffView(bytes: Buffer, options: DiffViewOptions): Promise<DiffView> {
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) return notUtf8View(bytes, text, options);
  // git runs this once per file revision: the common case (a name that gives the format, a
  // metadata block its streaming reader finds, a key that opens it) is read in one pass, without
  // a full parse first. Anything else takes the full detection below, which gives every other view.
  // The file may be read more than once below (the quick read, the whole parse, without the MAC):
  // its keys are asked once.
  const keySources = unwrapOnce(options.keySources);
  const named = options.path === undefined ? undefined : formatFromPath(options.path);
  if (named !== undefined && (await streamForDecrypt(text, named))?.metadata !== undefined) {
    try {
      return decryptedView(await readPlaintext(text, { format: named, keySources }), await hiddenMetadataSummary(text, named));
    } catch (err) {
      // No key opens it: the keys are not tried again; the keyless view needs the parse.
      const parsed = isKeyError(err) ? await parseOf(text, named) : undefined;
      if (parsed !== undefined) return keylessView(text, named, parsed);
    }
  }
  const detected = await detectFormat(options.path, text);
  if (detected !== undefined && detected.parsed === undefined && text.includes("ENC[AES256_GCM,")) return unparsedView(text, detected.format);
  if (detected === undefined || !detected.encrypted || detected.parsed === undefined) return plainView(text, options.path);
  const { format, parsed } = detected;
  try {
    return decryptedView(await openText(text, { format, keySources }), await hiddenMetadataSummary(text, format));
  } catch (err) {
    if (isKeyError(err)) return keylessView(text, format, parsed);
    if (isHushError(err, "MAC_MISMATCH")) {
      try {
        const opened = await openText(text, { format, keySources, ignoreMac: true });
        const summary = metadataSummary(opened.metadata, format, opened.dataKey, await hiddenMetadataSummary(text, format));
        return { status: "unverified", output: reviewed(opened.plaintext, plaintextEncoding(format), header(`WARNING: ${err.message}; the values below are not authenticated`) + summary) };
      } catch {
        // fall through to the structure view
      }
    }
    const why = isHushError(err) ? err.message : err instanceof Error ? err.message : String(err);
    let body: string;
    try {
      body = await keyless(text, format, parsed);
    } catch {
      body = text;
    }
    const metadata = await metadataOf(text, format);
    const summary = metadata === undefined ? "" : metadataSummary(metadata, format, undefined, await hiddenMetadataSummary(text, format));
    return { status: "damaged", output: reviewed(body, "utf8", header(`WARNING: this file does not decrypt: ${why}`) + typedMarkerWarning(text) + summary) };
  }
}

/**
 * A file that is not UTF-8 (`text`: its bytes read as UTF-8, U+FFFD for the others). A plain file
 * is shown as any other ({@link plainView}), with a line naming where it stops being UTF-8. An
 * encrypted one is shown as any other is (summary, values or markers, escaped) from `text`, under a first line naming where it stops being UTF-8: hush decrypt refuses
 * it, but SOPS reads a dotenv, INI or JSON file with such a byte in a comment, and shown as a plain
 * file it lost its summary and showed ciphertext, unescaped, with no word why.
 */
async function notUtf8View(bytes: Buffer, text: string, options: DiffViewOptions): Promise<DiffView> {
  const detected = await detectFormat(options.path, text);
  if (detected?.encrypted !== true && !text.includes("ENC[AES256_GCM,")) {
    return plainView(text, options.path, header(`this file is not UTF-8 text (line ${firstLineNotUtf8(bytes)}); shown with U+FFFD for the bytes that are not UTF-8`));
  }
  const view = await renderDiffView(Buffer.from(text, "utf8"), options);
  const warning = header(`WARNING: this file is not UTF-8 text (line ${firstLineNotUtf8(bytes)}), which an encrypted file must be; hush decrypt refuses it; shown with U+FFFD for the bytes that are not UTF-8`);
  return { status: "damaged", output: Buffer.concat([Buffer.from(warning), view.output]) };
}

/** The 1-based number of the first line of `bytes` that is not UTF-8. */
function firstLineNotUtf8(bytes: Buffer): number {
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    if (!isUtf8(bytes.subarray(start, stop))) return line;
    start = stop + 1;
  }
  return line;
}

/**
 * A file with no sops metadata, which git hands the driver because its path has `diff=hush`:
 * anyone can commit one without a key, and shown as it is, its text could be a hand-typed copy
 * of an encrypted file's review (`# hush:` summary lines, `<encrypted:…>` markers), so that a
 * branch replacing the encrypted file with it showed no change, and its escape sequences would
 * reach the reviewer's terminal raw. So it gets a first line saying it is not encrypted, and
 * its text is escaped as every other view's. An empty file (one side of an added or deleted
 * file) stays empty: it can pass for nothing. A `.sops.yaml` is never encrypted and gets no such
 * line; a file in its place is no secret's.
 */
function plainView(text: string, path: string | undefined, notes = ""): DiffView {
  if (text === "") return { status: "plain", output: Buffer.alloc(0) };
  // The configuration is never encrypted (a rule for `*.yaml` gives it diff=hush too): no warning.
  const first = isSopsConfig(path) ? "" : header("WARNING: not encrypted: this file holds no sops metadata; its text follows as stored");
  return { status: "plain", output: reviewed(text, "utf8", first + notes) };
}

/** Whether `path` names a `.sops.yaml` (git's copy of an older version keeps the name), in any case as SOPS finds it where names ignore case. */
function isSopsConfig(path: string | undefined): boolean {
  return path !== undefined && /(?:^|[/\\])\.sops\.yaml$/i.test(path);
}

/**
 * An encrypted file its format's reader refuses (a branch added a duplicate key, say): its text,
 * which holds only ciphertext, under the reader's reason, where it would otherwise show as a plain
 * file and the reviewer would see every value change to ciphertext with no word why.
 */
async function unparsedView(text: string, format: FileFormat): Promise<DiffView> {
  // During a merge, the working file holds markers around encrypted values: say so, and the way out.
  if (hasConflictMarkers(text)) return { status: "damaged", output: reviewed(text, "utf8", header("WARNING: this file holds unresolved merge conflict markers (run `hush git resolve` on it)")) };
  let why = "it cannot be read";
  try {
    (await storeFor(format)).parse(text);
  } catch (err) {
    if (isHushError(err)) why = err.message;
  }
  const name = format === "dotenv" ? "dotenv" : format.toUpperCase();
  return { status: "damaged", output: reviewed(text, "utf8", header(`WARNING: this file does not parse as ${name}: ${why}`)) };
}

/**
 * `resolve`, with each key entry unwrapped at most once (its outcome, a key, null or an error, is
 * remembered): a key may be a hardware token, a PIN prompt or a network call, and git runs the
 * diff driver for every revision of every file.
 */
function unwrapOnce(resolve: KeySourceResolver): KeySourceResolver {
  const sources = new Map<string, Promise<KeySource | undefined>>();
  const unwrapped = new Map<string, Promise<Uint8Array | null>>();
  const remembered = (source: KeySource): KeySource => ({
    kind: source.kind,
    wrap: (dataKey, recipient) => source.wrap(dataKey, recipient),
    describeSearch: () => source.describeSearch(),
    unwrap: (entry: MasterKeyEntry) => {
      const id = JSON.stringify(entry);
      let key = unwrapped.get(id);
      if (key === undefined) {
        key = source.unwrap(entry);
        unwrapped.set(id, key);
      }
      // A copy each time: a reader may wipe the key it was handed.
      return key.then((k) => (k === null ? null : k.slice()));
    },
  });
  return (kind) => {
    let source = sources.get(kind);
    if (source === undefined) {
      source = resolve(kind).then((s) => (s === undefined ? undefined : remembered(s)));
      sources.set(kind, source);
    }
    return source;
  };
}

function isKeyError(err: unknown): boolean {
  return isHushError(err, "NO_MATCHING_KEY") || isHushError(err, "KEY_SOURCE_FAILED") || isHushError(err, "NO_KEYS");
}

/**
 * A document as the review shows it, after its header lines (`encoding`: how its text becomes
 * bytes). Anyone with the recipients' public keys can encrypt a value, and anyone can commit a
 * key name or dotenv comment: dotenv and INI print values as they are, so a carriage return could
 * hide the start of a line (`URL=https://evil/?\rURL=https://ok/` shows the second URL) and an
 * escape sequence could drive the reviewer's terminal (OSC 52 writes the clipboard). Such
 * characters are shown escaped, under a warning that is a diff line of its own when a branch
 * adds them; with a key or without. So are the Cyrillic and Greek letters of a word that mixes
 * them with Latin ones (see mixed-scripts.ts), which would make a changed line read as the old one.
 */
function reviewed(body: string, encoding: "latin1" | "utf8", headers: string): Buffer {
  const text = encoding === "latin1" ? asText(body) : { body, encoding };
  const invisible = showInvisible(text.body);
  // Bytes shown one per character are no letters of any script.
  const shown = text.encoding === "utf8" ? escapeMixedScripts(invisible.text) : { text: invisible.text, escaped: false };
  const warning =
    (invisible.escaped ? header("WARNING: the text below holds control or invisible characters, shown escaped (\\xNN, \\uNNNN); programs get the characters themselves") : "") +
    (shown.escaped ? header("WARNING: words below mix Latin letters with Cyrillic or Greek ones, which look alike; those are shown escaped (\\uNNNN); programs get the letters themselves") : "");
  return Buffer.concat([Buffer.from(warning + headers), Buffer.from(shown.text, text.encoding)]);
}

/**
 * A binary file's plaintext (one character per byte) as UTF-8 text when its bytes are UTF-8, the
 * usual case: read byte by byte, the second byte of `€` (0x82) or of `í` (0xad) would be escaped
 * in the middle of the character, and `\u202e` would not be seen as one.
 */
function asText(bytesAsLatin1: string): { readonly body: string; readonly encoding: "latin1" | "utf8" } {
  const bytes = Buffer.from(bytesAsLatin1, "latin1");
  const utf8 = bytes.toString("utf8");
  return Buffer.from(utf8, "utf8").equals(bytes) ? { body: utf8, encoding: "utf8" } : { body: bytesAsLatin1, encoding: "latin1" };
}

function decryptedView(opened: { readonly format: FileFormat; readonly plaintext: string; readonly metadata: FileMetadata; readonly dataKey: Uint8Array }, hidden: readonly string[]): DiffView {
  return { status: "decrypted", output: reviewed(opened.plaintext, plaintextEncoding(opened.format), metadataSummary(opened.metadata, opened.format, opened.dataKey, hidden)) };
}

/** The view without a key: who can read the file, and its structure with a marker per encrypted value. */
async function keylessView(text: string, format: FileFormat, parsed: ParsedDocument): Promise<DiffView> {
  const metadata = await metadataOf(text, format);
  const keys = metadata === undefined ? "" : ` (encrypted for ${metadata.keyGroups.map((g) => g.map((e) => `${e.kind} ${masterKeyIdentity(e)}`).join(", ")).join(" | ")})`;
  const summary = metadata === undefined ? "" : metadataSummary(metadata, format, undefined, await hiddenMetadataSummary(text, format));
  return { status: "keyless", output: reviewed(await keyless(text, format, parsed), "utf8", typedMarkerWarning(text) + header(`values hidden: no key for this file${keys}; markers change when a value changes`) + summary) };
}

/**
 * A warning line when the file's own text holds what looks like one of the markers the keyless
 * view puts in place of encrypted values (an ENC string never holds `<`, so any such text was
 * typed into the file): a branch could write the old marker where the ciphertext was, leaving the
 * value in clear, and the view would not change. "" when there is none.
 */
function typedMarkerWarning(text: string): string {
  const at = text.search(/<encrypted:[0-9a-f]{8}>/);
  if (at === -1) return "";
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < at; i = text.indexOf("\n", i + 1)) line++;
  return header(`WARNING: text in this file looks like a marker of an encrypted value but is not one (line ${line}): "<encrypted:…>" typed into the file`);
}

/** The whole parse of an encrypted file, or undefined when it does not parse or has no metadata. */
async function parseOf(text: string, format: FileFormat): Promise<ParsedDocument | undefined> {
  try {
    const { doc } = await readForDecrypt(text, format);
    return doc.metadata === undefined ? undefined : doc;
  } catch {
    return undefined;
  }
}

async function metadataOf(text: string, format: FileFormat): Promise<FileMetadata | undefined> {
  try {
    return await readMetadata(text, format);
  } catch {
    return undefined;
  }
}

/** The data part of the file with every ENC string replaced by its marker, metadata removed. */
async function keyless(text: string, format: FileFormat, parsed: ParsedDocument): Promise<string> {
  const { store } = await readForDecrypt(text, format);
  const edits: TextEdit[] = parsed.metadataSpans.map((s) => ({ start: s.start, end: s.end, text: "" }));
  for (const leaf of parsed.leaves) {
    if (leaf.aliased === true || leaf.value === null || !looksEncrypted(leaf.value.text)) continue;
    edits.push({ start: leaf.start, end: leaf.end, text: store.renderEncrypted(leaf, encryptedMarker(leaf.value.text)) });
  }
  return applyTextEdits(text, edits);
}

/** The default largest file the review view decrypts: config files are far smaller (see docs/git.md). */
export const DEFAULT_TEXTCONV_MAX_BYTES = 1024 * 1024;

/** The environment variable that sets the largest file the review view decrypts, in bytes. */
export const TEXTCONV_MAX_BYTES_ENV = "HUSH_TEXTCONV_MAX_BYTES";

/**
 * The largest file whose metadata summary the too-large view still shows. A branch can pad a
 * file past the review limit with a comment (no MAC covers it) to hide a changed recipient or
 * rule; the summary costs one scan for the metadata block, no decryption.
 */
export const TOO_LARGE_SUMMARY_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The metadata summary of a file above the review limit, read without decrypting anything: the
 * format's streaming reader finds the metadata block when it can (plain YAML), else the whole
 * file is parsed for it (JSON, dotenv, INI, TOML, YAML streams; bounded by
 * {@link TOO_LARGE_SUMMARY_MAX_BYTES}), so no format lets padding hide a changed recipient or
 * rule. "" when the name gives no format or the file has no metadata; a warning line when the
 * file or its metadata cannot be read, and one when no value in it is encrypted.
 */
export async function tooLargeSummary(bytes: Buffer, path: string | undefined): Promise<string> {
  // A branch can also pad a plaintext copy of an encrypted file past the limit: with no value
  // encrypted in it, the view says so, as the view of a small plain file does (plainView).
  const plain = isSopsConfig(path) || bytes.includes("ENC[AES256_GCM,") ? "" : header("WARNING: not encrypted: this file holds no encrypted value");
  const format = path === undefined ? undefined : formatFromPath(path);
  if (format === undefined || format === "binary" || bytes.length > TOO_LARGE_SUMMARY_MAX_BYTES) return plain;
  const text = bytes.toString("utf8");
  try {
    const raw = (await streamForDecrypt(text, format))?.metadata;
    // Without a streaming read the whole parse gives the metadata and the hidden text both: a
    // YAML stream near the limit took a parse for each (half a minute and 3 GB at 64 MB).
    const whole = raw === undefined ? await readWhole(text, format) : undefined;
    const found = raw ?? whole?.metadata;
    const metadata = found === undefined ? undefined : decodeMetadata(found);
    return metadata === undefined ? plain : plain + metadataSummary(metadata, format, undefined, await hiddenMetadataSummary(text, format, whole));
  } catch {
    return header("WARNING: the sops metadata cannot be read");
  }
}

/**
 * The view of a file above the size limit: a one-line explanation and a hash of the stored bytes
 * (so a diff still shows that it changed), then the metadata summary when the caller could read
 * it ({@link tooLargeSummary}); nothing decrypted.
 */
export function renderTooLargeView(size: number, limit: number, sha256Hex: string, summary = ""): DiffView {
  const text =
    header(`file too large for the review view (${size} bytes, limit ${limit}); values not shown; raise the limit with ${TEXTCONV_MAX_BYTES_ENV}=<bytes>`) +
    header(`size: ${size} bytes, sha256 of the stored file: ${sha256Hex}`) +
    summary;
  return { status: "too-large", output: Buffer.from(text) };
}
