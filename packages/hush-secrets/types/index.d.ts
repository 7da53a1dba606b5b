/**
 * hush-secrets for Node programs: encrypted files' values in `process.env`, with the key discovery
 * of the `hush` command. `import "hush-secrets/config"` (or `node --import hush-secrets/config
 * app.js`) loads `.env.enc` or HUSH_ENV_FILE before the program's own modules run; `loadEnv`
 * does it with options and returns what it did.
 *
 * `decryptFile` and `decryptText` give a file's or a text's plaintext in memory, without
 * `process.env`.
 *
 * `EXIT` and `exitCodeFor` give the exit status `hush` ends with for an error's `code`.
 *
 * These declarations cover those. The package's other exports (the CLI's `runCli`, whose streams
 * are Node's, and the key backends) have their types in `@hush/cli`, and the full library
 * (encrypting, editing, verifying) in `@hush/core`.
 * test/install/bundle-types.ts keeps them equal to `@hush/cli`'s.
 */

/** A file format hush reads and writes. */
export type FileFormat = "yaml" | "json" | "dotenv" | "ini" | "toml" | "binary";

/** A source of master keys of one kind (age, pgp, kms, …), as `@hush/core` defines it. */
export interface KeySource {
  readonly kind: string;
}

/** Where master keys come from, per key kind: what {@link defaultKeySources} returns. */
export type KeySourceResolver = (kind: string) => Promise<KeySource | undefined>;

/** The file read when no path is given and HUSH_ENV_FILE is not set. */
export declare const DEFAULT_ENV_FILE = ".env.enc";

export interface LoadEnvOptions {
  /**
   * The encrypted file, or several (later files win). Default: HUSH_ENV_FILE (several joined by
   * the platform's path delimiter, `:` on Unix; an empty name there is an error), else
   * `.env.enc`. Relative to `cwd`.
   */
  readonly path?: string | readonly string[];
  /** Replace variables that are already set (default false: they are kept and listed in `skipped`). */
  readonly override?: boolean;
  /** One variable per nested value, `db: {password: …}` as `db__password` (default true). */
  readonly flatten?: boolean;
  /** Joins the path of a flattened name (default `__`). */
  readonly separator?: string;
  /** The files' format (default: from each file's name, `.env.enc` and `.env.*` being dotenv). */
  readonly format?: FileFormat;
  /**
   * Names the files may set although they change how programs start or where traffic goes
   * (PATH, NODE_OPTIONS, LD_*, HTTPS_PROXY…: refused by default, as `hush exec-env` does).
   */
  readonly allowEnv?: readonly string[];
  /** The environment to fill (default `process.env`); also where keys are looked for. */
  readonly env?: Record<string, string | undefined>;
  /** Where master keys come from (default: as `hush` finds them, from `env`). */
  readonly keySources?: KeySourceResolver;
  /** Directory relative paths are resolved against (default `process.cwd()`). */
  readonly cwd?: string;
}

/** What `loadEnv` did, by name only: values are never returned or logged. */
export interface LoadEnvResult {
  /** The files read, as given. */
  readonly files: readonly string[];
  /** Variables set from the files. */
  readonly set: readonly string[];
  /** Variables the files have that were already set and were kept (without `override`). */
  readonly skipped: readonly string[];
}

/**
 * Decrypts the files and puts their values into `options.env` (default `process.env`). All files
 * are decrypted and checked before any variable is set: on an error nothing changes.
 * @throws an Error (`HushError`, with a `code`) whose message is one line naming the file (and key
 *   path), never a value: NO_MATCHING_KEY when no key opens a file, MAC_MISMATCH or
 *   VALUE_TAMPERED for a file changed without its key, METADATA_MISSING for one that is not
 *   encrypted (or whose name gives no format: pass `format`), INVALID_ARGUMENT for a missing
 *   file, a nested value without `flatten`, a variable the policy refuses or wrong options,
 *   READ_FAILED for a path that is not a readable regular file (a directory, a device).
 */
export declare function loadEnv(options?: LoadEnvOptions): Promise<LoadEnvResult>;

/**
 * The key discovery `hush` itself uses: age identities from SOPS_AGE_KEY / SOPS_AGE_KEY_FILE /
 * SOPS_AGE_SSH_PRIVATE_KEY_FILE and the default key file, PGP through `gpg`, the cloud KMS
 * backends through their credential chains. Each backend is loaded only when a file needs it.
 */
export declare function defaultKeySources(env?: Readonly<Record<string, string | undefined>>): KeySourceResolver;

/** What {@link decryptText} takes besides the text. */
export interface DecryptOptions {
  /** The text's format. */
  readonly format: FileFormat;
  /** Where master keys come from: `defaultKeySources()` finds them as `hush` does. */
  readonly keySources: KeySourceResolver;
  /** Skip the MAC check (SOPS `--ignore-mac`). */
  readonly ignoreMac?: boolean;
}

/** What {@link decryptFile} takes besides the path. */
export interface FileOptions {
  /** Where master keys come from: `defaultKeySources()` finds them as `hush` does. */
  readonly keySources: KeySourceResolver;
  /** The file's format; default: from its name (`.yaml`, `.json`, `.env`, `.ini`, `.toml`, else binary). */
  readonly format?: FileFormat;
  /** Skip the MAC check (SOPS `--ignore-mac`). */
  readonly ignoreMac?: boolean;
}

/**
 * Decrypts an encrypted file's text (read from a secret store, a request, a buffer with
 * `toString("utf8")`; `"latin1"` for a binary file) and returns its plaintext, writing nothing.
 * @throws an Error (`HushError`, with a `code`) naming the key path or line, never a value:
 *   METADATA_MISSING (not encrypted), PARSE_FAILED / METADATA_INVALID, NO_MATCHING_KEY /
 *   KEY_SOURCE_FAILED (no key opens it), VALUE_TAMPERED, MAC_MISMATCH.
 */
export declare function decryptText(text: string, options: DecryptOptions): Promise<string>;

/**
 * Reads and decrypts an encrypted file and returns its plaintext, writing nothing.
 * @throws an Error (`HushError`, with a `code`) as `decryptText` does, with the file in
 *   `location.file`; FILE_NOT_FOUND / READ_FAILED when it cannot be read (a device, a link to a
 *   pipe or a file longer than its size is never read); NOT_UTF8 for a text file that is not UTF-8.
 */
export declare function decryptFile(path: string, options: FileOptions): Promise<string>;

/** Where in the input an error was found; never holds a value. */
export interface ErrorLocation {
  readonly file?: string;
  readonly keyPath?: string;
  readonly line?: number;
}

/** What every function of this package throws: an Error with a stable `code` (docs/errors.md). */
export interface HushError extends Error {
  /** `"HushError"`. */
  readonly name: string;
  readonly code: string;
  readonly location: ErrorLocation | undefined;
  readonly hint: string | undefined;
  readonly details: readonly string[] | undefined;
}

/** Whether `value` is a hush error (of `code`, when given): for a `catch` clause. */
export declare function isHushError(value: unknown, code?: string): value is HushError;

/**
 * The exit statuses of `hush`, SOPS's table where SOPS has one (docs/errors.md): what a program
 * that loads its secrets itself may exit with, as the `hush-secrets/config` entry module does.
 */
export declare const EXIT: {
  readonly generic: 1;
  readonly couldNotReadInputFile: 2;
  readonly couldNotWriteOutputFile: 3;
  readonly errorDumpingTree: 4;
  readonly invalidKmsEncryptionContext: 6;
  readonly invalidSetFormat: 7;
  readonly conflictingParameters: 8;
  readonly errorEncryptingTree: 23;
  readonly errorDecryptingTree: 25;
  readonly cannotChangeKeysFromNonExistentFile: 49;
  readonly macMismatch: 51;
  readonly invalidTreePathFormat: 91;
  readonly needAtLeastOneDocument: 92;
  readonly noFileSpecified: 100;
  readonly couldNotRetrieveKey: 128;
  readonly fileHasNotBeenModified: 200;
  readonly noEditorFound: 201;
  readonly fileAlreadyEncrypted: 203;
  readonly commandNotExecutable: 126;
  readonly commandNotFound: 127;
};

/**
 * The exit status `hush` ends with for an error's code (`err.code` of a {@link HushError}, not
 * the error itself): `exitCodeFor("NO_MATCHING_KEY")` is 128. 1 for a code it does not know.
 */
export declare function exitCodeFor(code: string): number;

