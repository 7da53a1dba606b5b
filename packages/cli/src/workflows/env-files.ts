import { HushError, readTree, samePath, type FileFormat, type KeyPath, type TreeNode } from "@hush/core";
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
  /** Paths of values not bound to their key (`OpenedFile.unauthenticated`). */
  readonly unauthenticated: readonly KeyPath[];
}

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
  for (const f of files) {
    let entries;
    try {
      entries = await envFromPlaintext(f.text, f.format, options);
    } catch (err) {
      throw err instanceof HushError ? err.withFile(f.file) : err;
    }
    const unauthenticated = new Set(entries.filter((e) => f.unauthenticated.some((p) => samePath(p, e.path))).map((e) => e.name));
    const inherited = { ...options.baseEnv, ...Object.fromEntries(vars) };
    const refused = refusedEnvironmentNames(
      entries.map((e) => e.name),
      options.allowed,
      { env: inherited, unauthenticated },
    );
    if (refused.length > 0) throw new RefusedEnvironment(f.file, refused);
    for (const e of entries) {
      vars.set(e.name, e.value);
      origin.set(e.name, f.file);
      if (e.value !== "" && !unauthenticated.has(e.name)) secrets.add(e.value);
    }
  }
  return { vars, origin, secrets: [...secrets] };
}

/**
 * The values that were encrypted in a decrypted file, as the file spells them: what
 * `exec-file --redact` hides (the command reads the file's own text).
 */
export async function encryptedValueTexts(file: DecryptedEnvFile): Promise<string[]> {
  const out: string[] = [];
  const walk = (node: TreeNode, path: KeyPath): void => {
    if (node.kind === "map") for (const e of node.entries) if (e.kind === "entry") walk(e.value, [...path, e.key]);
    if (node.kind === "list") node.items.forEach((item, i) => walk(item, [...path, i]));
    if (node.kind === "scalar" && node.value.text !== "" && !file.unauthenticated.some((p) => samePath(p, path))) out.push(node.value.text);
  };
  walk(await readTree(file.text, file.format), []);
  return out;
}
