import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import type { ExitSink } from "../command-flags.ts";

/** Registers git setup/uninstall/textconv/merge/resolve, check, access and audit. Implementations are imported lazily inside each action. */
export function registerGitCommands(program: Command, io: CliIo, setExit: ExitSink): void {
  const git = program
    .command("git")
    .description("git integration: readable diffs and key-path merges of encrypted files")
    .addHelpText(
      "after",
      "\nStart with `hush git setup` in your repository. See docs/git.md (\"Reviewing and merging\").",
    );

  git
    .command("setup")
    .description("write .gitattributes entries and the repository config for the diff and merge drivers (idempotent)")
    .argument("[patterns...]", "gitattributes patterns to cover (default: from .sops.yaml creation rules and encrypted files)")
    .option("--dry-run", "show what would change, change nothing")
    .option("--hook", "also install a pre-commit hook that runs `hush check --staged --verify-if-key`")
    .option("--command <cmd>", "how git should run hush (default: this node and this hush, by absolute path, so GUIs without your PATH find them)")
    .action(async (patterns: string[], opts: { dryRun?: boolean; hook?: boolean; command?: string }, cmd: Command) => {
      const { runSetup } = await import("./git/setup.ts");
      setExit(await runSetup(io, patterns, { ...cmd.optsWithGlobals(), ...opts }));
    });

  git
    .command("uninstall")
    .description("remove what `hush git setup` wrote (.gitattributes block, config, hook)")
    .option("--dry-run", "show what would change, change nothing")
    .action(async (opts: { dryRun?: boolean }) => {
      const { runUninstall } = await import("./git/setup.ts");
      setExit(await runUninstall(io, opts));
    });

  git
    .command("textconv")
    .description("diff driver: print a file decrypted (or, without a key, its structure with markers); never writes to disk")
    .argument("<file>", "the path git passes (temporary copies included)")
    .action(async (file: string) => {
      const { runTextconv } = await import("./git/textconv.ts");
      setExit(await runTextconv(io, file));
    });

  for (const [name, what] of [
    ["diff", "git diff"],
    ["log", "git log (with -p: the patches)"],
    ["show", "git show"],
  ] as const) {
    git
      .command(name)
      .description(`${what} with the review view of encrypted files, in one process (fast on long histories); takes git's arguments`)
      .argument("[git-args...]", `arguments for ${what.split(" (")[0]}`)
      .allowUnknownOption()
      .helpOption(false)
      .addHelpText("after", `\nEvery option of ${what.split(" (")[0]} works here; \`git help ${name}\` lists them.`)
      .action(async (args: string[], _opts: unknown, cmd: Command) => {
        const given = rawArgs(cmd, args);
        // git would take `--help` for its manual page and fail on the options hush adds before it.
        if (asksForHelp(given)) {
          cmd.outputHelp();
          return;
        }
        const { runReview } = await import("./git/review.ts");
        setExit(await runReview(io, name, given));
      });
  }

  git
    .command("merge")
    .description("merge driver (%O %A %B %L %P): merge encrypted files by key path; exit 1 on conflict")
    .argument("<base>", "%O: the common ancestor")
    .argument("<ours>", "%A: our version; the result is written here")
    .argument("<theirs>", "%B: their version")
    .argument("[marker-size]", "%L: conflict marker size")
    .argument("[path]", "%P: the file's path in the repository")
    .action(async (base: string, ours: string, theirs: string, markerSize: string | undefined, path: string | undefined) => {
      const { runMergeDriver } = await import("./git/merge-driver.ts");
      setExit(await runMergeDriver(io, base, ours, theirs, markerSize, path));
    });

  git
    .command("resolve")
    .description("resolve a conflicted merge of an encrypted file: both sides decrypted in $EDITOR, result encrypted and staged")
    .argument("<file>")
    .option("--ours", "take our value at every conflicting key path (no editor)")
    .option("--theirs", "take their value at every conflicting key path (no editor)")
    .option("-y, --yes", "do not ask before writing a resolution that a recipient only the file names, not .sops.yaml, can read (it is still listed)")
    .action(async (file: string, _opts: unknown, cmd: Command) => {
      const { runResolve } = await import("./git/resolve.ts");
      setExit(await runResolve(io, file, cmd.optsWithGlobals()));
    });

  program
    .command("check")
    .description("check without keys that covered files are encrypted and well formed (pre-commit, CI); exit 1 on errors")
    .argument("[paths...]", "files or directories (default: the files git tracks here, or all files)")
    .option("--verify", "also decrypt and verify each file's MAC (needs keys; a file no key opens is an error)")
    .option("--verify-if-key", "verify the MAC of each file a key here opens; say on stderr which could not be verified, without failing for that")
    .option("--strict", "recipients the creation rule does not name, wrapped keys of the wrong structure, plaintext comments in encrypted files and likely secrets are errors (default: warnings)")
    .option("--json", "machine-readable output")
    .option("--staged", "check the staged versions of staged files (pre-commit)")
    .option("--base <rev>", "also hold files to the .sops.yaml rules of this trusted revision (CI: the pull request's base), which the branch cannot change, and report files put back to an older version than where the branch started")
    .action(async (paths: string[], opts: { verify?: boolean; verifyIfKey?: boolean; strict?: boolean; json?: boolean; staged?: boolean; base?: string }, cmd: Command) => {
      const { runCheck } = await import("./git/check.ts");
      setExit(await runCheck(io, paths, { ...cmd.optsWithGlobals(), ...opts }));
    });

  program
    .command("access")
    .description("without keys: who can open each encrypted file (recipients per key group, threshold), a recipient × file matrix, drift from .sops.yaml")
    .argument("[paths...]", "files or directories (default: the working directory)")
    .option("--json", "machine-readable output (schema: docs/audit.md)")
    .option("--html <file>", "also write a self-contained HTML report to this file")
    .action(async (paths: string[], opts: { json?: boolean; html?: string }, cmd: Command) => {
      const { runAccess } = await import("./report/access.ts");
      setExit(await runAccess(io, paths, { ...cmd.optsWithGlobals(), ...opts }));
    });

  program
    .command("audit")
    .description("without keys: when each encrypted value's ciphertext last changed (git history), stale values, files not re-keyed after a recipient was removed; exit 1 on findings")
    .argument("[paths...]", "files or directories in the repository (default: the working directory)")
    .option("--max-age <age>", "flag values older than this: days (365d), weeks (26w) or years (1y)")
    .option("--as-of <date>", "count ages up to this date (default: now)")
    .option("--json", "machine-readable output (schema: docs/audit.md)")
    .option("--html <file>", "also write a self-contained HTML report (access matrix and value ages) to this file")
    .addHelpText(
      "after",
      "\nFLAGS column: STALE: older than --max-age; rekey: that commit gave the whole file a new data key\n(its first version, or a rotation: the value itself may not have changed).",
    )
    .action(async (paths: string[], opts: { json?: boolean; html?: string; maxAge?: string; asOf?: string }, cmd: Command) => {
      const { runAudit } = await import("./report/audit.ts");
      setExit(await runAudit(io, paths, { ...cmd.optsWithGlobals(), ...opts }));
    });
}

/** The arguments as given after the subcommand (commander drops a `--`; git needs it back). */
/** `-h` or `--help` among the options (before any `--`, after which every word is a path). */
function asksForHelp(args: readonly string[]): boolean {
  const options = args.slice(0, args.includes("--") ? args.indexOf("--") : args.length);
  return options.includes("--help") || options.includes("-h");
}

function rawArgs(cmd: Command, parsed: string[]): string[] {
  // rawArgs is commander's record of the argv it parsed (not in its typings).
  const given = (cmd.parent?.parent as unknown as { rawArgs?: string[] } | undefined)?.rawArgs ?? [];
  const at = given.indexOf(cmd.name(), given.indexOf("git") + 1);
  return at >= 0 ? given.slice(at + 1) : parsed;
}
