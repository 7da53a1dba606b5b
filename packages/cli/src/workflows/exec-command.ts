import type { Readable } from "node:stream";
import { HushError } from "@hush/core";
import { takeWriteErrors, type CliIo } from "../io.ts";
import { tryWriteErr } from "./private-dir.ts";
import { redactingStream } from "./redact.ts";

/**
 * The command line of `exec-env` and `exec-file`, in its two forms: SOPS's `FILE 'COMMAND'`,
 * one string run by `/bin/sh -c`, and `FILE... -- PROGRAM ARGS...`, run directly (no shell, so
 * nothing in the arguments is expanded or split, and a value cannot become shell syntax).
 */

/** What to run: a string for `/bin/sh -c`, or a program and its arguments. */
export type CommandLine = { readonly shell: string } | { readonly argv: readonly string[] };

/** The files and the command of an exec command line. */
export interface ExecArgs {
  readonly files: readonly string[];
  readonly command: CommandLine;
}

/**
 * Splits the operands. `dashAt` is the number of operands before `--` (undefined without one):
 * with `--`, every operand before it is a file (at least one; `exec-file` takes exactly one) and
 * the rest is the program and its arguments; without it, SOPS's form: exactly FILE and COMMAND.
 */
export function splitExecArgs(name: "exec-env" | "exec-file", args: readonly string[], dashAt: number | undefined, maxFiles: number): ExecArgs {
  if (dashAt === undefined) {
    if (args.length !== 2) throw new HushError("INVALID_ARGUMENT", `error: ${name} takes FILE COMMAND (one string, run by /bin/sh), or FILE${maxFiles > 1 ? "..." : ""} -- PROGRAM [ARGS...] (no shell)`, { located: true });
    return { files: [args[0]!], command: { shell: args[1]! } };
  }
  const files = args.slice(0, dashAt);
  const argv = args.slice(dashAt);
  if (files.length === 0) throw new HushError("NO_FILE", `error: ${name}: no file before --`, { located: true });
  if (files.length > maxFiles) throw new HushError("INVALID_ARGUMENT", `error: ${name} takes one file before --; ${files.length} given`, { located: true });
  if (argv.length === 0) throw new HushError("INVALID_ARGUMENT", `error: ${name}: no program after --`, { located: true });
  // spawn refuses an empty name with a TypeError; env and sh say it is not found (127).
  if (argv[0] === "") throw new HushError("COMMAND_NOT_FOUND", `error: ${name}: the program after -- is an empty name`, { located: true });
  if (files.filter((f) => f === "-").length > 1) throw new HushError("INVALID_ARGUMENT", `error: ${name}: standard input (-) can be read only once`, { located: true });
  return { files, command: { argv } };
}

/**
 * The variables in which hush's key sources find credentials (the age identities, the cloud and
 * Vault tokens that unwrap data keys). The command inherits hush's environment, and one that
 * prints it (`env`, a debug dump of the process) would otherwise show, next to the masked values,
 * the key that opens every file. IDENTITY_HEADER is App Service's managed-identity secret, with
 * which hush gets Azure tokens.
 */
const KEY_CREDENTIAL_VARIABLES = ["SOPS_AGE_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "VAULT_TOKEN", "GOOGLE_OAUTH_ACCESS_TOKEN", "GOOGLE_CREDENTIALS", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "IDENTITY_HEADER"];

/** The key credentials in `env` that `--redact` masks with the files' values (see {@link KEY_CREDENTIAL_VARIABLES}). */
export function keyCredentials(env: Readonly<Record<string, string | undefined>>): string[] {
  return KEY_CREDENTIAL_VARIABLES.flatMap((name) => {
    const value = env[name];
    if (value === undefined || value === "") return [];
    // SOPS_AGE_KEY is a key file's text: each identity line is a secret, its comments (the public key) are not.
    if (name === "SOPS_AGE_KEY") return value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
    // A credential's JSON: a command may print one of its secrets alone.
    if (name === "GOOGLE_CREDENTIALS") return [value, ...googleCredentialSecrets(value)];
    return [value];
  });
}

/**
 * The secrets of the credential hush reads from GOOGLE_CREDENTIALS, each masked alone too: a
 * service account's private key, and an authorized user's (gcloud's application default
 * credentials) refresh token and client secret, which get tokens for that user's whole account.
 */
const GOOGLE_CREDENTIAL_SECRET_FIELDS = ["private_key", "refresh_token", "client_secret"];

function googleCredentialSecrets(json: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    return []; // a path or an access token, not JSON
  }
  if (typeof doc !== "object" || doc === null) return [];
  return GOOGLE_CREDENTIAL_SECRET_FIELDS.flatMap((field) => {
    const value = (doc as Record<string, unknown>)[field];
    return typeof value === "string" && value !== "" ? [value] : [];
  });
}

/**
 * Sends the child's stdout and stderr (`output`, read ends of its pipes) to hush's through redaction: every secret, and every key
 * credential in hush's environment ({@link keyCredentials}), becomes a marker (see `Redactor`).
 * Resolves when both streams have ended and every byte has been passed on, so that hush exits
 * only after the last line is written. When the reader of one of hush's streams goes away
 * (`| head`), hush stops reading the child's: the child gets SIGPIPE (or EPIPE) at its next
 * write to it, as it would writing there itself. Any other write error drops the rest of that
 * stream. Either way hush goes on waiting for the child, so that its status is still hush's and
 * nothing is left running.
 */
export function pipeRedacted(output: readonly [Readable | null, Readable | null], io: CliIo, secrets: readonly string[]): Promise<void> {
  const masked = [...secrets, ...keyCredentials(io.env)];
  const streams: Array<[Readable | null, NodeJS.WritableStream]> = [
    [output[0], io.stdout],
    [output[1], io.stderr],
  ];
  return Promise.all(
    streams.map(
      ([from, to]) =>
        new Promise<void>((resolve) => {
          if (from === null) return resolve();
          const source: Readable = from;
          const giveBackErrors = takeWriteErrors(to);
          const redacted = source.pipe(redactingStream(masked));
          const finish = (): void => {
            to.removeListener("error", cannotWrite);
            giveBackErrors();
            resolve();
          };
          const cannotWrite = (err: NodeJS.ErrnoException): void => {
            to.removeListener("error", cannotWrite);
            redacted.unpipe(to);
            if (err.code === "EPIPE") {
              source.destroy();
              redacted.destroy();
              return finish();
            }
            // A full disk, a terminal gone: the command would have seen the error and gone on, so
            // it goes on; what it writes from here is dropped, and the user is told once.
            if (to !== io.stderr) tryWriteErr(io.stderr, `hush: cannot write the command's output (${err.code ?? "error"}); the rest of it is dropped\n`);
            redacted.resume();
          };
          to.on("error", cannotWrite);
          redacted.pipe(to, { end: false });
          redacted.on("end", finish);
        }),
    ),
  ).then(() => undefined);
}
