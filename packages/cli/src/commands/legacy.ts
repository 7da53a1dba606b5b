import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { Command, Option } from "commander";
import { HushError, closestName, formatFromPath, printable, SOPS_FORMAT_VERSION } from "@hush/core";
import { readAll, writeOut, type CliIo } from "../io.ts";
import { hasKeyChanges, keyFlagKeys, legacyKeyFlags, refuseUnimplementedKeyFlags } from "../key-flags.ts";
import { hushVersion, sopsStyleVersion } from "../version.ts";

/**
 * SOPS's command line without a subcommand (spec 9.3), so scripts and tools that call `sops`
 * work with hush in its place: `-e`, `-d`, `-r`, `--set 'PATH VALUE'`, and no mode flag = edit,
 * with SOPS's flags, outputs and exit codes: each mode calls the command's function (runEncrypt,
 * runDecrypt, runRotate, applyEdit, runEdit) with its options. Also recognises the
 * `sops --global-flag SUBCOMMAND` form, where SOPS-only global flags come before a subcommand.
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
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(`hush: ${s}`) })
    .showHelpAfterError("  next: `hush --help` shows the commands and SOPS's flag form")
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
    // hush's own: for `-r`, `--set` and edit, as `hush rotate/set/edit --yes`.
    .option("-y, --yes")
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
  if (i < 0) throw new HushError("INVALID_SET_VALUE", "invalid --set format: expected '[\"key\"][\"sub\"] JSON-VALUE'", { located: true });
  return { path: text.slice(0, i + 1), value: text.slice(i + 2) };
}

const SUBCOMMAND_GLOBALS_WITH_VALUE = new Set(["--config", "--indent"]);

/**
 * `sops --disable-version-check decrypt f.yaml`: SOPS-only global flags before a subcommand
 * reach the flag form as unknown options. Returns the command line without them (the root
 * options commander already took, `globals`, put back in front) for the program to parse as
 * that subcommand, or undefined when `args` is not this form.
 */
export function subcommandArgv(args: readonly string[], globals: LegacyGlobals, subcommands: ReadonlySet<string>): string[] | undefined {
  const again = subcommandForm(args, subcommands);
  if (again === undefined) return undefined;
  const lead: string[] = [];
  if (globals.config !== undefined) lead.push("--config", globals.config);
  if (globals.indent !== undefined) lead.push("--indent", globals.indent);
  return [...lead, ...again];
}

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
 * Runs SOPS's flag form (see {@link subcommandArgv} for the subcommand form, which the caller
 * checks first). `globals` are the root options commander already took (`--config`,
 * `--indent`); `subcommands` are the names `hush` has, for "did you mean" answers.
 */
export async function runLegacy(io: CliIo, args: readonly string[], globals: LegacyGlobals, subcommands: ReadonlySet<string>, asSops: boolean): Promise<number> {
  const parser = legacyParser(io);
  await parser.parseAsync([...args], { from: "user" });
  const o = parser.opts<LegacyOpts>();
  const files = parser.args.filter((a) => a !== "--");
  if (o.version === true) {
    await writeOut(io.stdout, `${asSops ? sopsStyleVersion() : `hush ${hushVersion()} (sops ${SOPS_FORMAT_VERSION} format)`}\n`);
    return 0;
  }
  // Kinds SOPS has and hush does not: naming one is an error rather than a silent no-op.
  refuseUnimplementedKeyFlags(o);
  if ((o.keyservice ?? []).length > 0) throw new HushError("UNSUPPORTED_OPTION", "--keyservice is not supported by hush: keys are used in this process", { located: true });
  const config = o.config ?? globals.config;
  const indent = o.indent ?? globals.indent;
  const common = {
    ...(config === undefined ? {} : { config }),
    ...(indent === undefined ? {} : { indent }),
  };

  const yes = o.yes === true ? { yes: true } : {};

  const modes: string[] = [];
  if (o.encrypt === true) modes.push("encrypt");
  if (o.decrypt === true) modes.push("decrypt");
  // Only `--add-*`/`--rm-*` keys imply a rotation: `--aws-profile` and `--encryption-context`
  // shape the keys of `-e` too.
  if (o.rotate === true || hasKeyChanges(o)) modes.push("rotate");
  if (o.set !== undefined) modes.push("set");
  if (modes.length > 1) io.stderr.write(`hush: warning: more than one of -e, -d, -r and --set given; using ${modes[modes.length - 1]} (as SOPS does)\n`);
  const mode = modes[modes.length - 1] ?? "edit";

  // `sops -d < f`, `… | sops -e --input-type yaml`: decrypt and encrypt read standard input
  // when no file is given (or `-`), unless it is a terminal (then the user forgot the file).
  const stdinFile = (mode === "decrypt" || mode === "encrypt") && (files[0] === "-" || (files[0] === undefined && (io.stdin as { isTTY?: boolean }).isTTY !== true));
  const first = files[0];
  const noFile = (): HushError => new HushError("NO_FILE", "Error: no file specified (see `hush --help` for the commands, or give SOPS flags and a file)", { located: true });
  if (first === undefined && !stdinFile) throw noFile();
  if (first === undefined) {
    // Nothing on standard input either (a script run with </dev/null): the file was forgotten.
    const bytes = await readAll(io.stdin);
    if (bytes.length === 0) throw noFile();
    io = { ...io, stdin: Readable.from([bytes]) };
  }
  // `-` is standard input for decrypt and encrypt (runDecrypt, runEncrypt).
  const file = first ?? "-";
  if (files.length > 1) {
    const first = files[0]!;
    if (first !== "-" && !existsSync(first) && !/[./]/.test(first)) throw unknownCommand(first, subcommands, "");
    io.stderr.write(`hush: warning: more than one file given; using ${printable(first)} (flags must come before the file)\n`);
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
      if (hasKeyChanges(o) && !existsSync(file)) throw new HushError("REKEY_MISSING_FILE", `${file}: cannot add or remove keys of a file that does not exist`, { located: true });
      const { runRotate } = await import("./rotate.ts");
      // SOPS's `-r -i` prints nothing on stdout (the file is rewritten): hush's summary is a
      // message, so it goes to stderr, and a script's stdout stays empty.
      return runRotate(o.inPlace === true ? { ...io, stdout: io.stderr } : io, [file], {
        ...common,
        ...pick(o, ["output", "inputType", "outputType", "filenameOverride", ...keyFlagKeys(["add-", "rm-"])]),
        ...(o.inPlace === true ? { inPlace: true } : {}),
        ...yes,
      });
    }
    case "set": {
      const { path, value } = splitSetArgument(o.set!);
      const { applyEdit, parseSetPath } = await import("./set.ts");
      const { parseJsonValue } = await import("../workflows/set-value.ts");
      const parsedPath = parseSetPath(path);
      const node = await parseJsonValue(value);
      await applyEdit(io, file, { kind: "set", path: parsedPath, value: node }, {
        ...common,
        ...yes,
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
      return runEdit(io, file, { ...keyAndRule, ...common, ...yes, ...(o.showMasterKeys === true ? { showMasterKeys: true } : {}), ...(o.ignoreMac === true ? { ignoreMac: true } : {}) });
    }
  }
}

/** `unknown command 'decrypy'`, with the closest command when it looks like a typo, else `otherwise`. */
export function unknownCommand(name: string, subcommands: ReadonlySet<string>, otherwise: string): HushError {
  const near = closestName(name, subcommands);
  const next = near !== undefined ? `did you mean '${near}'? See \`hush help\` for all commands` : otherwise;
  return new HushError("UNKNOWN_COMMAND", `error: unknown command '${printable(name, 80)}'${next === "" ? "" : ` (${next})`}`, { located: true });
}

function pick(o: LegacyOpts, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = o[k];
    if (typeof v === "string") out[k] = v;
  }
  return out;
}
