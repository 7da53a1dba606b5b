import { checkObject, checkString } from "../arguments.ts";
import type { KeySourceResolver } from "../crypto/data-key.ts";
import { SOPS_FORMAT_VERSION } from "../metadata/file-metadata.ts";
import { encryptText } from "../secret-file.ts";
import { openText, type OpenedFile } from "../open-text.ts";
import { storeFor, type FileFormat } from "../stores/registry.ts";
import type { KeyPath, TreeMap, TreeNode } from "../tree/values.ts";
import { convertPlaintext } from "./convert.ts";
import { editPlaintext, type PlainEditResult } from "./plain-edit.ts";
import { nodeAt } from "./tree-edit.ts";
import { weakerQuorum } from "./weaker-quorum.ts";
import { hiddenReaders, ruleText, unvouchedReaders, valuesLeftInClear, valuesOutsideMac, type WritePolicy } from "./write-policy.ts";
import { HushError } from "../errors.ts";

/**
 * An encrypted file opened for changes. Its plaintext is changed with `set`, `unset` or
 * `replacePlaintext`, and `toText` writes the next version: same data key, keys and rules, the
 * ciphertext of every unchanged value reused (spec 2.6), the metadata block at the indentation it
 * already has. A `set` of one value therefore changes only that value's lines, `mac` and
 * `lastmodified`.
 */

export interface OpenDocumentOptions {
  readonly format: FileFormat;
  /** Where the data key's master keys come from (see `defaultKeySources` in the CLI, or your own). */
  readonly keySources: KeySourceResolver;
  /** Skip the MAC check (SOPS `--ignore-mac`). */
  readonly ignoreMac?: boolean;
  /**
   * What the file's owner vouches for it (its `.sops.yaml` creation rule; `openFile` finds it).
   * With a policy, `toText` of a changed document refuses a write that would go to recipients
   * the policy does not name or leave in clear a value its rule encrypts: both come from the
   * file's own metadata, which no MAC covers and a branch can change without any key.
   */
  readonly policy?: WritePolicy;
  /**
   * Refuse, in `toText` of a changed document, a write under a data key that an entry also wraps
   * for a key no entry names (core's `hiddenReaders`), with or without a `policy` (with one, it
   * is refused anyway). `openFile` sets it unless `trustFileMetadata`. Default false.
   */
  readonly refuseHiddenReaders?: boolean;
  /** The file's name, which the errors of `set`, `unset` and `toText` name (`openFile` gives its path). */
  readonly name?: string;
}

export interface WriteOptions {
  /** Write the next version in another format (the data goes through the value tree). */
  readonly format?: FileFormat;
  /** YAML: spaces; JSON: spaces, or -1 for a tab. Default: what the file uses. */
  readonly indent?: number;
  /** Raise the file's `version` to hush's when it is older (what SOPS's edit does). */
  readonly bumpVersion?: boolean;
}

function versionParts(v: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** SOPS's edit bumps `version` to its own when the file's is older. */
export function newerVersion(fileVersion: string): string {
  checkString(fileVersion, "the version");
  const a = versionParts(fileVersion);
  const b = versionParts(SOPS_FORMAT_VERSION)!;
  if (a === undefined) return fileVersion;
  for (let i = 0; i < 3; i++) {
    if (a[i]! < b[i]!) return SOPS_FORMAT_VERSION;
    if (a[i]! > b[i]!) return fileVersion;
  }
  return fileVersion;
}

export class SecretDocument {
  /** The plaintext as changed so far (in `format`). */
  #plaintext: string;

  /** The file as opened: data key, metadata, IVs of its values. */
  readonly opened: OpenedFile;
  readonly format: FileFormat;
  /** Indentation of the existing metadata block, so rewriting it changes no lines. */
  readonly metadataIndent: number | undefined;
  readonly #keySources: KeySourceResolver;
  readonly #policy: WritePolicy | undefined;
  readonly #refuseHiddenReaders: boolean;
  readonly #name: string | undefined;

  private constructor(opened: OpenedFile, format: FileFormat, keySources: KeySourceResolver, metadataIndent: number | undefined, checks: Pick<OpenDocumentOptions, "policy" | "refuseHiddenReaders" | "name"> = {}) {
    this.opened = opened;
    this.format = format;
    this.#keySources = keySources;
    this.metadataIndent = metadataIndent;
    this.#plaintext = opened.plaintext;
    this.#policy = checks.policy;
    this.#refuseHiddenReaders = checks.refuseHiddenReaders === true || checks.policy !== undefined;
    this.#name = checks.name;
  }

  /**
   * Decrypts an encrypted file's text (MAC checked unless `ignoreMac`).
   * @throws HushError METADATA_MISSING (not encrypted), PARSE_FAILED / METADATA_INVALID (bad
   *   text), NO_MATCHING_KEY / KEY_SOURCE_FAILED (no key opens it), MAC_MISMATCH / VALUE_TAMPERED.
   */
  static async open(text: string, options: OpenDocumentOptions): Promise<SecretDocument> {
    checkObject(options, "the options");
    const opened = await openText(text, { format: options.format, keySources: options.keySources, ignoreMac: options.ignoreMac === true });
    return new SecretDocument(opened, options.format, options.keySources, (await storeFor(options.format)).layout(text).metadataIndent, options);
  }

  /**
   * A document for an already opened file, written as `format` (default the file's own) — e.g. a
   * new file's first version, or an old version whose keys and ciphertexts a new plaintext reuses.
   */
  static fromOpened(opened: OpenedFile, options: { keySources: KeySourceResolver; format?: FileFormat; metadataIndent?: number }): SecretDocument {
    return new SecretDocument(opened, options.format ?? opened.format, options.keySources, options.metadataIndent);
  }

  /** The current plaintext. */
  get plaintext(): string {
    return this.#plaintext;
  }

  /**
   * The value tree of the (first) document.
   * @throws HushError PARSE_FAILED when the current plaintext does not parse.
   */
  async values(): Promise<TreeMap> {
    return (await storeFor(this.format)).toTree(this.#plaintext);
  }

  /** The value at `path`, or undefined when the document has none there. */
  async get(path: KeyPath): Promise<TreeNode | undefined> {
    return nodeAt(await this.values(), path);
  }

  /**
   * Sets the value at `path` (missing maps and lists are created) with the smallest text change.
   * @throws HushError INVALID_SET_VALUE when the path crosses a value of the wrong kind, or the
   *   value is not a well-formed tree or holds a scalar whose text SOPS does not read as its type
   *   (`{ type: "bool", text: "yes" }` would decrypt as false);
   *   INVALID_ARGUMENT when a multi-document YAML file would have to be rewritten.
   */
  async set(path: KeyPath, value: TreeNode, options: { indent?: number } = {}): Promise<PlainEditResult> {
    return this.#apply(await this.#named(() => editPlaintext(this.#plaintext, this.format, { kind: "set", path, value }, options)));
  }

  /**
   * Removes the map key or list item at `path` with the smallest text change.
   * @throws HushError KEY_NOT_FOUND when the path is missing.
   */
  async unset(path: KeyPath, options: { indent?: number } = {}): Promise<PlainEditResult> {
    return this.#apply(await this.#named(() => editPlaintext(this.#plaintext, this.format, { kind: "unset", path }, options)));
  }

  /**
   * Replaces the whole plaintext (`encrypt --reuse`, an editor's result); its content is checked
   * by `toText`.
   * @throws HushError INVALID_ARGUMENT when `text` is not a string (the document is unchanged)
   */
  replacePlaintext(text: string): void {
    checkString(text, "the plaintext");
    this.#plaintext = text;
  }

  /** `work`, whose HushError names the document's file when it has a name (a program opening many files learns which one failed). */
  async #named<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw this.#name !== undefined && err instanceof HushError ? err.withFile(this.#name) : err;
    }
  }

  #apply(result: PlainEditResult): PlainEditResult {
    this.#plaintext = result.text;
    return result;
  }

  /**
   * The encrypted text of the next version.
   * @throws HushError PARSE_FAILED when the plaintext does not parse, EMIT_FAILED when it does
   *   not fit the output format, ENCRYPT_FAILED / NOTHING_ENCRYPTED as `encryptText` does;
   *   UNVOUCHED_WRITE when the document was opened with a `policy` and has changed, and the
   *   write would go to a recipient the policy does not name or leave in clear a value the
   *   policy's rule encrypts, or (with a policy or `refuseHiddenReaders`) to a key an entry's
   *   wrapped key also opens for that no entry names (its details list them; nothing is encrypted).
   */
  toText(options: WriteOptions = {}): Promise<string> {
    return this.#named(() => this.#write(options));
  }

  async #write(options: WriteOptions): Promise<string> {
    const out = options.format ?? this.format;
    const text = await convertPlaintext(this.#plaintext, this.format, out, options.indent);
    if (this.#refuseHiddenReaders && this.#plaintext !== this.opened.plaintext) await this.#checkPolicy(this.#policy, { text, format: out });
    const indent = options.indent ?? (out === this.format ? this.metadataIndent : undefined);
    const previous: OpenedFile = {
      ...this.opened,
      format: out,
      metadata: options.bumpVersion === true ? { ...this.opened.metadata, version: newerVersion(this.opened.metadata.version) } : this.opened.metadata,
    };
    return encryptText(text, { format: out, keySources: this.#keySources, previous, ...(indent === undefined ? {} : { emit: { indent } }) });
  }

  /** Refuses a changed plaintext that the policy does not cover, or that a key no entry names would read (see `toText`). */
  async #checkPolicy(policy: WritePolicy | undefined, after: { text: string; format: FileFormat }): Promise<void> {
    const { metadata } = this.opened;
    const hidden = hiddenReaders(metadata.keyGroups);
    const readers = policy === undefined ? [] : unvouchedReaders(metadata.keyGroups, policy);
    const quorum = policy === undefined ? undefined : weakerQuorum(metadata.keyGroups, metadata.shamirThreshold, policy);
    const clear = policy === undefined ? undefined : await valuesLeftInClear(metadata.rule, policy, { before: { text: this.opened.plaintext, format: this.format }, after });
    const outsideMac = policy === undefined ? undefined : await valuesOutsideMac(metadata, policy, after);
    const hiddenSection = hidden.length === 0 ? [] : ["wrapped keys that also open for a key no entry names:", ...hidden.map((r) => `  ${r}`)];
    const details = [
      ...(readers.length === 0 ? [] : ["recipients .sops.yaml does not name:", ...readers.map((r) => `  ${r}`)]),
      ...hiddenSection,
      ...(quorum === undefined ? [] : ["fewer recipients together open it than .sops.yaml's key groups ask:", `  ${quorum}`]),
      ...(clear === undefined || clear.values.length === 0
        ? []
        : [`left in clear (the file: ${ruleText(clear.rules.file)}; .sops.yaml: ${ruleText(clear.rules.policy)}):`, ...clear.values.map((v) => `  ${v}`)]),
      ...(outsideMac === undefined || outsideMac.length === 0 ? [] : ["left out of the MAC (the file: mac_only_encrypted: true; .sops.yaml: false):", ...outsideMac.map((v) => `  ${v}`)]),
    ];
    if (details.length === 0) return;
    // Nothing differs from .sops.yaml (or there is none): only the entries themselves say it.
    if (details.length === hiddenSection.length) {
      throw new HushError("UNVOUCHED_WRITE", "the change would also be readable by a key no entry of the file names: an entry's wrapped data key opens for it too", {
        hint: "check who wrote the file (git log -p): whoever did holds its data key; give it a new data key (hush rotate -i), or open it with trustFileMetadata: true",
        details,
      });
    }
    throw new HushError("UNVOUCHED_WRITE", "the change would reach readers, stay in clear or out of the MAC where .sops.yaml says otherwise: the file's own metadata says so", {
      hint: "check who changed its sops metadata (git log -p), re-create the file from .sops.yaml, or open it with trustFileMetadata: true",
      details,
    });
  }
}
