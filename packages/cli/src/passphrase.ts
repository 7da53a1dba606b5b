import { endWithHush, HushError } from "@hush/core";
import { closeSync, openSync, writeSync } from "node:fs";
import { isatty, ReadStream } from "node:tty";
import { dieOfInterrupt } from "./workflows/interrupt.ts";

/**
 * Reads one line on the controlling terminal (/dev/tty) after showing `prompt`, in raw mode:
 * hidden when `secret`, else echoed as typed. `what` names the request in the "no terminal" error.
 *
 * Raw mode turns Ctrl+C into a keystroke. Once the terminal is restored, hush treats it as the
 * terminal would have, by SIGINT (to its own handlers when a command has some, else ending hush):
 * read as a failed key instead, it ended hush with "could not decrypt the data key" and a status,
 * and a script looping over files went on to the next one.
 */
async function readOnTerminal(prompt: string, secret: boolean, what: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    throw new HushError("NO_TERMINAL", `${what}, but there is no terminal to ask on`, { located: true });
  }
  const tty = new ReadStream(fd);
  const out = (s: string): void => {
    try {
      writeSync(fd, s);
    } catch {
      // the prompt is a courtesy; reading still works
    }
  };
  out(prompt);
  tty.setRawMode(true);
  // A SIGHUP to hush here (a supervisor's, `kill -HUP`) ended it by Node's default, which, unlike
  // its SIGINT and SIGTERM, does not restore the terminal: what ran next in it (a script's next
  // command, a password prompt of its own) had no echo and no line editing.
  const stopRestoring = endWithHush(() => restoreMode(tty));
  let interrupted = false;
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      tty.on("data", (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") return resolve(value);
          if (ch === "\u0003") {
            interrupted = true;
            return reject(new HushError("CANCELED", "User canceled operation", { located: true }));
          }
          if (ch === "\u007f" || ch === "\b") {
            if (!secret && value !== "") out("\b \b");
            value = value.slice(0, -1);
          } else {
            value += ch;
            if (!secret && ch >= " ") out(ch);
          }
        }
      });
    });
  } finally {
    stopRestoring();
    restoreMode(tty);
    out("\n");
    tty.destroy();
    try {
      closeSync(fd);
    } catch {
      // already closed by the stream
    }
    // Where hush cannot die of a signal, the CANCELED error is reported instead.
    if (interrupted) dieOfInterrupt();
  }
}

/** Takes the terminal out of raw mode, never throwing (it may be gone after a hangup). */
function restoreMode(tty: ReadStream): void {
  try {
    tty.setRawMode(false);
  } catch {
    // nothing left to restore
  }
}

/**
 * Asks for a passphrase (age identity files protected by scrypt) on the controlling terminal,
 * without echo. `SOPS_AGE_PASSPHRASE`-style automation is deliberately not offered: a passphrase
 * in the environment is a plaintext key. Without a terminal the identity is reported as unusable.
 */
export function promptPassphrase(what: string): Promise<string> {
  return readOnTerminal(`Enter passphrase for ${what}: `, true, `a passphrase is needed for ${what}`);
}

/**
 * Asks an age plugin's question (a PIN, a confirmation) on the controlling terminal. Only when
 * standard input is a terminal: a deploy script or CI job cannot answer, so the request fails at
 * once (the plugin is answered `fail`) instead of waiting on a terminal nobody watches.
 * `prompt` is shown as given: the caller escapes what came from the plugin.
 */
export function askOnTerminal(prompt: string, options: { readonly secret: boolean }): Promise<string> {
  // fd 0 itself, not process.stdin: in a worker thread (the loader behind `require`) process.stdin
  // is a stream from the parent thread, never a terminal.
  if (!isatty(0)) {
    return Promise.reject(new HushError("NO_TERMINAL", "standard input is not a terminal", { located: true }));
  }
  return readOnTerminal(prompt, options.secret, "an answer is needed");
}
