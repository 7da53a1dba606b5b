import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns, type StdioOptions } from "node:child_process";
import { chmodSync, chownSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { isatty } from "node:tty";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { findProgramOnPath, HushError, parseFormat, printable, quoted, type FileFormat } from "@hush/core";
import { cannotRun } from "../workflows/cannot-run.ts";
import { convert, encodeOutput } from "../formats.ts";
import { childEnvironment, type CliIo } from "../io.ts";
import { parseIndent } from "./encrypt-options.ts";
import { decryptInput } from "./decrypt.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { refusedEnvironmentError } from "../workflows/env-policy.ts";
import { encryptedValueTexts, mergeEnvFiles, RefusedEnvironment, type DecryptedEnvFile } from "../workflows/env-files.ts";
import { pipeRedacted, splitExecArgs, type CommandLine } from "../workflows/exec-command.ts";
import { deliverThroughFifo, makeFifo, type FifoDelivery } from "../workflows/fifo.ts";
import { openCommandPipes, type CommandPipes } from "../workflows/command-pipes.ts";
import { dieOfInterrupt, interruptReachedChild } from "../workflows/interrupt.ts";
import type { KillGuard } from "../workflows/kill-guard.ts";
import { guardProgramGroup, hasControllingTerminal, programGetsOwnGroup, signalProgram } from "../workflows/command-group.ts";
import { makePrivateDir, onTerminationSignals, SIGNAL_NUMBERS, type PrivateDir } from "../workflows/private-dir.ts";

/**
 * `exec-env` and `exec-file` (spec 9.8): run a command with the decrypted values, without
 * writing plaintext to a real disk. SOPS's one-string COMMAND runs through `/bin/sh -c`; after
 * `--` the program runs directly, without a shell. Its exit status is passed through (128 +
 * signal number when it was killed). With `--redact` its stdout and stderr reach hush's through
 * pipes that replace every injected secret with a marker.
 */

export interface ExecFlags {
  background?: boolean;
  pristine?: boolean;
  user?: string;
  sameProcess?: boolean;
  noFifo?: boolean;
  filename?: string;
  inputType?: string;
  outputType?: string;
  ignoreMac?: boolean;
  indent?: string;
  /** Variable names `exec-env` may take from the file although they change how programs start. */
  allowEnv?: string[];
  /** `exec-env`: one variable per nested value instead of an error. */
  flatten?: boolean;
  /** Joins the path of a flattened name (default `__`). */
  flattenSeparator?: string;
  /** Replace every injected secret in the command's stdout and stderr with a marker. */
  redact?: boolean;
}

interface UserIds {
  readonly uid: number;
  readonly gid: number;
  readonly home: string | undefined;
  readonly name: string;
}

/**
 * Runs one of the system's programs hush needs (getent, id), found in PATH's absolute directories
 * only: an empty or relative entry means the working directory, and `--user` runs as root, in a
 * checkout that may hold programs of those names. Undefined when there is no such program.
 */
function runSystemProgram(name: string, args: readonly string[], env: Readonly<Record<string, string | undefined>>): SpawnSyncReturns<string> | undefined {
  const program = findProgramOnPath(name, env);
  return program === undefined ? undefined : spawnSync(program, args, { encoding: "utf8", env: { ...env } as NodeJS.ProcessEnv });
}

function lookupUser(user: string, env: Readonly<Record<string, string | undefined>>): UserIds {
  const r = runSystemProgram("getent", ["passwd", user], env);
  const line = r?.status === 0 ? r.stdout.split("\n")[0] : undefined;
  if (line !== undefined && line !== "") {
    const f = line.split(":");
    return { name: f[0] ?? user, uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  const uid = runSystemProgram("id", ["-u", user], env);
  const gid = runSystemProgram("id", ["-g", user], env);
  if (uid?.status !== 0 || gid?.status !== 0) throw new HushError("UNKNOWN_USER", `unknown user ${JSON.stringify(user)}`, { located: true });
  return { name: user, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), home: undefined };
}

/**
 * The variables that give hush its age identities. A command run as another user (`--user`) does
 * not get them from hush: they open every file encrypted to you, for every environment, and the
 * point of `--user` is to give the command less. Cloud credentials pass (the command may need
 * them for its own work; `--pristine` passes nothing).
 */
const OWN_IDENTITY_VARIABLES = ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"];

function childEnv(io: CliIo, pristine: boolean, extra: ReadonlyArray<[string, string]>, user: UserIds | undefined): Record<string, string> {
  const env = childEnvironment(pristine ? {} : io.env);
  if (user !== undefined) {
    for (const name of OWN_IDENTITY_VARIABLES) delete env[name];
    if (user.home !== undefined) env["HOME"] = user.home;
    env["USER"] = user.name;
    env["LOGNAME"] = user.name;
  }
  for (const [k, v] of extra) env[k] = v;
  return env;
}

/** How the command ended: its status as hush's, and the signal that killed it, if one did. */
interface CommandEnd {
  readonly status: number;
  readonly signal: NodeJS.Signals | null;
}

/** How a child's end becomes hush's exit status. */
function endOf(code: number | null, signal: NodeJS.Signals | null): CommandEnd {
  if (code !== null) return { status: code, signal: null };
  const n = signal === null ? undefined : (osConstants.signals as Record<string, number>)[signal];
  return { status: 128 + (n ?? 1), signal };
}

/**
 * hush's status once everything is cleaned up and its signal handlers are gone: the command's.
 * A command killed by SIGINT kills hush with SIGINT too, so that a script stops (see
 * `dieOfInterrupt`). Other signals end hush with 128 + their number (SIGQUIT or SIGSEGV raised
 * in hush would dump its memory, plaintext included, to a core file).
 */
function passOnEnd(end: CommandEnd): number {
  if (end.signal === "SIGINT") dieOfInterrupt();
  return end.status;
}

/**
 * The child's stdio: hush's own where they are the process's, else pipes; stdout and stderr always
 * pipes when redacting, and stdin too when it is a terminal (a terminal opened for reading is
 * open for writing as well: the program could write a secret to it past the redacting pipes).
 * Those are `pipes`' (see command-pipes.ts), or Node's where those cannot be made.
 */
function stdioFor(io: CliIo, redacting: boolean, pipes: CommandPipes | undefined): StdioOptions {
  const own = (mine: unknown, processes: unknown): "inherit" | "pipe" => (mine === processes ? "inherit" : "pipe");
  const stdin = terminalInputPiped(redacting) ? (pipes?.commandEnds[0] ?? "pipe") : own(io.stdin, process.stdin);
  if (redacting) return [stdin, pipes?.commandEnds[1] ?? "pipe", pipes?.commandEnds[2] ?? "pipe"];
  return [stdin, own(io.stdout, process.stdout), own(io.stderr, process.stderr)];
}

/** Whether the command's stdin is a pipe from hush because hush's is a terminal it must not hand over. */
function terminalInputPiped(redacting: boolean): boolean {
  return redacting && isatty(0);
}

/** The pipes of a redacted command (see command-pipes.ts), the user's for `--user`; undefined when not redacting. */
function pipesFor(io: CliIo, redacting: boolean, user: UserIds | undefined): CommandPipes | undefined {
  return redacting ? openCommandPipes(io.env, terminalInputPiped(true), user) : undefined;
}

/**
 * Starts the command; `ownGroup` runs it in a session and process group of its own (setsid: Node
 * has no other way), without a controlling terminal (see {@link runsInOwnGroup}).
 */
function startCommand(io: CliIo, command: CommandLine, env: Record<string, string>, user: UserIds | undefined, detached: boolean, redacting: boolean, ownGroup = false, pipes?: CommandPipes): ChildProcess {
  const [file, args] = "shell" in command ? ["/bin/sh", ["-c", command.shell]] : [command.argv[0]!, command.argv.slice(1)];
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      env,
      stdio: detached ? "inherit" : stdioFor(io, redacting, pipes),
      detached: detached || ownGroup,
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
    });
  } catch (err) {
    // Node reports some failures to start (E2BIG) by throwing rather than by an `error` event.
    throw (err as { code?: unknown }).code === undefined ? err : cannotRun(command, err as Error, env);
  } finally {
    // The command has its copies (or did not start): the pipes end when its side closes them.
    pipes?.closeCommandEnds();
  }
  if (!detached) {
    const stdin = pipes?.input ?? child.stdin;
    if (stdin !== null) {
      // A command that closed its standard input, or has just ended, cannot take what is typed:
      // the input is dropped, as a terminal's would be, instead of an EPIPE ending hush (and with
      // it the command's output and status).
      stdin.on("error", () => io.stdin.unpipe(stdin));
      io.stdin.pipe(stdin);
      const input = pipes?.input;
      if (input !== undefined) {
        // As Node does with its own pipe to a child's stdin: the command's end goes with it, and
        // hush stops reading the terminal, which would otherwise keep it running.
        const close = (): void => {
          io.stdin.unpipe(input);
          input.destroy();
        };
        child.once("exit", close);
        child.once("error", close);
      }
    }
    if (!redacting) {
      child.stdout?.pipe(io.stdout, { end: false });
      child.stderr?.pipe(io.stderr, { end: false });
    }
  }
  return child;
}

/**
 * Whether a redacted command runs in a session of its own: when hush has a controlling terminal,
 * so that the command has none and cannot open /dev/tty to write past the redacting pipes (git's
 * password prompt shows the URL, token included, there). Without a terminal (CI) there is no
 * /dev/tty to open, and every command gets a group of its own anyway (command-group.ts).
 */
function runsInOwnSession(redacting: boolean): boolean {
  return redacting && process.platform !== "win32" && hasControllingTerminal();
}

/**
 * Whether the command runs in a process group of its own, which hush's termination signals then
 * reach as a whole (command-group.ts): in a session of its own when redacting at a terminal, and
 * whenever hush has no controlling terminal.
 */
function runsInOwnGroup(ownSession: boolean): boolean {
  return ownSession || programGetsOwnGroup();
}

/**
 * Handles SIGTERM, SIGHUP, SIGINT and SIGQUIT from the moment plaintext exists until hush
 * returns. `cleanup` runs at once (the FIFO and private directory go before anything else can
 * go wrong), then the signal is passed on to the command, to its whole process group when it has
 * one of its own (`ownGroup`, see command-group.ts), and hush then returns the command's status:
 * hush never waits on anything of its own. SIGINT is passed on for a `kill -INT` aimed at hush
 * alone, but not when the command got the same Ctrl+C (see `interruptReachedChild`); SIGQUIT is
 * passed on as SIGTERM, because most programs dump core on SIGQUIT, with the secrets in it. With
 * no command to pass it to (`--background`), hush exits 128 + the signal.
 */
function stopOnSignals(command: () => ChildProcess | undefined, cleanup: () => void, ownGroup: boolean): () => void {
  return onTerminationSignals((signal) => {
    cleanup();
    const child = command();
    if (child === undefined) process.exit(128 + SIGNAL_NUMBERS[signal]);
    if (signal === "SIGINT" && interruptReachedChild(!ownGroup)) return;
    signalProgram(child, signal === "SIGQUIT" ? "SIGTERM" : signal, ownGroup);
  });
}

/** Where a redacted command's stdout and stderr are read: `pipes`' read ends, or Node's pipes. */
function outputOf(child: ChildProcess, pipes: CommandPipes | undefined): readonly [Readable | null, Readable | null] {
  return pipes === undefined ? [child.stdout, child.stderr] : pipes.output;
}

/** Waits for the command and returns how it ended. */
function waitFor(child: ChildProcess, command: CommandLine, env: Record<string, string>): Promise<CommandEnd> {
  return new Promise((resolve, reject) => {
    child.on("error", (err) => reject(cannotRun(command, err, env)));
    child.on("close", (code, signal) => resolve(endOf(code, signal)));
  });
}

/**
 * `hush exec-env FILE COMMAND` (SOPS) or `hush exec-env FILE... -- PROGRAM ARGS...`. Several
 * files are merged in order, a later file's variable replacing an earlier one's. `dashAt`: see
 * `splitExecArgs`.
 */
export async function runExecEnv(io: CliIo, args: readonly string[], flags: ExecFlags, dashAt?: number): Promise<number> {
  const { files, command } = splitExecArgs("exec-env", args, dashAt, Number.POSITIVE_INFINITY);
  if (flags.background === true && flags.sameProcess === true) throw new HushError("CONFLICTING_OPTIONS", "--background and --same-process cannot be used together", { located: true });
  if (flags.background === true && flags.redact === true) throw new HushError("CONFLICTING_OPTIONS", "--background and --redact cannot be used together: hush would not be there to redact", { located: true });
  const decrypted: DecryptedEnvFile[] = [];
  // One set of key sources for every file: an identity's passphrase is asked for once.
  const keySources = createKeySourceResolver(io.env);
  for (const file of files) {
    // The values as the plaintext reads, where the decryption can give them (not read again).
    const opened = await decryptInput(io, file === "-" ? undefined : file, { ...(flags.inputType === undefined ? {} : { inputType: flags.inputType }), ignoreMac: flags.ignoreMac === true }, keySources, { valueTree: true });
    decrypted.push({ file: file === "-" ? "stdin" : file, ...opened });
  }
  const user = flags.user === undefined ? undefined : lookupUser(flags.user, io.env);
  let merged;
  try {
    merged = await mergeEnvFiles(decrypted, {
      flatten: flags.flatten === true,
      ...(flags.flattenSeparator === undefined ? {} : { separator: flags.flattenSeparator }),
      allowed: new Set(flags.allowEnv ?? []),
      baseEnv: childEnv(io, flags.pristine === true, [], user),
    });
  } catch (err) {
    throw err instanceof RefusedEnvironment ? refusedEnvironmentError(err.file, err.refused) : err;
  }
  const env = childEnv(io, flags.pristine === true, [...merged.vars], user);
  if (flags.background === true) {
    const child = startCommand(io, command, env, user, true, false);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (err) => reject(cannotRun(command, err, env)));
    });
    child.unref();
    return 0;
  }
  const redact = flags.redact === true;
  const ownSession = runsInOwnSession(redact);
  const ownGroup = runsInOwnGroup(ownSession);
  // Watched before it starts: the command runs from the fork on, and a signal that came before
  // the handlers were there (while hush set up its pipes, redacting ones, the group's watcher)
  // ended hush by Node's default, the command and everything it started left running.
  let child: ChildProcess | undefined;
  const uninstall = stopOnSignals(() => child, () => undefined, ownGroup);
  let guard: KillGuard | undefined;
  let end: CommandEnd;
  try {
    const pipes = pipesFor(io, redact, user);
    child = startCommand(io, command, env, user, false, redact, ownGroup, pipes);
    if (ownGroup) guard = guardProgramGroup(child);
    const output = redact ? pipeRedacted(outputOf(child, pipes), io, merged.secrets) : Promise.resolve();
    end = await waitFor(child, command, env);
    await output;
  } finally {
    uninstall();
    guard?.release();
  }
  return passOnEnd(end);
}

/** A `--filename` must be a plain name inside the private directory (SOPS 3.13 #2155). */
function checkFilename(name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new HushError("INVALID_ARGUMENT", `--filename must be a plain file name, not a path: ${JSON.stringify(name)}`, { located: true });
  }
  return name;
}

/** Characters a shell reads as themselves in a word outside quotes. */
const SHELL_WORD = /^[A-Za-z0-9_./+,:=@%-]+$/;

/**
 * In SOPS's one-string form `{}` is replaced inside the text `sh -c` runs, so a path with a blank,
 * quote, `$`, `;`, backquote or glob character would be split, or run as shell code: a `--filename`
 * a script took from a repository's file name (`$(touch${IFS}x).yaml` is a valid one). Such a path
 * is refused there; the `--` form passes it as one argument, whatever it holds.
 */
function checkShellWord(path: string, name: string | undefined): void {
  if (SHELL_WORD.test(path)) return;
  const what = name !== undefined && !SHELL_WORD.test(name) ? `--filename ${quoted(name, 200)}` : `the private directory ${quoted(path, 200)}`;
  throw new HushError("INVALID_ARGUMENT", `${what}: the shell would not read it as one plain word in COMMAND; use letters, digits and . _ - + , : = @ %, or the form without a shell: hush exec-file FILE -- PROGRAM [ARGS] {}`, { located: true });
}

/**
 * Makes the plaintext file (or FIFO) at `path` the user's, for a command run as them. Only root
 * may give a file away: the error says so instead of naming hush's private directory.
 */
function handOver(path: string, user: UserIds): void {
  try {
    chownSync(path, user.uid, user.gid);
  } catch (err) {
    const reason = (err as { code?: string }).code ?? "error";
    throw new HushError("SPAWN_FAILED", `--user ${printable(user.name)}: cannot hand the file over to that user (${reason}); --user needs hush to run as root`, { located: true });
  }
}

/** `hush exec-file FILE COMMAND`: `{}` in COMMAND becomes the path of the plaintext. */
export async function runExecFile(io: CliIo, args: readonly string[], flags: ExecFlags, dashAt?: number): Promise<number> {
  const { files, command } = splitExecArgs("exec-file", args, dashAt, 1);
  const file = files[0]!;
  const name = flags.filename === undefined ? undefined : checkFilename(flags.filename);
  let fifo = flags.noFifo !== true;
  if (fifo && process.platform === "win32") {
    io.stderr.write("hush: no FIFOs on Windows; using a temporary file (--no-fifo)\n");
    fifo = false;
  }
  if (flags.background === true && !fifo) throw new HushError("CONFLICTING_OPTIONS", "--background needs the FIFO: with --no-fifo the file would be removed while the command runs", { located: true });
  if (flags.background === true && flags.redact === true) throw new HushError("CONFLICTING_OPTIONS", "--background and --redact cannot be used together: hush would not be there to redact", { located: true });
  const { text, format, unauthenticated } = await decryptInput(io, file === "-" ? undefined : file, { ...(flags.inputType === undefined ? {} : { inputType: flags.inputType }), ignoreMac: flags.ignoreMac === true });
  const outFormat: FileFormat = flags.outputType === undefined ? format : parseFormat(flags.outputType);
  let written: string;
  let plaintext: Buffer;
  try {
    written = await convert(text, format, outFormat, parseIndent(flags.indent));
    plaintext = encodeOutput(written, outFormat);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
  const secrets = flags.redact === true ? await encryptedValueTexts({ file, text, format, unauthenticated }, { text: written, format: outFormat }) : undefined;
  const user = flags.user === undefined ? undefined : lookupUser(flags.user, io.env);
  let dir: PrivateDir | undefined;
  let delivery: FifoDelivery | undefined;
  let child: ChildProcess | undefined;
  let end: CommandEnd;
  const ownGroup = flags.background !== true && runsInOwnGroup(runsInOwnSession(secrets !== undefined));
  let guard: KillGuard | undefined;
  const uninstall = stopOnSignals(
    () => (flags.background === true ? undefined : child),
    () => {
      delivery?.stop();
      dir?.remove();
    },
    ownGroup,
  );
  try {
    dir = makePrivateDir(io.env, user !== undefined);
    const fileName = name ?? (fifo ? "tmp-file" : `tmp-file${randomBytes(6).toString("hex")}`);
    const path = join(dir.path, fileName);
    if ("shell" in command) checkShellWord(path, name);
    if (fifo) {
      makeFifo(path, io.env);
      delivery = deliverThroughFifo(path, plaintext);
    } else {
      try {
        dir.write(fileName, plaintext, { exclusive: true });
      } catch (err) {
        throw err instanceof HushError ? err.withFile(file === "-" ? "stdin" : file) : err;
      }
    }
    if (user !== undefined) {
      // The command runs as another user: it may enter the directory and read the file.
      chmodSync(dir.path, 0o711);
      handOver(path, user);
    }
    // Only hush's own environment: nothing from the file reaches the command but the file's text.
    const env = childEnv(io, false, [], user);
    const withPath = (arg: string): string => arg.split("{}").join(path);
    const line: CommandLine = "shell" in command ? { shell: withPath(command.shell) } : { argv: command.argv.map(withPath) };
    const pipes = pipesFor(io, secrets !== undefined, user);
    child = startCommand(io, line, env, user, flags.background === true, secrets !== undefined, ownGroup, pipes);
    if (ownGroup) guard = guardProgramGroup(child);
    const output = secrets === undefined ? Promise.resolve() : pipeRedacted(outputOf(child, pipes), io, secrets);
    if (flags.background === true) {
      child.on("error", () => delivery?.stop());
      child.on("exit", () => delivery?.stop());
      child.unref();
      await delivery?.done;
      return 0;
    }
    end = await waitFor(child, line, env);
    await output;
    // A write the command (or a process it started) is reading may finish; a FIFO nobody opened
    // is given up at once.
    delivery?.stopWaiting();
    await delivery?.done;
  } finally {
    uninstall();
    guard?.release();
    delivery?.stop();
    dir?.remove();
  }
  return passOnEnd(end);
}
