import type { CreationOverrides, EncryptionRule, MasterKeyRecipient } from "@hush/core";
import { HushError, ENCRYPTION_RULE_KINDS, MAX_INDENT } from "@hush/core";
import { writeFileAtomic, writeOutput, type CliIo, type WriteContent } from "../io.ts";
import { outputStream, writeOutputStream } from "../output-stream.ts";
import { parseWholeNumberArgument } from "../whole-number-argument.ts";

/**
 * The options shared by the commands that write encrypted files (encrypt, edit, set, rotate,
 * groups, ...): key and rule flags, `--indent`, and where the result goes.
 */

export interface EncryptFlags {
  inPlace?: boolean;
  output?: string;
  inputType?: string;
  outputType?: string;
  filenameOverride?: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  macOnlyEncrypted?: boolean;
  shamirSecretSharingThreshold?: string;
  config?: string;
  indent?: string;
  /** Write the file even when the selection rule encrypts none of its values. */
  allowNoValues?: boolean;
  /** Re-encrypt against this existing encrypted file, reusing its data key and unchanged ciphertext. */
  reuse?: string;
  /** With `reuse` (and in `edit`): do not ask before writing into a file that a recipient only the file names can read (it is still listed). */
  yes?: boolean;
  /** Key flags of the key backends (`age`, `kms`, `awsProfile`, …; see key-flags.ts). */
  [keyFlag: string]: unknown;
}

export { keysFromFlags } from "../key-flags.ts";

export function ruleFromFlags(flags: EncryptFlags): EncryptionRule | undefined {
  const given: EncryptionRule[] = [];
  const values: Record<string, string | undefined> = {
    unencrypted_suffix: flags.unencryptedSuffix,
    encrypted_suffix: flags.encryptedSuffix,
    unencrypted_regex: flags.unencryptedRegex,
    encrypted_regex: flags.encryptedRegex,
    unencrypted_comment_regex: flags.unencryptedCommentRegex,
    encrypted_comment_regex: flags.encryptedCommentRegex,
  };
  for (const kind of ENCRYPTION_RULE_KINDS) {
    const v = values[kind];
    if (v !== undefined && v !== "") given.push({ kind, value: v });
  }
  if (given.length > 1) throw new HushError("CONFLICTING_OPTIONS", `cannot use more than one of ${given.map((g) => `--${g.kind.replace(/_/g, "-")}`).join(", ")}`, { located: true });
  return given[0];
}

/**
 * The command line's part of the creation settings: key flags (one group replacing the rule's),
 * the Shamir threshold, the selection rule and `--mac-only-encrypted`.
 */
export function creationOverrides(flags: EncryptFlags, keys: MasterKeyRecipient[]): CreationOverrides {
  const rule = ruleFromFlags(flags);
  return {
    keys,
    ...(flags.shamirSecretSharingThreshold === undefined ? {} : { shamirThreshold: parseThreshold(flags.shamirSecretSharingThreshold)! }),
    ...(rule === undefined ? {} : { rule }),
    ...(flags.macOnlyEncrypted === true ? { macOnlyEncrypted: true } : {}),
  };
}

export function parseIndent(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Bounded as `stores` indents are: a hundred million spaces a line ran hush out of string length.
  return parseWholeNumberArgument(text, "--indent", -1, MAX_INDENT, `from -1 (a tab) to ${MAX_INDENT}`);
}

/**
 * Where the result goes: stdout, `--output` (a file replaced, or a stream such as `/dev/stdout`
 * or a pipe written into: see {@link outputStream}), or the input file (`-i`). `content` says whether
 * `data` is plaintext (decrypted: written 0600, the caller's) or ciphertext (see `WriteContent`).
 */
export async function emitResult(io: CliIo, flags: { inPlace?: boolean; output?: string }, file: string | undefined, data: Buffer, content: WriteContent): Promise<void> {
  if (flags.inPlace === true) {
    if (file === undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place needs a file, not standard input", { located: true });
    writeFileAtomic(file, data, content);
  } else if (flags.output !== undefined) {
    const stream = outputStream(flags.output);
    if (stream !== undefined) await writeOutputStream(io, stream, data);
    else writeFileAtomic(flags.output, data, content);
  } else {
    await writeOutput(io, data);
  }
}

/** Parses `--shamir-secret-sharing-threshold` (a whole number, 0 meaning all groups). */
export function parseThreshold(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parseWholeNumberArgument(text, "--shamir-secret-sharing-threshold", 0, 255);
}
