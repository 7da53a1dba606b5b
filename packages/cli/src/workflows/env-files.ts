import { HushError, plaintextEncoding, storeFor, type FileFormat, type KeyPath, type TreeMap, type ValuePlace } from "@hush/core";
import { refusedEnvironmentNames, type RefusedVariable } from "./env-policy.ts";
import { envFromPlaintext, type EnvShape } from "./env-values.ts";

/**
 * Several decrypted files as one set of variables, for `exec-env` and the Node loader: each
 * file's variables in order, a later file's value replacing an earlier one's (as later `-e`
 * flags and later dotenv files do), each file checked against the dangerous-variable policy
 * on its own so that a refusal names the file that set the variable.
 */

/** A decrypted file, as `decryptInput` or core's `openText` gives it. */
export interface DecryptedEnvFile {
  /** The name shown in messages. */
  readonly file: string;
  readonly text: string;
  readonly format: FileFormat;
  /** Places of values not bound to their key (`OpenedFile.unauthenticated`). */
  readonly unauthenticated: readonly ValuePlace[];
  /** What `text` reads as, when the decryption gave it (core's `ReadFile.tree`): `text` is then not read again. */
  readonly tree?: TreeMap;
}

/**
 * A value's document and path as one string, to compare places: a YAML stream holds the same
 * path in several documents, and an empty value in one says nothing about the others.
 */
function placeKey(document: number, path: KeyPath): string {
  return JSON.stringify([document, ...path]);
}

function unauthenticatedPlaces(file: DecryptedEnvFile): Set<string> {
  return new Set(file.unauthenticated.map((p) => placeKey(p.document, p.path)));
}

/** The document environment variables come from: the first, as SOPS's exec-env reads it. */
const ENV_DOCUMENT = 0;

export interface MergedEnv {
  /** Every variable, later files winning, in first-seen order. */
  readonly vars: Map<string, string>;
  /** The file (as named in messages) each variable's value comes from. */
  readonly origin: Map<string, string>;
  /**
   * The values that were encrypted in their file (non-empty): what `--redact` hides. Values left
   * in clear, empty or null are in the repository for anyone to read and are not secrets.
   */
  readonly secrets: string[];
}

/**
 * The most variables the files may give in all, and the most bytes their names may take. Empty
 * values are outside SOPS's MAC, so anyone can add thousands of them without the key: each
 * variable set in a process scans its environment (setting 100,000 took Node 16 s), and an
 * environment of a few MiB makes every program the process starts fail (E2BIG). Real
 * configurations stay far below both.
 */
export const MAX_ENV_VARIABLES = 10_000;
export const MAX_ENV_NAME_BYTES = 256 * 1024;

function tooMany(file: string, what: string): HushError {
  return new HushError("INVALID_ARGUMENT", `the files give ${what}, which no environment holds well (empty values count too, and anyone can add those without the key)`, { location: { file } });
}

/** A file set variables the policy refuses; the caller words the error for its context. */
export class RefusedEnvironment extends Error {
  readonly file: string;
  readonly refused: readonly RefusedVariable[];
  constructor(file: string, refused: readonly RefusedVariable[]) {
    super(`${file}: sets refused variables`);
    this.name = "RefusedEnvironment";
    this.file = file;
    this.refused = refused;
  }
}

export interface MergeOptions extends EnvShape {
  /** Names the user allows although the policy refuses them (compared exactly). */
  readonly allowed: ReadonlySet<string>;
  /** What the program would get without the files: a value not bound to its key may not replace one of these. */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
}

/**
 * Merges the files' variables. A value not bound to its key may not replace a variable the
 * program gets from the base environment or from an earlier file either (blanking a secret
 * that an earlier file set is the same attack as blanking the caller's).
 * @throws HushError naming the file and key path; {@link RefusedEnvironment}.
 */
export async function mergeEnvFiles(files: readonly DecryptedEnvFile[], options: MergeOptions): Promise<MergedEnv> {
  const vars = new Map<string, string>();
  const origin = new Map<string, string>();
  const secrets = new Set<string>();
  let nameBytes = 0;
  for (const f of files) {
    let entries;
    try {
      entries = await envFromPlaintext(f.text, f.format, options, f.tree);
    } catch (err) {
      throw err instanceof HushError ? err.withFile(f.file) : err;
    }
    const unbound = unauthenticatedPlaces(f);
    const unauthenticated = new Set(entries.filter((e) => unbound.has(placeKey(ENV_DOCUMENT, e.path))).map((e) => e.name));
    const inherited = { ...options.baseEnv, ...Object.fromEntries(vars) };
    const refused = refusedEnvironmentNames(
      entries.map((e) => e.name),
      options.allowed,
      { env: inherited, unauthenticated },
    );
    if (refused.length > 0) throw new RefusedEnvironment(f.file, refused);
    for (const e of entries) {
      if (!vars.has(e.name)) {
        nameBytes += Buffer.byteLength(e.name);
        if (vars.size >= MAX_ENV_VARIABLES) throw tooMany(f.file, `more than ${MAX_ENV_VARIABLES} variables`);
        if (nameBytes > MAX_ENV_NAME_BYTES) throw tooMany(f.file, `names of more than ${MAX_ENV_NAME_BYTES} bytes in all`);
      }
      vars.set(e.name, e.value);
      origin.set(e.name, f.file);
      if (e.value !== "" && !unauthenticated.has(e.name)) secrets.add(e.value);
    }
  }
  return { vars, origin, secrets: [...secrets] };
}

/** The text `exec-file` hands to its command: the decrypted file, in the output format. */
export interface WrittenFile {
  readonly text: string;
  readonly format: FileFormat;
}

/**
 * The values that were encrypted in a decrypted file: what `exec-file --redact` hides. Each value
 * as parsed, and also as `written` spells it, since the command reads that text: the source of
 * each such value there (TOML `0x1F2E3D` for 2043453, YAML `"\e"` and TOML `"\u001B"` for an
 * escape character, dotenv `1500.0` for a YAML `1.50e3` after `--output-type`), with and without
 * its quotes.
 */
export async function encryptedValueTexts(file: DecryptedEnvFile, written?: WrittenFile): Promise<string[]> {
  const out = new Set<string>();
  // Each encrypted value's document and path, to find it again in `written`.
  const places = new Set<string>();
  const unbound = unauthenticatedPlaces(file);
  const store = await storeFor(file.format);
  const leaves = store.parse(file.text).leaves;
  for (const leaf of leaves) {
    if (leaf.kind !== "scalar" || leaf.value === null || leaf.value.text === "") continue;
    const place = placeKey(leaf.document, leaf.path);
    if (unbound.has(place)) continue;
    out.add(asPrinted(leaf.value.text, file.format));
    places.add(place);
  }
  if (file.format === "dotenv") {
    // A dotenv value is encrypted as written after `=` (blanks, quotes, an inline comment, escapes
    // as typed), as SOPS reads it; the file's readers (a shell's `.`, Node's parseEnv, exec-env)
    // take the dialect's value, which is what the command prints. The dialect reads the same
    // lines: its n-th variable is the n-th value.
    const values = leaves.filter((leaf) => leaf.kind === "scalar");
    store.toTree(file.text).entries.filter((e) => e.kind === "entry").forEach((entry, i) => {
      const leaf = values[i];
      if (leaf === undefined || !places.has(placeKey(leaf.document, leaf.path)) || entry.value.kind !== "scalar" || entry.value.value.text === "") return;
      out.add(entry.value.value.text);
    });
  }
  if (written !== undefined) {
    // Converting writes the same tree, so each value is found again at its place.
    for (const leaf of (await storeFor(written.format)).parse(written.text).leaves) {
      if (leaf.kind !== "scalar" || leaf.aliased === true || !places.has(placeKey(leaf.document, leaf.path))) continue;
      const source = written.text.slice(leaf.start, leaf.end);
      const quote = /^("""|'''|"|')/.exec(source)?.[1];
      if (source !== "") out.add(asPrinted(source, written.format));
      if (quote !== undefined && source.length >= 2 * quote.length && source.endsWith(quote)) {
        const inner = source.slice(quote.length, source.length - quote.length);
        if (inner !== "") out.add(asPrinted(inner, written.format));
      }
    }
  }
  return [...out];
}

/**
 * A value's text as the string whose UTF-8 bytes the command reads: a binary file's text holds
 * one character per byte (latin1), so `é` is two characters there, which masked as they are
 * would be four bytes the command never prints. Bytes that are not UTF-8 stay unrecognised.
 */
function asPrinted(text: string, format: FileFormat): string {
  return plaintextEncoding(format) === "latin1" ? Buffer.from(text, "latin1").toString("utf8") : text;
}
