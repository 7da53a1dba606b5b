import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { closestName, formatFromPath, printable, SOPS_FORMAT_VERSION } from "@hush/core";
import { CliError, EXIT } from "../exit-codes.ts";
import { writeOut, type CliIo } from "../io.ts";
import type { Reenter } from "../command-flags.ts";
import { KEY_BACKENDS, usableKeyBackends } from "../backends.ts";
import { keyFlagKeys, legacyKeyFlags, optionKey } from "../key-flags.ts";
import { hushVersion, sopsStyleVersion } from "../version.ts";

/**
 * SOPS's command line without a subcommand (spec 9.3), so scripts and tools that call `sops`
 * work with hush in its place: `-e`, `-d`, `-r`, `--set 'PATH VALUE'`, and no mode flag = edit,
 * with SOPS's flags, outputs and exit codes. Also re-dispatches `sops --global-flag SUBCOMMAND`
 * forms, where SOPS-only global flags come before a subcommand.
 */

/** Global flags of SOPS that hush accepts and ignores (they change nothing here). */
const IGNORED_BOOLEAN = ["--disable-version-check", "--check-for-updates", "--verbose", "--enable-local-keyservice"];

export interface LegacyGlobals {
  config?: string;
  indent?: string;
}

function legacyParser(io: CliIo): Command {
  const cmd = new Command("hush")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .helpOption(false)
    .allowExcessArguments()
    .argument("[files...]")
    .option("-d, --decrypt")
    .option("-e, --encrypt")
    .option("-r, --rotate")
    .option("-i, --in-place")
    .option("-s, --show-master-keys")
    .option("-v, --version")
    .option("--ignore-mac")
    .option("--mac-only-encrypted")
    .option("--extract <path>")
    .option("--input-type <type>")
    .option("--output-type <type>")
    .option("--unencrypted-suffix <suffix>")
    .option("--encrypted-suffix <suffix>")
    .option("--unencrypted-regex <re>")
    .option("--encrypted-regex <re>")
    .option("--unencrypted-comment-regex <re>")
    .option("--encrypted-comment-regex <re>")
    .option("--config <path>")
    .option("--set <pathAndValue>")
    .option("--shamir-secret-sharing-threshold <n>")
    .option("--indent <n>")
    .option("--output <path>")
    .option("--filename-override <name>")
    .option("--allow-no-values")
    .option("--decryption-order <kinds>")
    .option("--keyservice <uri>", "", (v: string, prev: string[]) => [...prev, v], [] as string[]);
  for (const flag of IGNORED_BOOLEAN) cmd.addOption(new Option(flag));
  return legacyKeyFlags(cmd);
}

interface LegacyOpts {
  decrypt?: boolean;
  encrypt?: boolean;
  rotate?: boolean;
  inPlace?: boolean;
  showMasterKeys?: boolean;
  version?: boolean;
  ignoreMac?: boolean;
  macOnlyEncrypted?: boolean;
  extract?: string;
  inputType?: string;
  outputType?: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  config?: string;
  set?: string;
  shamirSecretSharingThreshold?: string;
  indent?: string;
  output?: string;
  filenameOverride?: string;
  keyservice?: string[];
  [other: string]: unknown;
}

/** SOPS's `--set` argument: split after the first `] `; left the path, right a JSON value. */
export function splitSetArgument(text: string): { path: string; value: string } {
  const i = text.indexOf("] ");
  if (i < 0) throw new CliError(EXIT.invalidSetFormat, "invalid --set format: expected '[\"key\"][\"sub\"] JSON-VALUE'");
  return { path: text.slice(0, i + 1), value: text.slice(i + 2) };
}

const SUBCOMMAND_GLOBALS_WITH_VALUE = new Set(["--config", "--indent"]);

/**
 * `sops --disable-version-check decrypt f.yaml`: SOPS-only global flags before a subcommand
 * reach us as unknown options. Returns the argv to run again without them, or undefined.
 */
function subcommandForm(args: readonly string[], subcommands: ReadonlySet<string>): string[] | undefined {
  const kept: string[] = [];
  let macOnly = false;
  let i = 0;
  while (i < args.length) {
    const a = args[i]!;
    if (IGNORED_BOOLEAN.includes(a) || a.startsWith("--disable-version-check=") || a.startsWith("--check-for-updates=")) i++;
    else if (a === "--mac-only-encrypted") {
      macOnly = true;
      i++;
    } else if (SUBCOMMAND_GLOBALS_WITH_VALUE.has(a) && i + 1 < args.length) {
      kept.push(a, args[i + 1]!);
      i += 2;
    } else if (/^--(config|indent)=/.test(a)) {
      kept.push(a);
      i++;
    } else break;
  }
  const sub = args[i];
  if (sub === undefined || !subcommands.has(sub)) return undefined;
  const rest = args.slice(i + 1);
  return [...kept, sub, ...(macOnly && (sub === "encrypt" || sub === "edit") ? ["--mac-only-encrypted"] : []), ...rest];
}

/**
 * Runs SOPS's legacy form. `globals` are the root options commander already took (`--config`,
 * `--indent`); `subcommands` are the names `hush` has, for re-dispatching; `runCli` runs a
 * rebuilt command line (passed in, so that this module does not import the CLI's entry point).
 */
export async function runLegacy(io: CliIo, args: readonly string[], globals: LegacyGlobals, subcommands: ReadonlySet<string>, asSops: boolean, runCli: Reenter): Promise<number> {
  const again = subcommandForm(args, subcommands);
  if (again !== undefined) {
    const lead: string[] = [];
    if (globals.config !== undefined) lead.push("--config", globals.config);
    if (globals.indent !== undefined) lead.push("--indent", globals.indent);
    return runCli([...lead, ...again], io);
  }
  const parser = legacyParser(io);
  await parser.parseAsync([...args], { from: "user" });
  const o = parser.opts<LegacyOpts>();
  const files = parser.args.filter((a) => a !== "--");
  if (o.version === true) {
    await writeOut(io.stdout, `${asSops ? sopsStyleVersion() : `hush ${hushVersion()} (sops ${SOPS_FORMAT_VERSION} format)`}\n`);
    return 0;
  }
  // Kinds SOPS has and hush does not: naming one is an error rather than a silent no-op.
  const usable = usableKeyBackends().map((b) => b.kind);
  for (const backend of KEY_BACKENDS.filter((b) => b.load === undefined)) {
    for (const flag of [backend.flags.name, `add-${backend.flags.name}`, `rm-${backend.flags.name}`]) {
      const v = o[optionKey(flag)];
      if (typeof v === "string" && v !== "") throw new CliError(EXIT.generic, `--${flag}: ${backend.kind} keys are not supported by hush (${usable.join(", ")} are)`);
    }
  }
  if ((o.keyservice ?? []).length > 0) throw new CliError(EXIT.generic, "--keyservice is not supported by hush: keys are used in this process");
  const config = o.config ?? globals.config;
  const indent = o.indent ?? globals.indent;
  const common = {
    ...(config === undefined ? {} : { config }),
    ...(indent === undefined ? {} : { indent }),
  };

  const addRm = keyFlagKeys(["add-", "rm-"]).filter((k) => typeof o[k] === "string" && o[k] !== "");
  const modes: string[] = [];
  if (o.encrypt === true) modes.push("encrypt");
  if (o.decrypt === true) modes.push("decrypt");
  if (o.rotate === true || addRm.length > 0) modes.push("rotate");
  if (o.set !== undefined) modes.push("set");
  if (modes.length > 1) io.stderr.write(`hush: warning: more than one of -e, -d, -r and --set given; using ${modes[modes.length - 1]} (as SOPS does)\n`);
  const mode = modes[modes.length - 1] ?? "edit";

  const file = files[0];
  if (file === undefined) throw new CliError(EXIT.noFileSpecified, "Error: no file specified (see `hush --help` for the commands, or give SOPS flags and a file)");
  if (files.length > 1) {
    if (!existsSync(file) && !/[./]/.test(file)) throw unknownCommand(file, subcommands, "");
    io.stderr.write(`hush: warning: more than one file given; using ${file} (flags must come before the file)\n`);
  }

  const keyAndRule = {
    ...pick(o, [...keyFlagKeys([""]), "unencryptedSuffix", "encryptedSuffix", "unencryptedRegex", "encryptedRegex", "unencryptedCommentRegex", "encryptedCommentRegex", "shamirSecretSharingThreshold", "inputType", "outputType"]),
    ...(o.macOnlyEncrypted === true ? { macOnlyEncrypted: true } : {}),
  };
  switch (mode) {
    case "encrypt": {
      const { runEncrypt } = await import("./encrypt.ts");
      return runEncrypt(io, file, {
        ...keyAndRule,
        ...common,
        ...pick(o, ["output", "filenameOverride"]),
        ...(o.inPlace === true ? { inPlace: true } : {}),
        ...(o["allowNoValues"] === true ? { allowNoValues: true } : {}),
      });
    }
    case "decrypt": {
      const { runDecrypt } = await import("./decrypt.ts");
      return runDecrypt(io, file, {
        ...pick(o, ["output", "extract", "inputType", "outputType", "filenameOverride"]),
        ...(indent === undefined ? {} : { indent }),
        ...(o.inPlace === true ? { inPlace: true } : {}),
        ...(o.ignoreMac === true ? { ignoreMac: true } : {}),
      });
    }
    case "rotate": {
      if (addRm.length > 0 && !existsSync(file)) throw new CliError(EXIT.cannotChangeKeysFromNonExistentFile, `${file}: cannot add or remove keys of a file that does not exist`);
      const argv: string[] = [];
      if (config !== undefined) argv.push("--config", config);
      if (indent !== undefined) argv.push("--indent", indent);
      argv.push("rotate");
      if (o.inPlace === true) argv.push("-i");
      const pass = ["output", "inputType", ...keyFlagKeys(["add-", "rm-"])];
      for (const k of pass) {
        const v = o[k];
        if (typeof v === "string") argv.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v);
      }
      argv.push(file);
      // SOPS's `-r -i` prints nothing on stdout (the file is rewritten): hush's summary is a
      // message, so it goes to stderr, and a script's stdout stays empty.
      return runCli(argv, o.inPlace === true ? { ...io, stdout: io.stderr } : io);
    }
    case "set": {
      const { path, value } = splitSetArgument(o.set!);
      const { applyEdit, parseSetPath } = await import("./set.ts");
      const { parseJsonValue } = await import("../workflows/set-value.ts");
      const parsedPath = parseSetPath(path);
      const node = await parseJsonValue(value);
      await applyEdit(io, file, { kind: "set", path: parsedPath, value: node }, {
        ...pick(o, ["inputType", "outputType"]),
        ...(indent === undefined ? {} : { indent }),
        ...(o.ignoreMac === true ? { ignoreMac: true } : {}),
      });
      return 0;
    }
    default: {
      if (!existsSync(file) && o.inputType === undefined && formatFromPath(file) === undefined) {
        throw unknownCommand(file, subcommands, "to create a new encrypted file, give it a .yaml, .json, .env, .ini or .toml name, or --input-type");
      }
      const { runEdit } = await import("./edit.ts");
      return runEdit(io, file, { ...keyAndRule, ...common, ...(o.showMasterKeys === true ? { showMasterKeys: true } : {}), ...(o.ignoreMac === true ? { ignoreMac: true } : {}) });
    }
  }
}

/** `unknown command 'decrypy'`, with the closest command when it looks like a typo, else `otherwise`. */
function unknownCommand(name: string, subcommands: ReadonlySet<string>, otherwise: string): CliError {
  const near = closestName(name, subcommands);
  const next = near !== undefined ? `did you mean '${near}'? See \`hush help\` for all commands` : otherwise;
  return new CliError(EXIT.generic, `error: unknown command '${printable(name, 80)}'${next === "" ? "" : ` (${next})`}`);
}

function pick(o: LegacyOpts, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = o[k];
    if (typeof v === "string") out[k] = v;
  }
  return out;
}
