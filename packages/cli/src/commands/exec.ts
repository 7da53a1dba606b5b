import { spawn, spawnSync, type ChildProcess, type StdioOptions } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { goAtoi, goFormatFloatF, goParseBool, goParseFloat, HushError, parseFormat, readTree, type FileFormat, type TreeNode } from "@hush/core";
import { CliError, EXIT } from "../exit-codes.ts";
import { convert, encodeOutput } from "../formats.ts";
import type { CliIo } from "../io.ts";
import { parseIndent } from "./encrypt-options.ts";
import { decryptInput } from "./decrypt.ts";
import { checkEnvironmentNames } from "../workflows/env-policy.ts";
import { deliverThroughFifo, makeFifo, type FifoDelivery } from "../workflows/fifo.ts";
import { makePrivateDir, onTerminationSignals, SIGNAL_NUMBERS, type PrivateDir } from "../workflows/private-dir.ts";

/**
 * `exec-env` and `exec-file` (spec 9.8): run a command with the decrypted values, without
 * writing plaintext to a real disk. The command runs through `/bin/sh -c` and its exit status is
 * passed through (128 + signal number when it was killed).
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
}

/** The environment form of a top-level value, as SOPS's `ValToString` writes it. */
function envValue(key: string, node: TreeNode): string | undefined {
  switch (node.kind) {
    case "null":
    case "comment":
      return undefined;
    case "map":
    case "list":
      throw new CliError(EXIT.generic, `cannot use complex value in environment; offending key ${key}`);
    case "scalar": {
      const v = node.value;
      switch (v.type) {
        case "int":
          return String(goAtoi(v.text) ?? v.text);
        case "float": {
          const f = goParseFloat(v.text);
          return f === undefined ? v.text : goFormatFloatF(f);
        }
        case "bool":
          return goParseBool(v.text) === true ? "true" : "false";
        default:
          return v.text;
      }
    }
  }
}

/** Variables from a decrypted document's top-level values (dotenv files as their store reads them). */
export async function envFromPlaintext(text: string, format: FileFormat): Promise<Array<[string, string]>> {
  const tree = await readTree(text, format);
  const out: Array<[string, string]> = [];
  for (const e of tree.entries) {
    if (e.kind !== "entry") continue;
    if (e.key === "" || e.key.includes("=") || e.key.includes("\0")) throw new CliError(EXIT.generic, `cannot use key ${JSON.stringify(e.key)} as an environment variable name`);
    const value = envValue(e.key, e.value);
    if (value === undefined) continue;
    if (value.includes("\0")) throw new CliError(EXIT.generic, `the value of ${e.key} contains a NUL byte, which an environment variable cannot hold`);
    out.push([e.key, value]);
  }
  return out;
}

interface UserIds {
  readonly uid: number;
  readonly gid: number;
  readonly home: string | undefined;
  readonly name: string;
}

function lookupUser(user: string): UserIds {
  const r = spawnSync("getent", ["passwd", user], { encoding: "utf8" });
  const line = r.status === 0 ? r.stdout.split("\n")[0] : undefined;
  if (line !== undefined && line !== "") {
    const f = line.split(":");
    return { name: f[0] ?? user, uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  const uid = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) throw new CliError(EXIT.generic, `unknown user ${JSON.stringify(user)}`);
  return { name: user, uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), home: undefined };
}

function childEnv(io: CliIo, pristine: boolean, extra: ReadonlyArray<[string, string]>, user: UserIds | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  if (!pristine) for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
  if (user !== undefined) {
    if (user.home !== undefined) env["HOME"] = user.home;
    env["USER"] = user.name;
    env["LOGNAME"] = user.name;
  }
  for (const [k, v] of extra) env[k] = v;
  return env;
}

/** How a child's end becomes hush's exit status. */
function statusOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal === null ? undefined : (osConstants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 1);
}

function stdioFor(io: CliIo): StdioOptions {
  return [io.stdin === process.stdin ? "inherit" : "pipe", io.stdout === process.stdout ? "inherit" : "pipe", io.stderr === process.stderr ? "inherit" : "pipe"];
}

function startShell(io: CliIo, command: string, env: Record<string, string>, user: UserIds | undefined, detached: boolean): ChildProcess {
  const child = spawn("/bin/sh", ["-c", command], {
    env,
    stdio: detached ? "inherit" : stdioFor(io),
    detached,
    ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
  });
  if (!detached) {
    if (child.stdin !== null) io.stdin.pipe(child.stdin);
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
  }
  return child;
}

/**
 * Handles SIGTERM, SIGHUP, SIGINT and SIGQUIT from the moment plaintext exists until hush
 * returns. `cleanup` runs at once (the FIFO and private directory go before anything else can
 * go wrong), then the signal is passed on to the command, whose status hush then returns: hush
 * never waits on anything of its own. SIGINT is passed on too, for a `kill -INT` aimed at hush
 * alone; SIGQUIT is passed on as SIGTERM, because most programs dump core on SIGQUIT, with the
 * secrets in it. With no command to pass it to (`--background`), hush exits 128 + the signal.
 */
function stopOnSignals(command: () => ChildProcess | undefined, cleanup: () => void): () => void {
  return onTerminationSignals((signal) => {
    cleanup();
    const child = command();
    if (child === undefined) process.exit(128 + SIGNAL_NUMBERS[signal]);
    try {
      child.kill(signal === "SIGQUIT" ? "SIGTERM" : signal);
    } catch {
      // it has just ended: its status is on its way
    }
  });
}

/** Waits for the command and returns its status as hush's. */
function waitFor(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on("error", (err) => reject(new CliError(EXIT.generic, `cannot run the command (${(err as { code?: string }).code ?? err.message})`)));
    child.on("close", (code, signal) => resolve(statusOf(code, signal)));
  });
}

/** `hush exec-env FILE COMMAND`. */
export async function runExecEnv(io: CliIo, args: readonly string[], flags: ExecFlags): Promise<number> {
  if (args.length !== 2) throw new CliError(EXIT.generic, "error: exec-env takes exactly two arguments: FILE COMMAND");
  const [file, command] = args as [string, string];
  if (flags.background === true && flags.sameProcess === true) throw new CliError(EXIT.conflictingParameters, "--background and --same-process cannot be used together");
  const { text, format, unauthenticated } = await decryptInput(io, file, { ...(flags.inputType === undefined ? {} : { inputType: flags.inputType }), ignoreMac: flags.ignoreMac === true });
  let pairs: Array<[string, string]>;
  try {
    pairs = await envFromPlaintext(text, format);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
  const user = flags.user === undefined ? undefined : lookupUser(flags.user);
  const unauthenticatedNames = new Set(unauthenticated.flatMap((path) => (path.length === 1 && typeof path[0] === "string" ? [path[0]] : [])));
  checkEnvironmentNames(file, pairs.map(([name]) => name), new Set(flags.allowEnv ?? []), {
    env: childEnv(io, flags.pristine === true, [], user),
    unauthenticated: unauthenticatedNames,
  });
  const env = childEnv(io, flags.pristine === true, pairs, user);
  if (flags.background === true) {
    const child = startShell(io, command, env, user, true);
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (err) => reject(new CliError(EXIT.generic, `cannot run the command (${(err as { code?: string }).code ?? err.message})`)));
    });
    child.unref();
    return 0;
  }
  const child = startShell(io, command, env, user, false);
  const uninstall = stopOnSignals(() => child, () => undefined);
  try {
    return await waitFor(child);
  } finally {
    uninstall();
  }
}

/** A `--filename` must be a plain name inside the private directory (SOPS 3.13 #2155). */
function checkFilename(name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.includes("\0")) {
    throw new CliError(EXIT.generic, `--filename must be a plain file name, not a path: ${JSON.stringify(name)}`);
  }
  return name;
}

/** `hush exec-file FILE COMMAND`: `{}` in COMMAND becomes the path of the plaintext. */
export async function runExecFile(io: CliIo, args: readonly string[], flags: ExecFlags): Promise<number> {
  if (args.length !== 2) throw new CliError(EXIT.generic, "error: exec-file takes exactly two arguments: FILE COMMAND");
  const [file, command] = args as [string, string];
  const name = flags.filename === undefined ? undefined : checkFilename(flags.filename);
  let fifo = flags.noFifo !== true;
  if (fifo && process.platform === "win32") {
    io.stderr.write("hush: no FIFOs on Windows; using a temporary file (--no-fifo)\n");
    fifo = false;
  }
  if (flags.background === true && !fifo) throw new CliError(EXIT.conflictingParameters, "--background needs the FIFO: with --no-fifo the file would be removed while the command runs");
  const { text, format } = await decryptInput(io, file, { ...(flags.inputType === undefined ? {} : { inputType: flags.inputType }), ignoreMac: flags.ignoreMac === true });
  const outFormat: FileFormat = flags.outputType === undefined ? format : parseFormat(flags.outputType);
  let plaintext: Buffer;
  try {
    plaintext = encodeOutput(await convert(text, format, outFormat, parseIndent(flags.indent)), outFormat);
  } catch (err) {
    throw err instanceof HushError ? err.withFile(file) : err;
  }
  const user = flags.user === undefined ? undefined : lookupUser(flags.user);
  let dir: PrivateDir | undefined;
  let delivery: FifoDelivery | undefined;
  let child: ChildProcess | undefined;
  const uninstall = stopOnSignals(
    () => (flags.background === true ? undefined : child),
    () => {
      delivery?.stop();
      dir?.remove();
    },
  );
  try {
    dir = makePrivateDir(io.env);
    const path = join(dir.path, name ?? (fifo ? "tmp-file" : `tmp-file${randomBytes(6).toString("hex")}`));
    if (fifo) {
      makeFifo(path);
      delivery = deliverThroughFifo(path, plaintext);
    } else {
      writeFileSync(path, plaintext, { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
    }
    if (user !== undefined) {
      // The command runs as another user: it may enter the directory and read the file.
      chmodSync(dir.path, 0o711);
      spawnSync("chown", [`${user.uid}:${user.gid}`, path]);
    }
    // Only hush's own environment: nothing from the file reaches the command but the file's text.
    const env = childEnv(io, false, [], user);
    child = startShell(io, command.split("{}").join(path), env, user, flags.background === true);
    if (flags.background === true) {
      child.on("error", () => delivery?.stop());
      child.on("exit", () => delivery?.stop());
      child.unref();
      await delivery?.done;
      return 0;
    }
    const status = await waitFor(child);
    // A write the command (or a process it started) is reading may finish; a FIFO nobody opened
    // is given up at once.
    delivery?.stopWaiting();
    await delivery?.done;
    return status;
  } finally {
    uninstall();
    delivery?.stop();
    dir?.remove();
  }
}
