import type { EncryptionRule, KeyGroupRecipients, MasterKeyRecipient } from "@hush/core";
import { encryptText, ENCRYPTION_RULE_KINDS, HushError, isHushError, splitArnRole } from "@hush/core";
import { creationRuleFor, loadConfig } from "../config.ts";
import { CliError, EXIT } from "../exit-codes.ts";
import { convert, decodeInput, encodeOutput, inputFormat } from "../formats.ts";
import { readAll, readInputFile, writeFileAtomic, writeOut, type CliIo, type WriteContent } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";

export interface EncryptFlags {
  inPlace?: boolean;
  output?: string;
  age?: string;
  pgp?: string;
  kms?: string;
  awsProfile?: string;
  encryptionContext?: string;
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
}

function csv(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/** `k1:v1,k2:v2`, SOPS's `--encryption-context` syntax (bad format: exit 6). */
export function parseContext(text: string | undefined): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const pair of csv(text)) {
    const i = pair.indexOf(":");
    if (i <= 0) throw new CliError(EXIT.invalidKmsEncryptionContext, "invalid --encryption-context format (expected key:value,key:value)");
    ctx[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return ctx;
}

/** Key flags (or their SOPS_* variables) form one group that replaces the rule's keys. */
export function keysFromFlags(flags: EncryptFlags, env: CliIo["env"]): MasterKeyRecipient[] {
  const context = parseContext(flags.encryptionContext);
  const keys: MasterKeyRecipient[] = [];
  for (const item of csv(flags.kms ?? env["SOPS_KMS_ARN"])) {
    const [arn, role] = splitArnRole(item.replace(/\s/g, ""));
    keys.push({ kind: "kms", arn, role, context, awsProfile: flags.awsProfile ?? "" });
  }
  for (const fp of csv(flags.pgp ?? env["SOPS_PGP_FP"])) keys.push({ kind: "pgp", fp: fp.replace(/\s/g, "") });
  for (const r of csv(flags.age ?? env["SOPS_AGE_RECIPIENTS"])) keys.push({ kind: "age", recipient: r });
  return keys;
}

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
  if (given.length > 1) throw new CliError(EXIT.conflictingParameters, `cannot use more than one of ${given.map((g) => `--${g.kind.replace(/_/g, "-")}`).join(", ")}`);
  return given[0];
}

export function parseIndent(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < -1) throw new CliError(EXIT.generic, "--indent must be a whole number");
  return n;
}

/**
 * Where the result goes: stdout, `--output`, or the input file (`-i`). `content` says whether
 * `data` is plaintext (decrypted: written 0600, the caller's) or ciphertext (see `WriteContent`).
 */
export async function emitResult(io: CliIo, flags: { inPlace?: boolean; output?: string }, file: string | undefined, data: Buffer, content: WriteContent): Promise<void> {
  if (flags.inPlace === true) {
    if (file === undefined) throw new CliError(EXIT.conflictingParameters, "--in-place needs a file, not standard input");
    writeFileAtomic(file, data, content);
  } else if (flags.output !== undefined) {
    writeFileAtomic(flags.output, data, content);
  } else {
    await writeOut(io.stdout, data);
  }
}

export async function runEncrypt(io: CliIo, file: string | undefined, flags: EncryptFlags): Promise<number> {
  if (flags.reuse !== undefined) return (await import("./reuse.ts")).runEncryptReuse(io, file, flags, flags.reuse);
  if (flags.inPlace === true && flags.output !== undefined) throw new CliError(EXIT.conflictingParameters, "--in-place and --output cannot be used together");
  if (file === undefined && flags.filenameOverride === undefined && flags.inputType === undefined) {
    throw new CliError(EXIT.conflictingParameters, "reading standard input needs --filename-override or --input-type");
  }
  const name = flags.filenameOverride ?? file;
  const format = inputFormat(flags.inputType, name);
  const outFormat = flags.outputType === undefined ? format : inputFormat(flags.outputType, undefined);
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  const label = file ?? "stdin";
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  const rule = await creationRuleFor(loaded, name ?? "stdin", io.cwd);
  const flagKeys = keysFromFlags(flags, io.env);
  let keyGroups: KeyGroupRecipients;
  if (flagKeys.length > 0) keyGroups = [flagKeys];
  else if (rule !== undefined) keyGroups = rule.keyGroups;
  else throw new CliError(EXIT.generic, "config file not found, or has no creation rules, and no keys provided through command line options");
  if (keyGroups.length === 0 || keyGroups.some((g) => g.length === 0)) {
    // SOPS prints exactly this line, without a prefix, for a rule without keys, `key_groups: []`
    // and `key_groups: [{}]` alike; its functional tests and users' scripts match on it.
    io.stderr.write("Could not generate data key: [empty key group provided]\n");
    return EXIT.generic;
  }
  const threshold = flags.shamirSecretSharingThreshold === undefined ? rule?.shamirThreshold ?? 0 : Number(flags.shamirSecretSharingThreshold);
  const indent = parseIndent(flags.indent) ?? (outFormat === "yaml" ? loaded?.config.stores.yamlIndent : outFormat === "json" ? loaded?.config.stores.jsonIndent : undefined);
  const selection = ruleFromFlags(flags) ?? rule?.rule;
  let text = decodeInput(bytes, format, label);
  text = await convert(text, format, outFormat, indent);
  try {
    const out = await encryptText(text, {
      format: outFormat,
      keyGroups,
      shamirThreshold: threshold,
      ...(selection === undefined ? {} : { rule: selection }),
      macOnlyEncrypted: flags.macOnlyEncrypted === true || rule?.macOnlyEncrypted === true,
      keySources: createKeySourceResolver(io.env, flagKeys),
      ...(indent === undefined ? {} : { emit: { indent } }),
      requireEncryptedValue: flags.allowNoValues !== true,
    });
    await emitResult(io, flags, file, encodeOutput(out, outFormat), { plaintext: false });
  } catch (err) {
    if (isHushError(err, "NOTHING_ENCRYPTED")) {
      const from = ruleFromFlags(flags) !== undefined ? "the command line" : loaded === undefined ? "the default rule" : `the creation rule in ${loaded.path}`;
      throw new HushError(err.code, `${err.message} (rule from ${from}); nothing was written`, {
        location: { file: label },
        details: ["next: fix the rule to match the keys to encrypt, or pass --allow-no-values to write the file with every value in plaintext"],
      });
    }
    throw err instanceof HushError ? err.withFile(label) : err;
  }
  return 0;
}
