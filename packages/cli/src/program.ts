import { Command, CommanderError } from "commander";
import { SOPS_FORMAT_VERSION } from "@hush/core";
import type { CliIo } from "./io.ts";
import type { DecryptManyFlags } from "./commands/decrypt-many.ts";
import { exitCodeFor } from "./exit-codes.ts";
import { hushVersion } from "./version.ts";
import { keyFlags, keyserviceFlags, localKeyserviceFlags, refuseKeyservice, ruleFlags, typeFlags, type ExitSink } from "./command-flags.ts";
import { registerWorkflowCommands } from "./commands/workflows.ts";
import { registerKeyCommands } from "./commands/keys.ts";
import { registerGitCommands } from "./commands/git-commands.ts";

/**
 * The `hush` command line (commander). Each command's implementation is imported only when that
 * command runs, so `hush decrypt` does not load editor, git or key-management code.
 */
export function createProgram(io: CliIo, setExit: ExitSink): Command {
  const program = new Command("hush")
    .description("Encrypted configuration files for git, in the SOPS 3.x format.\nWrites output to stdout and errors to stderr.")
    .version(`hush ${hushVersion()} (sops ${SOPS_FORMAT_VERSION} format)`, "-v, --version")
    .option("--config <path>", "path to .sops.yaml (env SOPS_CONFIG); default: searched from the working directory up")
    .option("--indent <n>", "indentation for YAML (spaces) and JSON (spaces, -1 for a tab)")
    // A usage error is the error and one line of what to do, as every message is, not the whole
    // help page (thirty lines for `edit`) in which the error scrolls away.
    .showHelpAfterError("  next: add --help for the command's usage")
    .showSuggestionAfterError()
    // The flag form takes a bare argument too, which hides commander's implicit `help` command.
    .helpCommand("help [command]", "show help for a command")
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(`hush: ${s}`) })
    // Before any subcommand is made, which copies it: a usage error in `hush edit` is thrown to
    // runProgram (and its status decided there) instead of ending the process from commander.
    .exitOverride();

  localKeyserviceFlags(
    typeFlags(
      ruleFlags(
        keyFlags(
          program
            .command("encrypt")
            .description("encrypt a file's values (stdout unless -i or --output)")
            .argument("[file]", "file to encrypt (standard input when absent or -)"),
        ),
      ),
    ),
  )
    .option("-i, --in-place", "write the result over the input file")
    .option("--output <path>", "write the result to this file")
    .option("--filename-override <name>", "use this name to choose the format and the creation rule")
    .option("--allow-no-values", "write the file even when the selection rule encrypts none of its values (otherwise exit 23)")
    .addHelpText(
      "after",
      "\nThe keys come from the key flags, else from the first creation rule in .sops.yaml whose path_regex matches\n" +
        "the file's path (relative to the directory of the .sops.yaml, found from the working directory up):\n" +
        "  creation_rules:\n    - path_regex: ^secrets/\n      age: age1…\n" +
        "a .sops.yaml with creation rules must have one for the file, also with key flags (as in SOPS; --config /dev/null reads none).",
    )
    .action(async (file: string | undefined, _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runEncrypt } = await import("./commands/encrypt.ts");
      setExit(await runEncrypt(io, file, cmd.optsWithGlobals()));
    });

  keyserviceFlags(
    typeFlags(
      program
        .command("decrypt")
        .description("decrypt a file (stdout unless -i or --output); several files with -i or --output-dir")
        .argument("[files...]", "files to decrypt (standard input when absent or -)"),
    ),
  )
    .option("-i, --in-place", "write the plaintext over the input file(s)")
    .option("--output <path>", "write the plaintext to this file")
    .option("--output-dir <dir>", "write each file's plaintext to DIR/<its name> (0600); every file is decrypted before any is written")
    .option("--extract <path>", 'print only the value at a tree path, e.g. \'["db"]["password"]\'')
    .option("--ignore-mac", "do not check the file's MAC")
    .option("--filename-override <name>", "use this name to choose the format")
    .action(async (files: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const opts = cmd.optsWithGlobals<DecryptManyFlags>();
      if (files.length <= 1 && opts.outputDir === undefined) {
        const { runDecrypt } = await import("./commands/decrypt.ts");
        setExit(await runDecrypt(io, files[0], opts));
      } else {
        const { runDecryptMany } = await import("./commands/decrypt-many.ts");
        setExit(await runDecryptMany(io, files, opts));
      }
    });

  program
    .command("keygen")
    .description("make an age key pair (identity to stdout or --output, public key on stderr)")
    .option("-o, --output <path>", "write the identity to this file (mode 0600)")
    .option("--pq", "make a post-quantum hybrid key (age1pq1...)")
    .action(async (opts: { output?: string; pq?: boolean }) => {
      const { runKeygen } = await import("./commands/keygen.ts");
      setExit(await runKeygen(io, opts));
    });

  program
    .command("filestatus")
    .description('print {"encrypted":true} or {"encrypted":false} for a file')
    .argument("<file>", "file to check (- for standard input)")
    .option("--input-type <type>", "file format (default: from the file name)")
    .action(async (file: string, opts: { inputType?: string }) => {
      const { runFilestatus } = await import("./commands/filestatus.ts");
      setExit(await runFilestatus(io, file, opts));
    });

  registerWorkflowCommands(program, io, setExit);
  registerKeyCommands(program, io, setExit);
  registerGitCommands(program, io, setExit);
  return program;
}

/**
 * Runs a command line through the full program. Commander's own endings (help, version, usage
 * errors, which it has already printed) become their exit status; other errors are thrown.
 */
export async function runProgram(argv: readonly string[], io: CliIo): Promise<number> {
  let exit = 0;
  const program = createProgram(io, (code) => {
    exit = code;
  });
  try {
    const args = argv[0] === "help" && argv.length > 1 ? await nestedHelpArgv(program, argv.slice(1)) : argv;
    await program.parseAsync([...args], { from: "user" });
    return exit;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // SOPS's status for a command without its file (NoFileSpecified), which scripts may test.
    if (err.code === "commander.missingArgument" && /'(file|paths)'/.test(err.message)) return exitCodeFor("NO_FILE");
    return err.exitCode;
  }
}

/**
 * `hush help groups add` as `hush groups add --help`: commander's help command looks one name deep
 * only, and would show the help of `groups`. A name no command has is left to the command line's
 * own unknown-command error (with its suggestion), not shown as the help of the command above it.
 * Words after a command without commands inside are dropped: they would be its arguments, and
 * `help decrypt FILE` must not decrypt. `help help` and `help --help` stay commander's.
 */
async function nestedHelpArgv(program: Command, names: readonly string[]): Promise<readonly string[]> {
  if (names[0] === "help" || names[0]!.startsWith("-")) return ["help", ...names];
  let command = program;
  for (const [i, name] of names.entries()) {
    if (i > 0 && command.commands.length === 0) return [...names.slice(0, i), "--help"];
    const sub = command.commands.find((c) => c.name() === name);
    if (sub === undefined) {
      // Commander refuses a name no command inside has; it runs no command.
      if (i > 0) return names.slice(0, i + 1);
      const { unknownCommand } = await import("./commands/legacy.ts");
      throw unknownCommand(name, new Set(program.commands.map((c) => c.name())), "see `hush help` for all commands");
    }
    command = sub;
  }
  return [...names, "--help"];
}
