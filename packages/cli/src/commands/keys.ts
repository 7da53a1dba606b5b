import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import { addRemoveKeyFlags, groupKeyFlags, keyserviceFlags, localKeyserviceFlags, refuseKeyservice, type ExitSink } from "../command-flags.ts";

/**
 * Registers the key-management commands: updatekeys, rotate, groups and verify. Each works on
 * many files and directories in one process (files `--jobs` at a time, KMS calls of a file at
 * once). Implementations are imported lazily inside each action.
 */
export function registerKeyCommands(program: Command, io: CliIo, setExit: ExitSink): void {
  localKeyserviceFlags(program.command("updatekeys"))
    .description("re-wrap files' data keys to the keys .sops.yaml names now; values stay as they are unless a recipient leaves or more must agree (then a new data key)")
    .argument("<paths...>", "encrypted files, or directories to search for them")
    .option("-y, --yes", "do not ask before writing")
    .option("--dry-run", "show what would change and check the keys, but write nothing")
    .option("--input-type <type>", "file format (default: from each file name)")
    .option("--shamir-secret-sharing-threshold <n>", "number of key groups needed to decrypt (default: the rule's, else the file's)")
    .option("--jobs <n>", "files processed at once (default 8)")
    .option("--keep-data-key", "keep each file's data key even when a recipient is removed or more must now agree (SOPS's behaviour; by default such a file gets a new data key, every value re-encrypted)")
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runUpdatekeys } = await import("./updatekeys.ts");
      setExit(await runUpdatekeys(io, paths, cmd.optsWithGlobals()));
    });

  addRemoveKeyFlags(
    keyserviceFlags(program.command("rotate"))
      .description("new data key for each file, every value re-encrypted; add or remove keys on the way")
      .argument("<paths...>", "encrypted files, or directories to search for them")
      .option("-i, --in-place", "write the results over the files (needed for several files or a directory)")
      .option("-y, --yes", "do not ask before wrapping the new data key to a recipient that only the file names, not .sops.yaml (it is still listed)")
      .option("--output <path>", "write the result of a single file to this path")
      .option("--dry-run", "rotate in memory and check the results, but write nothing")
      .option("--input-type <type>", "file format (default: from each file name)")
      .option("--output-type <type>", "accepted as in SOPS when it is the file's own format (hush does not convert while rotating)")
      .option("--filename-override <name>", "use this name to choose the format"),
  )
    .option("--jobs <n>", "files processed at once (default 8)")
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runRotate } = await import("./rotate.ts");
      setExit(await runRotate(io, paths, cmd.optsWithGlobals()));
    });

  const groups = program.command("groups").description("add or delete key groups of a file (Shamir secret sharing)");
  groupKeyFlags(
    localKeyserviceFlags(groups.command("add"))
      .description("append a key group; the file gets a new data key split over all groups, as the old one opened with fewer (stdout unless -i)")
      .option("-f, --file <path>", "the encrypted file"),
  )
    .option("-i, --in-place", "write the result over the file")
    .option("--keep-data-key", "keep the data key although the groups before let fewer recipients together open it (SOPS's behaviour; by default the file gets a new data key, every value re-encrypted)")
    .option("-y, --yes", "do not ask before wrapping the data key to a recipient that only the file names, not .sops.yaml, or to fewer than its groups ask (it is still listed)")
    .option("--input-type <type>", "file format (default: from the file name)")
    .option("--shamir-secret-sharing-threshold <n>", "number of key groups needed to decrypt (default: the file's)")
    .action(async (_opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runGroupsAdd } = await import("./groups.ts");
      setExit(await runGroupsAdd(io, cmd.optsWithGlobals()));
    });
  localKeyserviceFlags(groups.command("delete"))
    .description("delete key group INDEX (from 0); refused when fewer groups than the threshold would be left")
    .argument("<index>", "index of the group to delete, from 0")
    .option("-f, --file <path>", "the encrypted file")
    .option("--keep-data-key", "keep the data key although the group's members leave (SOPS's behaviour; by default the file gets a new data key, every value re-encrypted)")
    .option("-i, --in-place", "write the result over the file")
    .option("-y, --yes", "do not ask before wrapping the data key to a recipient that only the file names, not .sops.yaml (it is still listed)")
    .option("--input-type <type>", "file format (default: from the file name)")
    .option("--shamir-secret-sharing-threshold <n>", "number of key groups needed to decrypt (default: the file's)")
    .action(async (index: string, _opts: unknown, cmd: Command) => {
      refuseKeyservice(cmd.opts());
      const { runGroupsDelete } = await import("./groups.ts");
      setExit(await runGroupsDelete(io, index, cmd.optsWithGlobals()));
    });

  program
    .command("verify")
    .description("decrypt files in memory (data key, every value, MAC) and report ok or why not; prints no secret")
    .argument("<paths...>", "encrypted files, or directories to search for them (- for standard input, with --input-type)")
    .option("--input-type <type>", "file format (default: from each file name)")
    .option("--jobs <n>", "files processed at once (default 16)")
    .action(async (paths: string[], _opts: unknown, cmd: Command) => {
      const { runVerify } = await import("./verify.ts");
      setExit(await runVerify(io, paths, cmd.optsWithGlobals()));
    });
}
