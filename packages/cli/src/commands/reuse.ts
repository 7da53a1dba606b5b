import { resolve } from "node:path";
import { HushError, formatFromPath, isHushError, printable } from "@hush/core";
import { creationRuleFor, loadConfig } from "../config.ts";
import { convert, decodeInput, inputFormat } from "../formats.ts";
import { readAll, readInputFile, type CliIo } from "../io.ts";
import { emitResult, parseIndent, type EncryptFlags } from "./encrypt-options.ts";
import { KEY_BACKENDS } from "../backends.ts";
import { optionKey } from "../key-flags.ts";
import { acquireFileLock, lockWaitMs } from "../workflows/file-lock.ts";
import { outputStream } from "../output-stream.ts";
import { openEncryptedFile, reencrypt } from "../workflows/reencrypt.ts";
import { clearWriteFindings, confirmWrite, writeReaderFindings } from "../rekey/unvouched.ts";
import { linksOfReplacedInput, plaintextLinksWarning } from "../workflows/other-hard-links.ts";

/**
 * `hush encrypt --reuse OLD.enc FILE`: encrypt a whole plaintext as the next version of an
 * existing encrypted file (what SOPS users emulate with `EDITOR="cp new" sops edit old`). OLD's
 * data key, keys and rules are kept, and every value whose path and plaintext did not change
 * keeps its ciphertext, so the diff shows only changed values, `mac` and `lastmodified`.
 */
export async function runEncryptReuse(io: CliIo, file: string | undefined, flags: EncryptFlags, reuse: string): Promise<number> {
  if (flags.inPlace === true && flags.output !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place and --output cannot be used together", { located: true });
  const keyFlags = KEY_BACKENDS.flatMap((b) => [b.flags.name, ...(b.flags.options ?? []).map((o) => o.name)]);
  const conflicting = (
    [
      ...keyFlags.map((name) => [`--${name}`, flags[optionKey(name)]] as const),
      ["--unencrypted-suffix", flags.unencryptedSuffix],
      ["--encrypted-suffix", flags.encryptedSuffix],
      ["--unencrypted-regex", flags.unencryptedRegex],
      ["--encrypted-regex", flags.encryptedRegex],
      ["--unencrypted-comment-regex", flags.unencryptedCommentRegex],
      ["--encrypted-comment-regex", flags.encryptedCommentRegex],
      ["--shamir-secret-sharing-threshold", flags.shamirSecretSharingThreshold],
      ["--mac-only-encrypted", flags.macOnlyEncrypted],
    ] as const
  )
    .filter(([, v]) => v !== undefined && v !== false)
    .map(([name]) => name);
  if (conflicting.length > 0) {
    throw new HushError("CONFLICTING_OPTIONS", `--reuse keeps the keys and rules of ${reuse}; it cannot be combined with ${conflicting.join(", ")} (use rotate or updatekeys to change keys)`, { located: true });
  }
  if (file === undefined && flags.filenameOverride === undefined && flags.inputType === undefined) {
    throw new HushError("CONFLICTING_OPTIONS", "reading standard input needs --filename-override or --input-type", { located: true });
  }
  const name = flags.filenameOverride ?? file;
  const format = inputFormat(flags.inputType, name);
  const outFormat = flags.outputType === undefined ? format : inputFormat(flags.outputType, undefined);
  const indent = parseIndent(flags.indent);
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  const plaintextLinks = linksOfReplacedInput(file, flags);
  const label = file ?? "stdin";
  let text = decodeInput(bytes, format, label);
  text = await convert(text, format, outFormat, indent);
  // A stream (`--output /dev/stdout`) is no file: no lock, no creation rule of its own.
  const target = flags.inPlace === true ? file : flags.output !== undefined && outputStream(flags.output) === undefined ? flags.output : undefined;
  // Writing over a file another hush may be changing: take its lock.
  const lock = target === undefined ? undefined : await acquireFileLock(target, { waitMs: lockWaitMs(io.env) });
  try {
    const old = await openEncryptedFile(io, reuse, formatFromPath(reuse) === undefined ? { inputType: outFormat } : {});
    // The new plaintext goes to every reader of OLD: held to the creation rule of the file written.
    const heldTo = await ruleHolder(io, flags.config, [target ?? name, reuse]);
    // OLD's rule is its writer's word: a value it would leave in clear against .sops.yaml is asked
    // about, in the one question with OLD's readers.
    const versions = { before: { text: old.opened.plaintext, format: old.opened.format }, after: { text, format: outFormat } };
    const findings = [...(await writeReaderFindings(io, heldTo, old.opened.metadata, flags)), ...(await clearWriteFindings(io, heldTo, old.opened.metadata, versions, flags))];
    await confirmWrite(io, heldTo, findings, { ...flags, command: "encrypt --reuse" });
    // Errors from here on are about the new plaintext: name it, not OLD.
    const out = await reencrypt(io, { ...old, file: label, format: outFormat, metadataIndent: old.format === outFormat ? old.metadataIndent : undefined }, text, indent === undefined ? {} : { indent });
    await emitResult(io, flags, file, out, { plaintext: false });
    if (plaintextLinks !== undefined) io.stderr.write(plaintextLinksWarning(printable(label), plaintextLinks));
  } finally {
    lock?.release();
  }
  return 0;
}

/**
 * The name whose creation rule the result is held to: the first of `names` (the file written or
 * the plaintext's name, then OLD) that a rule covers. A result on standard output, or written to a
 * name no rule covers (`hush encrypt --reuse app.enc.yaml plain.yaml > app.enc.yaml`), is still
 * OLD's next version: taken as vouched for by no rule, it was written without a question.
 */
async function ruleHolder(io: CliIo, config: string | undefined, names: ReadonlyArray<string | undefined>): Promise<string> {
  const candidates = names.filter((n): n is string => n !== undefined);
  const loaded = await loadConfig(io.cwd, config ?? io.env["SOPS_CONFIG"]);
  for (const name of candidates) {
    try {
      if ((await creationRuleFor(loaded, resolve(io.cwd, name), io.cwd)) !== undefined) return name;
    } catch (err) {
      if (!isHushError(err, "CONFIG_NO_MATCH")) throw err;
    }
  }
  return candidates[0]!;
}
