/**
 * Runs a key command (SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_CMD) without blocking hush: a
 * command that waits on a network or a prompt (`pass`, `op read`, `vault kv get`) ran with
 * execFileSync, so a SIGTERM to hush was not acted on until it ended, and hush killed left it
 * running. Here it runs alongside hush's event loop; a termination signal, and hush's exit however
 * it comes, end it with everything it started.
 */
import type { ChildProcess } from "node:child_process";
import { endWithHush } from "@hush/core";

/** The most a key command may print: far more than any identity file. */
const MAX_OUTPUT = 4 << 20;

/** What a key command that did not give its output reports: `status` or `signal`, or `code` ENOENT etc. */
export interface KeyCommandError extends Error {
  readonly status?: number;
  readonly signal?: NodeJS.Signals;
  readonly code?: string;
}

/**
 * Whether the command gets a process group of its own. Without a terminal (a deploy script, a CI
 * job, a systemd unit) it does, so that ending it ends what it started too (`pass` runs gpg, a
 * shell script its pipeline). With one it stays in hush's group, as SOPS runs it: a command that
 * prompts (gpg's pinentry, `op`) must stay in the terminal's foreground group to read from it,
 * and a Ctrl+C or a hangup of the terminal reaches that whole group anyway.
 */
function ownGroup(): boolean {
  if (process.platform === "win32") return false;
  const { isatty } = process.getBuiltinModule("node:tty");
  return !(isatty(0) || isatty(1) || isatty(2));
}

/** Sends `signal` to a running command (its process group when it has one, even once it exited). */
type Signal = (signal: NodeJS.Signals) => void;

/** The commands running now; while there is one, termination signals are passed on to them. */
const running = new Set<Signal>();

const killAll = (): void => {
  for (const signalTo of running) signalTo("SIGKILL");
};

/** Removes the signal and exit hooks; set while {@link running} holds a command. */
let unhook: (() => void) | undefined;

function hook(): () => void {
  // A termination signal ends hush now, by the signal or by a command's handler (an editor
  // session's, which may end by raising SIGINT on itself): the commands are killed
  // at once, group and all. Told more gently, one that ignores the signal (a job started with `&`
  // from a script ignores SIGINT) or takes its time would outlive hush.
  return endWithHush(killAll);
}

/**
 * Runs `program` with `args` (no shell) and resolves to its standard output; its standard error
 * is left to hush's. Rejects with `status` when it exits non-zero, `signal` when it is killed,
 * `code` when it cannot start, and when it prints more than {@link MAX_OUTPUT}.
 *
 * While it runs, SIGINT, SIGTERM and SIGHUP to hush are passed on to it (its process group when it
 * has one) and, when no command of hush handles the signal, hush then ends by it as it would have
 * without the command (signal-cleanup.ts); any exit of hush (SIGQUIT's included) kills it.
 */
export function runKeyCommand(program: string, args: readonly string[], options: { readonly cwd: string; readonly env: Readonly<Record<string, string>> }): Promise<Buffer> {
  const { spawn } = process.getBuiltinModule("node:child_process");
  const detached = ownGroup();
  return new Promise<Buffer>((resolve, reject) => {
    let child: ChildProcess | undefined;
    const signalTo: Signal = (signal) => {
      if (child?.pid === undefined) return;
      // Its group may outlive it (a pipeline's other programs holding the pipe it printed to).
      if (!detached && (child.exitCode !== null || child.signalCode !== null)) return;
      try {
        if (detached) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // gone already
      }
    };
    const done = (): void => {
      if (running.delete(signalTo) && running.size === 0) {
        unhook?.();
        unhook = undefined;
      }
    };
    // Watched before it starts: the command runs from the moment spawn forks it, while Node still
    // sets up its pipes, and a signal that came then found no handler and ended hush by Node's
    // default, the command left running (a deploy script's kill, just as hush began to ask it).
    running.add(signalTo);
    unhook ??= hook();
    try {
      child = spawn(program, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "inherit"], detached, windowsHide: true });
    } catch (err) {
      done();
      reject(err as Error);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    let failure: KeyCommandError | undefined;
    child.stdout!.on("data", (chunk: Buffer) => {
      if (failure !== undefined) return;
      size += chunk.length;
      if (size > MAX_OUTPUT) {
        failure = Object.assign(new Error(`printed more than ${MAX_OUTPUT} bytes`), { code: "ENOBUFS" });
        signalTo("SIGKILL");
        return;
      }
      chunks.push(chunk);
    });
    child.once("error", (err) => {
      done();
      reject(err);
    });
    child.once("close", (status, signal) => {
      done();
      if (failure !== undefined) return reject(failure);
      if (signal !== null) return reject(Object.assign(new Error(`killed by ${signal}`), { signal }));
      if (status !== 0) return reject(Object.assign(new Error(`exited with status ${status}`), { status }));
      resolve(Buffer.concat(chunks));
    });
  });
}
