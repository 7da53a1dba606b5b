import { dirname, resolve } from "node:path";
import { configRelativePath, loadSopsConfig, type LoadedConfig } from "../config/config-file.ts";
import { resolveCreation, configIndent, type CreationOverrides } from "../config/creation.ts";
import type { KeySourceResolver } from "../crypto/data-key.ts";
import { SecretDocument } from "../document/secret-document.ts";
import { checkObject, checkString } from "../arguments.ts";
import { HushError, isHushError } from "../errors.ts";
import { findCreationRule } from "../config/sops-config.ts";
import { writePolicyOf, type WritePolicy } from "../document/write-policy.ts";
import { readFileBounded } from "../read-bounded.ts";
import { utf8Text } from "../utf8-text.ts";
import { encryptText } from "../secret-file.ts";
import { decryptText, verifyText } from "../open-text.ts";
import { encryptedTextFormat, formatFromPath, plaintextEncoding, WHOLE_FILE_FORMAT, type FileFormat } from "../stores/registry.ts";

/**
 * Working with files for a Node program: read a file, decrypt or open it, and encrypt a new
 * file's text as its `.sops.yaml` says. These functions read but never write: the caller writes
 * the returned text (atomically, if the file matters). Errors are HushError and name the file.
 */

export interface FileOptions {
  /** Where master keys come from (e.g. `defaultKeySources()` of `@hush/cli`, or your own). */
  readonly keySources: KeySourceResolver;
  /** The file's format; default: from its name (`.yaml`, `.json`, `.env`, `.ini`, `.toml`, else binary). */
  readonly format?: FileFormat;
  /** Skip the MAC check (SOPS `--ignore-mac`). */
  readonly ignoreMac?: boolean;
}

export interface OpenFileOptions extends FileOptions {
  /** The `.sops.yaml` that vouches for the file: a loaded one, a path, or (default) the nearest one above it. */
  readonly config?: LoadedConfig | string;
  /** Directory a relative `path` and `config` are resolved against (default `process.cwd()`). */
  readonly cwd?: string;
  /**
   * Write the file as its own `sops` metadata says even where `.sops.yaml`'s creation rule for
   * it says otherwise (other recipients, fewer values encrypted): that metadata is not covered by
   * the MAC, so only pass this for a file whose metadata you have checked. Default false.
   */
  readonly trustFileMetadata?: boolean;
}

export interface EncryptForPathOptions extends CreationOverrides {
  readonly keySources: KeySourceResolver;
  readonly format?: FileFormat;
  /** The `.sops.yaml` to use: a loaded one, a path, or (default) the nearest one above the file. */
  readonly config?: LoadedConfig | string;
  /** Directory relative paths are resolved against (default `process.cwd()`). */
  readonly cwd?: string;
}

/** Checks the arguments every function here takes, then the file's format. */
function formatOf(path: string, format: FileFormat | undefined, options: unknown): FileFormat {
  checkString(path, "the path");
  checkObject(options, "the options");
  return format ?? formatFromPath(path) ?? WHOLE_FILE_FORMAT;
}

function named<T>(path: string, work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    throw err instanceof HushError ? err.withFile(path) : err;
  });
}

/** Reads the file at `path` (resolved against `cwd` when given); errors name it as `path`. */
function readText(path: string, format: FileFormat, cwd?: string): string {
  const encoding = plaintextEncoding(format);
  let bytes: Buffer;
  try {
    // A file of a cloned repository can be a link to /dev/zero or a pipe: never read endlessly.
    bytes = readFileBounded(cwd === undefined ? path : resolve(cwd, path));
  } catch (err) {
    if (err instanceof HushError) throw err;
    const code = (err as { code?: string }).code ?? "error";
    if (code === "ENOENT") throw new HushError("FILE_NOT_FOUND", "no such file", { location: { file: path }, cause: err });
    throw new HushError("READ_FAILED", `cannot read (${code === "EISDIR" ? "it is a directory" : code})`, { location: { file: path }, cause: err });
  }
  if (encoding === "latin1") return bytes.toString("latin1");
  try {
    return utf8Text(bytes, "pass format: \"binary\" for a binary file");
  } catch (err) {
    throw err instanceof HushError ? err.withFile(path) : err;
  }
}

/**
 * Decrypts an encrypted file and returns its plaintext.
 * @throws HushError as `decryptText` does (METADATA_MISSING, NO_MATCHING_KEY, MAC_MISMATCH, ...),
 *   naming the file; FILE_NOT_FOUND / READ_FAILED when it cannot be read (READ_FAILED also for a
 *   device, a link to a pipe or a file longer than its size, which are never read); INVALID_ARGUMENT /
 *   FORMAT_UNSUPPORTED for a wrong argument.
 */
export async function decryptFile(path: string, options: FileOptions): Promise<string> {
  const format = formatOf(path, options?.format, options);
  const text = readText(path, encryptedTextFormat(format));
  return named(path, () => decryptText(text, { format, keySources: options.keySources, ignoreMac: options.ignoreMac === true }));
}

/**
 * Checks an encrypted file's integrity (data key, every value, MAC) without returning plaintext;
 * what SOPS's MAC does not cover (empty values, values left in clear) passes, as `verifyText` says.
 * @throws HushError as `verifyText` does, naming the file.
 */
export async function verifyFile(path: string, options: Omit<FileOptions, "ignoreMac">): Promise<void> {
  const format = formatOf(path, options?.format, options);
  const text = readText(path, encryptedTextFormat(format));
  await named(path, () => verifyText(text, { format, keySources: options.keySources }));
}

/**
 * Opens an encrypted file for changes (`set`, `unset`, `replacePlaintext`, then `toText`).
 * Unless `trustFileMetadata`, the document holds the creation rule `.sops.yaml` has for the
 * file, and `toText` of a changed document refuses (UNVOUCHED_WRITE) a write to recipients that
 * rule does not name or one leaving in clear a value it encrypts: see `OpenDocumentOptions.policy`.
 * No `.sops.yaml`, or none of its rules matching the file, vouches for nothing and refuses only a
 * write under a data key that an entry also wraps for a key no entry names (`hiddenReaders`).
 * @throws HushError as `SecretDocument.open` does, naming the file; CONFIG_INVALID for a
 *   `.sops.yaml` that cannot be read. The document's `set`, `unset` and `toText` name it too.
 */
export async function openFile(path: string, options: OpenFileOptions): Promise<SecretDocument> {
  const format = formatOf(path, options?.format, options);
  if (options.cwd !== undefined) checkString(options.cwd, "options.cwd");
  // The file that is read is the one whose creation rule is looked up: with `cwd`, a relative
  // path was read from the process's directory and checked against another one's `.sops.yaml`.
  const text = readText(path, encryptedTextFormat(format), options.cwd);
  const policy = options.trustFileMetadata === true ? undefined : await policyFor(path, options);
  return named(path, () =>
    SecretDocument.open(text, {
      format,
      keySources: options.keySources,
      name: path,
      refuseHiddenReaders: options.trustFileMetadata !== true,
      ...(options.ignoreMac === true ? { ignoreMac: true } : {}),
      ...(policy === undefined ? {} : { policy }),
    }),
  );
}

/** What `.sops.yaml`'s creation rule for `path` vouches for; undefined when no rule covers it. */
async function policyFor(path: string, options: OpenFileOptions): Promise<WritePolicy | undefined> {
  const { cwd, abs, loaded } = await configFor(path, options);
  if (loaded === undefined) return undefined;
  let rule;
  try {
    rule = await findCreationRule(loaded.config, configRelativePath(loaded, abs, cwd));
  } catch (err) {
    // No rule matches the file: nothing vouches for another rule or other recipients.
    if (isHushError(err, "CONFIG_NO_MATCH")) return undefined;
    throw isHushError(err, "CONFIG_INVALID") ? err.withFile(loaded.path) : err;
  }
  return rule === undefined ? undefined : writePolicyOf(rule);
}

/** The working directory, the file's absolute path and the `.sops.yaml` that covers it. */
async function configFor(path: string, options: { readonly config?: LoadedConfig | string; readonly cwd?: string }): Promise<{ cwd: string; abs: string; loaded: LoadedConfig | undefined }> {
  if (options.cwd !== undefined) checkString(options.cwd, "options.cwd");
  const cwd = options.cwd ?? process.cwd();
  const abs = resolve(cwd, path);
  const loaded = typeof options.config === "object" ? options.config : await loadSopsConfig(typeof options.config === "string" ? cwd : dirname(abs), options.config);
  return { cwd, abs, loaded };
}

/**
 * Encrypts the plaintext of a new file that will live at `path`, with the keys, groups,
 * threshold and rules `.sops.yaml`'s creation rules give for that path (overrides win, as the
 * CLI's flags do), and the config's indentation.
 * @throws HushError CONFIG_NO_MATCH / EMPTY_KEY_GROUP / CONFIG_INVALID (see `resolveCreation`),
 *   and as `encryptText` does (PARSE_FAILED, NOTHING_ENCRYPTED, ...), naming the file.
 */
export async function encryptForPath(plaintext: string, path: string, options: EncryptForPathOptions): Promise<string> {
  checkString(plaintext, "the plaintext");
  const format = formatOf(path, options?.format, options);
  const { cwd, abs, loaded } = await configFor(path, options);
  return named(path, async () => {
    const settings = await resolveCreation(loaded?.config, configRelativePath(loaded, abs, cwd), options);
    const indent = configIndent(loaded?.config.stores, format);
    return encryptText(plaintext, {
      format,
      keyGroups: settings.keyGroups,
      shamirThreshold: settings.shamirThreshold,
      ...(settings.rule === undefined ? {} : { rule: settings.rule }),
      macOnlyEncrypted: settings.macOnlyEncrypted,
      keySources: options.keySources,
      ...(indent === undefined ? {} : { emit: { indent } }),
      requireEncryptedValue: true,
    });
  });
}
