import { delimiter, resolve } from "node:path";
// readFileBounded from core, not through io.ts: io.ts brings the modules of writing files
// (link checks, git), which every start of an application would load and run for nothing.
import { encryptedTextFormat, formatFromPath, HushError, isHushError, plaintextEncoding, printable, quoted, readFileBounded, readPlaintext, shellPath, WHOLE_FILE_FORMAT, type FileFormat, type KeySourceResolver } from "@hush/core";
import { createKeySourceResolver } from "./key-sources.ts";
import { mergeEnvFiles, RefusedEnvironment, type DecryptedEnvFile } from "./workflows/env-files.ts";
import { describeRefused } from "./workflows/env-policy.ts";

/**
 * `loadEnv()`: an encrypted file's values in `process.env`, for a Node program, with the key
 * discovery of the `hush` command. Only what a file needs is loaded: the age backend for an age
 * file, never the AWS SDK or gpg unless the file names such keys.
 */

/** The file read when no path is given and HUSH_ENV_FILE is not set. */
export const DEFAULT_ENV_FILE = ".env.enc";

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

/** What a wrong argument is, for its message: `a string`, `null`, `a number`. */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * Refuses what a JavaScript caller can pass that the types rule out, before anything is read:
 * `loadEnv("config.yaml")` (dotenv's habit is an object too) would otherwise load `.env.enc`,
 * and an empty name would be the working directory.
 */
function checkOptions(options: unknown): asserts options is LoadEnvOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new HushError("INVALID_ARGUMENT", `loadEnv takes an options object ({ path: "config.yaml" } for a file), not ${kindOf(options)}`);
  }
  checkOtherOptions(options as Record<string, unknown>);
  const path = (options as { path?: unknown }).path;
  if (path === undefined) return;
  const names: unknown[] = typeof path === "string" ? [path] : Array.isArray(path) ? path : [];
  if (names.length === 0 && !Array.isArray(path)) throw new HushError("INVALID_ARGUMENT", `loadEnv: \`path\` is a file name or an array of them, not ${kindOf(path)}`);
  // An empty list (a split of an unset variable, a filter that kept nothing) would start the
  // program without any of its secrets and say nothing, as an empty HUSH_ENV_FILE would.
  if (names.length === 0) throw new HushError("INVALID_ARGUMENT", "loadEnv: `path` is an empty array: name at least one file (leave `path` out for HUSH_ENV_FILE or .env.enc)");
  const wrong = names.find((name) => typeof name !== "string");
  if (wrong !== undefined) throw new HushError("INVALID_ARGUMENT", `loadEnv: \`path\` holds ${kindOf(wrong)}, not a file name`);
  if (names.includes("")) throw new HushError("INVALID_ARGUMENT", "loadEnv: `path` holds an empty file name");
}

/**
 * The options besides `path`, each of the type it is declared with. A wrong one must not quietly
 * mean its default: `env: null` would put the secrets into process.env (and every child process
 * the program starts) instead of the object meant, `override: "true"` would keep the old values,
 * `allowEnv: "PATH"` would be the letters P, A, T and H.
 */
function checkOtherOptions(options: Record<string, unknown>): void {
  const wrong = (name: string, what: string): HushError => new HushError("INVALID_ARGUMENT", `loadEnv: \`${name}\` is ${what}, not ${kindOf(options[name])}`);
  const env = options["env"];
  if (env !== undefined && (typeof env !== "object" || env === null || Array.isArray(env))) throw wrong("env", "the object to fill (leave it out for process.env)");
  for (const flag of ["override", "flatten"]) {
    if (options[flag] !== undefined && typeof options[flag] !== "boolean") throw wrong(flag, "true or false");
  }
  for (const text of ["separator", "format"]) {
    if (options[text] !== undefined && typeof options[text] !== "string") throw wrong(text, "a string");
  }
  const allowEnv = options["allowEnv"];
  if (allowEnv !== undefined && (!Array.isArray(allowEnv) || allowEnv.some((name) => typeof name !== "string"))) throw wrong("allowEnv", "an array of variable names");
  const cwd = options["cwd"];
  if (cwd !== undefined && typeof cwd !== "string") throw wrong("cwd", "a directory's name");
  if (cwd === "") throw new HushError("INVALID_ARGUMENT", "loadEnv: `cwd` is empty (leave it out for the working directory)");
}

/**
 * The files the entry module loads from `env` (HUSH_ENV_FILE, else the default) as absolute paths
 * from `cwd`, or undefined when HUSH_ENV_FILE names none well (loading then says why).
 */
export function startupEnvFiles(env: Readonly<Record<string, string | undefined>>, cwd: string): readonly string[] | undefined {
  try {
    return filesOf(undefined, env).files.map((f) => resolve(cwd, f));
  } catch {
    return undefined;
  }
}

/** The files to read (the option, else HUSH_ENV_FILE, else the default), and what named them. */
function filesOf(option: LoadEnvOptions["path"], env: Readonly<Record<string, string | undefined>>): { files: readonly string[]; namedBy: string } {
  if (option !== undefined) return { files: typeof option === "string" ? [option] : option, namedBy: "named by loadEnv's `path`" };
  const fromEnv = env["HUSH_ENV_FILE"];
  if (fromEnv === "") {
    // `HUSH_ENV_FILE=$STAGE_FILE` with the variable unset: falling back to the default would start
    // a deployment with whatever `.env.enc` lies in its directory (a development file, say).
    throw new HushError("INVALID_ARGUMENT", `HUSH_ENV_FILE is set but empty (an unset variable where a file was meant?): name the file, or unset HUSH_ENV_FILE to load ${DEFAULT_ENV_FILE}`);
  }
  if (fromEnv !== undefined) {
    const files = fromEnv.split(delimiter);
    // `HUSH_ENV_FILE=$BASE:$STAGE` with a variable unset: skipping the empty name would start the
    // program without that file's secrets (without any, for `:`), and say nothing.
    if (files.includes("")) {
      throw new HushError("INVALID_ARGUMENT", `HUSH_ENV_FILE ${quoted(fromEnv, 400)} holds an empty file name (an unset variable where a file was meant?): name each file, joined by "${delimiter}"`);
    }
    return { files, namedBy: "named by HUSH_ENV_FILE" };
  }
  return { files: [DEFAULT_ENV_FILE], namedBy: "the default; set HUSH_ENV_FILE, or pass `path` to loadEnv, to load another file" };
}

/**
 * An error whose message is one line naming the file (a HushError's file is otherwise only in its
 * location); `namedBy` says where a missing file's name came from.
 */
function namedError(file: string, err: unknown, namedBy = "named by HUSH_ENV_FILE or `path`"): HushError {
  if (!isHushError(err)) {
    const code = (err as { code?: string }).code;
    if (code === "ENOENT") return new HushError("INVALID_ARGUMENT", printable(`${file}: no such file (${namedBy})`, 4000), { location: { file }, cause: err });
    // A file that is there but cannot be read is unreadable input, exit 2, as for hush decrypt.
    const what = code === "EISDIR" ? `is a directory; ${POINT_AT_FILE}` : `cannot read (${code ?? "error"})`;
    return new HushError("READ_FAILED", printable(`${file}: ${what}`, 4000), { location: { file }, cause: err });
  }
  // What `hush decrypt` says on a line of its own: a program's start-up error is one line.
  const notEncrypted = err.code === "METADATA_MISSING" ? `; the file is not encrypted (\`hush encrypt -i ${shellPath(file)}\` encrypts it in place)` : "";
  const hint = err.hint === undefined ? notEncrypted : `${notEncrypted} (hint: ${err.hint})`;
  return new HushError(err.code, printable(`${file}: ${err.message}${hint}`, 4000), { location: { ...err.location, file }, cause: err });
}

/** The next step when a path names something other than an encrypted file. */
const POINT_AT_FILE = "point HUSH_ENV_FILE or `path` at the encrypted file";

/**
 * The file's bytes, bounded: a `.env.enc` in a cloned repository can be a link to a device, to an
 * endless file or to the program's own output pipe, which would stop the program from starting.
 */
function readEnvFile(path: string): Buffer {
  try {
    return readFileBounded(path);
  } catch (err) {
    // `namedError` puts the file's name in front.
    throw isHushError(err) ? new HushError(err.code, `${err.message}; ${POINT_AT_FILE}`, { cause: err }) : err;
  }
}

/**
 * The next step for a file read as binary because its name gives no format (`prod.env.enc`): it
 * may well be encrypted, in another format, so "not encrypted, `hush encrypt -i` it" would be
 * wrong advice (and `hush encrypt` refuses such a name), and the config entry module takes no
 * `format`, so renaming is its way.
 */
const NAME_THE_FORMAT = "its name gives no format, so it was read as a binary file: name it .env.enc, *.env, *.yaml, *.json, *.ini or *.toml, or pass `format` to loadEnv";

async function decryptEnvFile(file: string, namedBy: string, options: LoadEnvOptions, keySources: KeySourceResolver): Promise<DecryptedEnvFile> {
  const named = options.format ?? formatFromPath(file);
  const format = named ?? WHOLE_FILE_FORMAT;
  try {
    const bytes = readEnvFile(resolve(options.cwd ?? process.cwd(), file));
    const text = bytes.toString(plaintextEncoding(encryptedTextFormat(format)));
    try {
      // The values as the plaintext reads, where the decryption can give them: not read again.
      const opened = await readPlaintext(text, { format, keySources, valueTree: true });
      return { file, text: opened.plaintext, format, unauthenticated: opened.unauthenticated, ...(opened.tree === undefined ? {} : { tree: opened.tree }) };
    } catch (err) {
      if (named === undefined && isHushError(err, "METADATA_MISSING")) throw new HushError("METADATA_MISSING", printable(`${file}: ${err.message}; ${NAME_THE_FORMAT}`, 4000), { location: { file }, located: true, cause: err });
      throw err;
    }
  } catch (err) {
    throw isHushError(err) && err.located ? err : namedError(file, err, namedBy);
  }
}

/**
 * Refuses names that every JavaScript object has (`hasOwnProperty`, `toString`, `constructor`,
 * `__proto__`…): set on `process.env` they replace its methods for the whole program (or, on a
 * plain object, are silently dropped), and read back they look set when they are not.
 */
function refuseObjectMembers(origin: ReadonlyMap<string, string>): void {
  const first = [...origin].find(([name]) => name in Object.prototype);
  if (first !== undefined) {
    const file = first[1];
    const list = [...origin].filter(([name, f]) => f === file && name in Object.prototype).map(([name]) => printable(name, 80)).join(", ");
    throw new HushError("INVALID_ARGUMENT", `${file}: not loading: the file sets ${list}, which every JavaScript object has (process.env.toString() and the like would stop working); rename them`, { location: { file } });
  }
}

/**
 * Decrypts the files and puts their values into `options.env` (default `process.env`). All files
 * are decrypted and checked before any variable is set: on an error nothing changes.
 * @throws HushError whose message is one line naming the file (and key path), never a value:
 *   NO_MATCHING_KEY when no key opens a file, MAC_MISMATCH or VALUE_TAMPERED for a file changed
 *   without its key, METADATA_MISSING for one that is not encrypted (or whose name gives no
 *   format: pass `format`), INVALID_ARGUMENT for a missing file, an empty name in HUSH_ENV_FILE, a nested value without
 *   `flatten`, a variable the policy refuses or wrong options, READ_FAILED for a path that is not
 *   a readable regular file (a directory, a device).
 */
export async function loadEnv(options: LoadEnvOptions = {}): Promise<LoadEnvResult> {
  checkOptions(options);
  const env = options.env ?? process.env;
  const { files, namedBy } = filesOf(options.path, env);
  const keySources = options.keySources ?? createKeySourceResolver(env);
  const settled = await Promise.allSettled(files.map((f) => decryptEnvFile(f, namedBy, options, keySources)));
  // The first failure in the order the files were given, whichever finished first.
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  const decrypted = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const override = options.override === true;
  let merged;
  try {
    merged = await mergeEnvFiles(decrypted, {
      flatten: options.flatten !== false,
      ...(options.separator === undefined ? {} : { separator: options.separator }),
      allowed: new Set(options.allowEnv ?? []),
      // A program's author reads the errors: loadEnv's options, not exec-env's flags.
      optionNames: { flatten: "loadEnv's `flatten: true`", separator: "separator (loadEnv's `separator`)" },
      // Without override the program's own variables are never replaced.
      baseEnv: override ? env : {},
    });
  } catch (err) {
    if (err instanceof RefusedEnvironment) {
      const names = err.refused.map((r) => JSON.stringify(r.name)).join(", ");
      // Worded for the config entry module too, which takes no options: loadEnv is the way.
      throw new HushError("INVALID_ARGUMENT", `${err.file}: not loading: the file sets ${describeRefused(err.refused)}; anyone who can encrypt to this file can add such keys. If they are meant to be there, load the file with loadEnv({ allowEnv: [${names}] })`, { location: { file: err.file } });
    }
    const file = isHushError(err) ? err.location?.file : undefined;
    throw file === undefined ? err : namedError(file, err);
  }
  refuseObjectMembers(merged.origin);
  const set: string[] = [];
  const skipped: string[] = [];
  for (const [name, value] of merged.vars) {
    if (!override && env[name] !== undefined) {
      skipped.push(name);
      continue;
    }
    env[name] = value;
    set.push(name);
  }
  return { files, set, skipped };
}
