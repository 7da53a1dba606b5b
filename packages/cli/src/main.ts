import { isHushError, printable } from "@hush/core";
import { exitCodeOfError } from "./exit-codes.ts";
import type { CliIo } from "./io.ts";
import { registerHushKeyBackends } from "./backends.ts";
import { runHotCommand } from "./hot-commands.ts";
import { isWorkingDirectoryFailure, workingDirectoryError } from "./working-directory.ts";

/**
 * Runs the CLI and returns its exit status. Errors become one line on stderr that names the
 * file and key path or line, never a value, followed by a few indented detail lines where the
 * error has them; the status follows SOPS's table. The hot commands (decrypt, textconv, exec-env)
 * start without building the full program, which is loaded only for everything else.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  registerHushKeyBackends();
  try {
    const hot = await runHotCommand(argv, io);
    if (hot !== undefined) return hot;
    const { runProgram } = await import("./program.ts");
    return await runProgram(argv, io);
  } catch (caught) {
    const err = isWorkingDirectoryFailure(caught) ? workingDirectoryError(caught) : caught;
    // Messages may quote names read from files: never let them span lines or drive the terminal.
    // Detail lines are escaped one by one, so no untrusted text can begin a line of its own.
    const details = (isHushError(err) ? err.details : undefined) ?? [];
    // The error's hint is the next step, on a line of its own as docs/errors.md shows it, unless
    // the details already give one.
    const hint = isHushError(err) ? err.hint : undefined;
    const nextLine = hint !== undefined && !details.some((d) => d.startsWith("next:"));
    const lines = nextLine ? [...details, `next: ${hint}`] : details;
    io.stderr.write(`hush: ${printable(describe(err, !nextLine), 4000)}\n${lines.map((d) => `  ${printable(d, 4000)}\n`).join("")}`);
    return exitCodeOfError(err);
  }
}

/** The `hush:` line's text; `withHint`: the hint in brackets after it (when no `next:` line gives it). */
function describe(err: unknown, withHint: boolean): string {
  if (isHushError(err)) {
    const file = err.location?.file;
    const msg = file === undefined ? err.message : `${file}: ${err.message}`;
    if (err.code === "INTERNAL") return `${msg} (this is a bug in hush, please report it)`;
    return err.hint === undefined || !withHint ? msg : `${msg} (hint: ${err.hint})`;
  }
  if (err instanceof Error) return err.message.split("\n")[0] ?? "error";
  return String(err);
}
