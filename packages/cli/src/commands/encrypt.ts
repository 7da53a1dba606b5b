import { basename } from "node:path";
import type { CreationSettings } from "@hush/core";
import { configIndent, encryptText, HushError, isHushError, printable, yamlBooleanWordValues } from "@hush/core";
import { creationSettingsFor, loadConfig } from "../config.ts";
import { exitCodeFor } from "../exit-codes.ts";
import { convert, decodeInput, encodeOutput, inputFormat } from "../formats.ts";
import { readAll, readInputFile, requireFileOrInput, type CliIo } from "../io.ts";
import { sameFile } from "./decrypt.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { linksOfReplacedInput, plaintextLinksWarning } from "../workflows/other-hard-links.ts";
import { creationOverrides, emitResult, keysFromFlags, parseIndent, ruleFromFlags, type EncryptFlags } from "./encrypt-options.ts";

export async function runEncrypt(io: CliIo, named: string | undefined, flags: EncryptFlags): Promise<number> {
  requireFileOrInput(io, named);
  const file = named === "-" ? undefined : named;
  if (flags.reuse !== undefined) return (await import("./reuse.ts")).runEncryptReuse(io, file, flags, flags.reuse);
  if (flags.inPlace === true && flags.output !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place and --output cannot be used together", { located: true });
  if (file === undefined && flags.filenameOverride === undefined && flags.inputType === undefined) {
    throw new HushError("CONFLICTING_OPTIONS", "reading standard input needs --filename-override or --input-type", { located: true });
  }
  const name = flags.filenameOverride ?? file;
  const format = inputFormat(flags.inputType, name);
  const outFormat = flags.outputType === undefined ? format : inputFormat(flags.outputType, undefined);
  const bytes = file === undefined ? await readAll(io.stdin) : readInputFile(file);
  const plaintextLinks = linksOfReplacedInput(file, flags);
  const label = file ?? "stdin";
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  if (file !== undefined && replacesConfig(file, flags, loaded?.path)) {
    // Its values encrypted, the creation rules are unreadable to every command, SOPS's too.
    throw new HushError("WRITE_REFUSED", "this is a configuration file (.sops.yaml) with the creation rules hush and SOPS read: encrypted, no command could read them; nothing was written", {
      location: { file: label },
      details: ["next: keep .sops.yaml in clear (recipients are public keys); put secrets in files its rules cover"],
    });
  }
  const flagKeys = keysFromFlags(flags, io.env);
  let settings: CreationSettings;
  try {
    settings = await creationSettingsFor(loaded, name ?? "stdin", io.cwd, creationOverrides(flags, flagKeys));
  } catch (err) {
    if (!isHushError(err, "EMPTY_KEY_GROUP")) throw err;
    // SOPS prints exactly this line, without a prefix, for a rule without keys, `key_groups: []`
    // and `key_groups: [{}]` alike; its functional tests and users' scripts match on it.
    io.stderr.write("Could not generate data key: [empty key group provided]\n");
    return exitCodeFor("EMPTY_KEY_GROUP");
  }
  const indent = parseIndent(flags.indent) ?? configIndent(loaded?.config.stores, outFormat);
  let text = decodeInput(bytes, format, label);
  text = await convert(text, format, outFormat, indent);
  try {
    const out = await encryptText(text, {
      format: outFormat,
      keyGroups: settings.keyGroups,
      shamirThreshold: settings.shamirThreshold,
      ...(settings.rule === undefined ? {} : { rule: settings.rule }),
      macOnlyEncrypted: settings.macOnlyEncrypted,
      keySources: createKeySourceResolver(io.env, flagKeys),
      ...(indent === undefined ? {} : { emit: { indent } }),
      requireEncryptedValue: flags.allowNoValues !== true,
    });
    await emitResult(io, flags, file, encodeOutput(out, outFormat), { plaintext: false });
    if (plaintextLinks !== undefined) io.stderr.write(plaintextLinksWarning(printable(label), plaintextLinks));
    if (outFormat === "yaml") await warnOfBooleanWords(io, label, text, out);
  } catch (err) {
    const from = ruleFromFlags(flags) !== undefined ? "the command line" : loaded === undefined ? "the default rule" : `the creation rule in ${loaded.path}`;
    if (isHushError(err, "NOTHING_ENCRYPTED")) {
      throw new HushError(err.code, `${err.message} (rule from ${from}); nothing was written`, {
        location: { file: label },
        details: ["next: fix the rule so that it selects the keys to encrypt, or pass --allow-no-values to write the file with every value in plaintext"],
      });
    }
    // A selection regex that does not compile: say where it was written, not only the file it met.
    if (isHushError(err, "CONFIG_INVALID") && settings.rule !== undefined) {
      throw new HushError(err.code, `${err.message} (rule from ${from}); nothing was written`, { location: { file: label } });
    }
    // A key the creation rule names that cannot be used (a typo, `*alias` inside a string): the
    // file being encrypted is not what to fix.
    if (isHushError(err, "INVALID_ARGUMENT") && /^group \d+: /.test(err.message) && flagKeys.length === 0 && settings.creationRule !== undefined && loaded !== undefined) {
      throw err.withFile(label).withDetails([`next: the key is named by the creation rule in ${loaded.path} (path_regex ${JSON.stringify(settings.creationRule.pathRegex)}): fix it there`]);
    }
    throw err instanceof HushError ? err.withFile(label) : err;
  }
  return 0;
}

/**
 * Whether encrypting `file` would replace a configuration file (`-i`, or `--output` naming it):
 * one named .sops.yaml, where commands run in its directory look for their rules, or the one
 * this command loaded (`configPath`, which `--config` or SOPS_CONFIG may name otherwise).
 */
function replacesConfig(file: string, flags: EncryptFlags, configPath: string | undefined): boolean {
  const replaces = flags.inPlace === true || (flags.output !== undefined && sameFile(flags.output, file));
  return replaces && (basename(file) === ".sops.yaml" || (configPath !== undefined && sameFile(configPath, file)));
}

/**
 * Says which encrypted values were written plain as YAML 1.1 boolean words (`enabled: no`): Helm,
 * kubectl and PyYAML read those as booleans, SOPS and hush as strings, and decryption writes them
 * quoted, as SOPS does. Names lines and key paths only: the words are values.
 */
async function warnOfBooleanWords(io: CliIo, label: string, plaintext: string, encrypted: string): Promise<void> {
  for (const { line, keyPath } of await yamlBooleanWordValues(plaintext, encrypted)) {
    io.stderr.write(`hush: warning: ${printable(label)}:${line}: the value at ${keyPath} is a plain yes/no/on/off/y/n word, a string to SOPS and hush but a boolean to Helm, kubectl and PyYAML; decrypting writes it quoted, as SOPS does (write true or false for a boolean)\n`);
  }
}
