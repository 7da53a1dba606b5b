import { basename } from "node:path";
import { CommanderError, Option, type Command } from "commander";
import type { CliIo } from "../io.ts";
import { keyFlags, keyserviceFlags, refuseKeyservice, ruleFlags, setLikeFlags, typeFlags, type ExitSink } from "../command-flags.ts";
import { sopsStyleVersion } from "../version.ts";

/** `sops 3.13.2 (hush 0.1.0)`: the form tools parse from `sops --version`. */

/**
 * Remembers where the first `--` of the command line was: commander drops it from the operands
 * it hands to an action, keeping every word after it, in order, at their end. Wraps the root
 * command's parsing, which sees the whole command line. Returns a function giving the number of
 * a subcommand's operands before `--`, or undefined without one.
 */
function trackDash(cmd: Command): (operands: readonly string[]) => number | undefined {
  let after: number | undefined;
  const parse = cmd.parseOptions.bind(cmd);
  cmd.parseOptions = (argv: string[]) => {
    const at = argv.indexOf("--");
    after = at === -1 ? undefined : argv.length - at - 1;
    return parse(argv);
  };
  return (operands) => (after === undefined || after > operands.length ? undefined : operands.length - after);
}

/** `-y, --yes` of the commands that write new values under a file's existing data key. */
const WRITE_YES = "do not ask before writing values that a recipient only the file names, not .sops.yaml, can read (it is still listed)";

/** Whether the program was started under the name `sops` (a symlink or copy named so). */
function invokedAsSops(): boolean {
  const name = basename(process.argv[1] ?? "").replace(/\.(c?js|mjs|cmd|exe)$/i, "");
  return name === "sops";
}

/**
 * Registers edit, set, unset, exec-env, exec-file, `encrypt --reuse` and the SOPS legacy flag
 * form (`hush -d FILE`, `hush FILE`, …, also when started as `sops`). Implementations are
 * imported lazily inside each action.
 */
export function registerWorkflowCommands(program: Command, io: CliIo, setExit: ExitSink): void {
  keyserviceFlags(
    typeFlags(
      ruleFlags(
        keyFlags(
          program
            .command("edit")
            .description("edit an encrypted file in $SOPS_EDITOR/$EDITOR; unchanged values keep their ciphertext (creates the file when missing)")
            .argument("<file>", "file to edit"),
        ),
      ),
    ),
  )
    .option("-s, --show-master-keys", "show the sops metadata in the editor (read-only)")
    .option("--ignore-mac", "do not check the file's MAC")
    .option("-y, --yes", WRITE_YES)
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runEdit } = await import("./edit.ts");
      setExit(await runEdit(io, file, cmd.optsWithGlobals()));
    });

  setLikeFlags(
    program
      .command("set")
      .description('set one value: hush set FILE \'["key"]["sub"][0]\' JSON-VALUE (in place; only that value, mac and lastmodified change)')
      .argument("[FILE PATH VALUE...]"),
  )
    .option("--value-file", "VALUE is the path of a file holding the JSON value (keeps it out of the process list)")
    .option("--value-stdin", "read the JSON value from standard input")
    .option("-y, --yes", WRITE_YES)
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runSet } = await import("./set.ts");
      setExit(await runSet(io, args, cmd.optsWithGlobals()));
    });

  setLikeFlags(
    program
      .command("unset")
      .description("remove one key or list item: hush unset FILE '[\"key\"][\"sub\"]' (in place)")
      .argument("[FILE PATH...]"),
  ).action(async (args: string[], _opts: unknown, cmd: Command) => {
    refuseKeyservice(cmd.opts());
    const { runUnset } = await import("./set.ts");
    setExit(await runUnset(io, args, cmd.optsWithGlobals()));
  });

  const operandsBeforeDash = trackDash(program);
  keyserviceFlags(
    program
      .command("exec-env")
      .description("run a command with the files' values added to its environment; exits with its status")
      .argument("[FILE COMMAND...]")
      .addHelpText(
        "after",
        "\nForms:\n  hush exec-env FILE 'COMMAND'              SOPS's: one string, run by /bin/sh -c\n  hush exec-env FILE... -- PROGRAM [ARGS]   no shell; later files win; - is standard input",
      ),
  )
    .option("--pristine", "start from an empty environment instead of hush's own")
    .option(
      "--allow-env <name>",
      "let the file set this variable although it changes how programs start (PATH, LD_*, NODE_OPTIONS…: refused by default); repeatable",
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option("--flatten", "one variable per nested value: db: {password: x} becomes db__password (otherwise maps and lists are an error, as in SOPS)")
    .option("--flatten-separator <text>", "joins the path of a flattened name (default __)")
    .option("--redact", "replace every injected secret in the command's stdout and stderr with [redacted] (they become pipes, not the terminal)")
    .option("--user <name>", "run the command as this user (hush must run as root)")
    .option("--same-process", "accepted for SOPS compatibility; the command runs as a child all the same")
    .option("--background", "start the command and return at once (deprecated in SOPS)")
    .option("--input-type <type>", "file format (default: from the file name)")
    .addOption(new Option("--ignore-mac", "do not check the file's MAC").hideHelp())
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runExecEnv } = await import("./exec.ts");
      const opts = cmd.optsWithGlobals<{ flattenSeparator?: string; flatten?: boolean }>();
      setExit(await runExecEnv(io, args, { ...opts, ...(opts.flattenSeparator === undefined ? {} : { flatten: true }) }, operandsBeforeDash(args)));
    });

  keyserviceFlags(
    typeFlags(
      program
        .command("exec-file")
        .description("run a command with {} replaced by the path of the decrypted file (a FIFO unless --no-fifo)")
        .argument("[FILE COMMAND...]")
        .addHelpText(
          "after",
          "\nForms:\n  hush exec-file FILE 'COMMAND {}'          SOPS's: one string, run by /bin/sh -c\n  hush exec-file FILE -- PROGRAM [ARGS] {}  no shell; - is standard input",
        ),
    ),
  )
    .option("--no-fifo", "use a 0600 temporary file (removed when the command exits) instead of a FIFO")
    .option("--filename <name>", "name of the FIFO or file inside the private directory (e.g. to keep an extension)")
    .option("--redact", "replace every secret of the file in the command's stdout and stderr with [redacted] (they become pipes, not the terminal)")
    .option("--user <name>", "run the command as this user (hush must run as root)")
    .option("--background", "start the command and return once it has read the FIFO (deprecated in SOPS)")
    .addOption(new Option("--ignore-mac", "do not check the file's MAC").hideHelp())
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runExecFile } = await import("./exec.ts");
      const opts = cmd.optsWithGlobals<{ fifo?: boolean }>();
      setExit(await runExecFile(io, args, { ...opts, ...(opts.fifo === false ? { noFifo: true } : {}) }, operandsBeforeDash(args)));
    });

  // `hush encrypt --reuse OLD.enc FILE` (implemented in reuse.ts, reached through runEncrypt).
  program
    .commands.find((c) => c.name() === "encrypt")
    ?.option("--reuse <encrypted-file>", "re-encrypt against this earlier version: same data key and keys, unchanged values keep their ciphertext")
    .option("-y, --yes", `with --reuse: ${WRITE_YES}`);

  // SOPS's flag form: no subcommand, SOPS flags and a file (`hush -d f.yaml`, `hush f.yaml` = edit).
  const asSops = invokedAsSops();
  if (asSops) {
    // Tools parse `sops --version`; answer in SOPS's form.
    // Command is an EventEmitter; its typings do not list prependListener.
    (program as unknown as NodeJS.EventEmitter).prependListener("option:version", () => {
      io.stdout.write(`${sopsStyleVersion()}\n`);
      throw new CommanderError(0, "commander.version", "");
    });
  }
  program
    .argument("[sops-flags-and-file...]")
    .allowUnknownOption()
    .addHelpText("after", "\nSOPS's flag form works too: hush [-e|-d|-r|--set 'PATH VALUE'] [flags] FILE (no mode flag: edit).")
    .action(async (args: string[]) => {
      if (args.length === 0) program.help({ error: true });
      const subcommands = new Set(program.commands.map((c) => c.name()));
      const { runLegacy, subcommandArgv } = await import("./legacy.ts");
      const again = subcommandArgv(args, program.opts(), subcommands);
      // The same program parses it as that subcommand; the subcommand's action sets the exit status.
      if (again !== undefined) await program.parseAsync(again, { from: "user" });
      else setExit(await runLegacy(io, args, program.opts(), subcommands, asSops));
    });
}
