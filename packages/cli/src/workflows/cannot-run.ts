import { closeSync, constants, openSync, readSync } from "node:fs";
import { findProgramOnPath, HushError, printable, quoted } from "@hush/core";
import type { CommandLine } from "./exec-command.ts";

/**
 * Why `exec-env`'s or `exec-file`'s command did not start, with the status sh and env give for
 * it (127 not found, 126 not runnable).
 */

/** How much of a script is read to find its `#!` line. */
const INTERPRETER_LINE_BYTES = 256;

/**
 * The interpreter a script's `#!` line names, when `program` (as spawn looked it up: a path, or a
 * bare name in the command's PATH) is such a script; undefined otherwise. The kernel reports a
 * missing interpreter as the script's own ENOENT, so `./deploy.sh` saved with Windows line ends
 * (`#!/bin/bash\r`) was called "not found" while it was right there.
 */
function missingInterpreter(program: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  let path: string | undefined;
  try {
    path = program.includes("/") ? program : findProgramOnPath(program, env);
  } catch {
    return undefined;
  }
  if (path === undefined) return undefined;
  let fd: number;
  try {
    // Non-blocking: a FIFO put in the script's place must not keep hush waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(INTERPRETER_LINE_BYTES);
    const text = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString("latin1");
    if (!text.startsWith("#!")) return undefined;
    const line = text.slice(2).split("\n")[0]!.replace(/^[ \t]+/, "");
    return line.split(/[ \t]/)[0];
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The error for a command that did not start: `err` is spawn's; `env` the command's environment. */
export function cannotRun(command: CommandLine, err: Error, env: Readonly<Record<string, string | undefined>>): HushError {
  const program = "argv" in command ? command.argv[0]! : undefined;
  const what = program === undefined ? "the command" : printable(program, 200);
  const reason = (err as { code?: string }).code;
  if (reason === "ENOENT") {
    const interpreter = program === undefined ? undefined : missingInterpreter(program, env);
    if (interpreter !== undefined) {
      const lineEnd = interpreter.endsWith("\r") ? "; the file has Windows line ends (\\r\\n): save it with \\n only" : "";
      return new HushError("COMMAND_NOT_FOUND", `cannot run ${what}: the interpreter its #! line names, ${quoted(interpreter, 200)}, is not there (ENOENT)${lineEnd}`, { located: true });
    }
    return new HushError("COMMAND_NOT_FOUND", `cannot run ${what}: not found (ENOENT; a bare name is looked up in PATH)`, { located: true });
  }
  if (reason === "E2BIG") {
    return new HushError("SPAWN_FAILED", `cannot run ${what}: its environment or arguments are too large for the system (E2BIG: on Linux one variable, NAME=value, holds at most 128 KiB; use exec-file for a larger value)`, { located: true });
  }
  if (reason === "EACCES" || reason === "ENOEXEC" || reason === "EISDIR" || reason === "EPERM") {
    return new HushError("COMMAND_NOT_EXECUTABLE", `cannot run ${what}: not an executable program (${reason})`, { located: true });
  }
  return new HushError("SPAWN_FAILED", `cannot run ${what} (${reason ?? err.message})`, { located: true });
}
