import { HushError } from "@hush/core";
import { closeSync, openSync, writeSync } from "node:fs";
import { ReadStream } from "node:tty";

/**
 * Asks for a passphrase (age identity files protected by scrypt) on the controlling terminal,
 * without echo. `SOPS_AGE_PASSPHRASE`-style automation is deliberately not offered: a passphrase
 * in the environment is a plaintext key. Without a terminal the identity is reported as unusable.
 */
export async function promptPassphrase(what: string): Promise<string> {
  let fd: number;
  try {
    fd = openSync("/dev/tty", "r+");
  } catch {
    throw new HushError("NO_TERMINAL", `a passphrase is needed for ${what}, but there is no terminal to ask on`, { located: true });
  }
  const tty = new ReadStream(fd);
  const out = (s: string): void => {
    try {
      writeSync(fd, s);
    } catch {
      // the prompt is a courtesy; reading still works
    }
  };
  out(`Enter passphrase for ${what}: `);
  tty.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = "";
      tty.on("data", (chunk: Buffer) => {
        for (const ch of chunk.toString("utf8")) {
          if (ch === "\r" || ch === "\n") return resolve(value);
          if (ch === "\u0003") return reject(new HushError("CANCELED", "User canceled operation", { located: true }));
          if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
          else value += ch;
        }
      });
    });
  } finally {
    tty.setRawMode(false);
    out("\n");
    tty.destroy();
    try {
      closeSync(fd);
    } catch {
      // already closed by the stream
    }
  }
}

