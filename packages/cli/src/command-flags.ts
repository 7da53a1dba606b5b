import type { Command } from "commander";
import type { CliIo } from "./io.ts";

/** Option sets shared by several commands, and how an action reports its exit status. */

export { keyFlags, groupKeyFlags, addRemoveKeyFlags } from "./key-flags.ts";

/** Sets the exit status a command's action produced. */
export type ExitSink = (code: number) => void;

export const ruleFlags = (cmd: Command): Command =>
  cmd
    .option("--unencrypted-suffix <suffix>", "leave keys ending with this suffix unencrypted (default _unencrypted)")
    .option("--encrypted-suffix <suffix>", "encrypt only keys ending with this suffix")
    .option("--unencrypted-regex <re>", "leave keys matching this RE2 regex unencrypted")
    .option("--encrypted-regex <re>", "encrypt only keys matching this RE2 regex")
    .option("--unencrypted-comment-regex <re>", "leave values after a comment matching this regex unencrypted")
    .option("--encrypted-comment-regex <re>", "encrypt only values after a comment matching this regex")
    .option("--mac-only-encrypted", "compute the MAC over encrypted values only")
    .option("--shamir-secret-sharing-threshold <n>", "number of key groups needed to decrypt");

export const typeFlags = (cmd: Command): Command =>
  cmd
    .option("--input-type <type>", "yaml, json, dotenv, ini, toml or binary (default: from the file name)")
    .option("--output-type <type>", "format to write (default: the input type)");

/** Runs a command line again (SOPS's flag form rebuilt as a `hush` subcommand). */
export type Reenter = (argv: readonly string[], io: CliIo) => Promise<number>;
