import { Option, type Command } from "commander";
import { HushError } from "@hush/core";

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

/**
 * SOPS's key-service flags, which SOPS gives every subcommand that uses keys (encrypt, decrypt,
 * edit, rotate, set, unset, exec-*, updatekeys, groups): a script written for sops may pass
 * `--enable-local-keyservice` to any of them. hush uses keys in this process, so it is accepted
 * and `--keyservice` is refused with a reason ({@link refuseKeyservice}), never as an unknown option.
 */
export const localKeyserviceFlags = (cmd: Command): Command =>
  cmd
    .addOption(new Option("--enable-local-keyservice", "accepted for compatibility").hideHelp())
    .addOption(new Option("--keyservice <uri>", "not supported: keys are used in this process").hideHelp());

/** {@link localKeyserviceFlags} and SOPS's `--decryption-order`, for the commands that decrypt in SOPS. */
export const keyserviceFlags = (cmd: Command): Command =>
  localKeyserviceFlags(cmd).addOption(new Option("--decryption-order <kinds>", "order to try key types (accepted for compatibility)").hideHelp());

/** `--keyservice` is accepted by the parser (as SOPS's) and refused here, with a reason. */
export function refuseKeyservice(opts: { keyservice?: string }): void {
  if (opts.keyservice !== undefined) throw new HushError("UNSUPPORTED_OPTION", "--keyservice is not supported by hush: keys are used in this process", { located: true });
}

/** The options `set` and `unset` share. */
export const setLikeFlags = (cmd: Command): Command =>
  keyserviceFlags(cmd)
    .option("--input-type <type>", "file format (default: from the file name)")
    .option("--output-type <type>", "format to write the file in (default: the input type)")
    .option("--idempotent", "write nothing when the file would not change (set) or the path is missing (unset)")
    .option("--ignore-mac", "do not check the file's MAC")
    .addOption(new Option("--shamir-secret-sharing-threshold <n>", "accepted for compatibility").hideHelp());
