import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { HushError } from "@hush/core";

/** What one gpg run produced. `stdout` may hold key material: callers wipe it when done. */
export interface GpgRun {
  /** Exit code, or null when gpg was killed by a signal. */
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Machine-readable `[GNUPG:]` lines from `--status-fd 3` (locale independent). */
  readonly status: readonly string[];
}

/**
 * Runs gpg directly (no shell) with an explicit environment, feeds `input` on stdin and collects
 * stdout, stderr and the status lines written to fd 3.
 *
 * @throws HushError `KEY_SOURCE_FAILED` when the binary cannot be started.
 */
export function runGpg(binary: string, args: readonly string[], env: Readonly<Record<string, string>>, input: Uint8Array | string): Promise<GpgRun> {
  return new Promise<GpgRun>((resolve, reject) => {
    const child = spawn(binary, args, { env, shell: false, stdio: ["pipe", "pipe", "pipe", "pipe"], windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const status: Buffer[] = [];
    let settled = false;

    child.on("error", (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      wipe(stdout);
      const reason = error.code === "ENOENT" ? "not found" : error.code === "EACCES" ? "permission denied" : (error.code ?? "cannot start");
      reject(
        new HushError("KEY_SOURCE_FAILED", `cannot run gpg binary ${JSON.stringify(binary)}: ${reason}`, {
          hint: "install GnuPG 2.2 or later (e.g. apt-get install -y gnupg) or point SOPS_GPG_EXEC at the gpg binary",
          cause: error,
        }),
      );
    });
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const statusStream = child.stdio[3] as Readable | null | undefined;
    statusStream?.on("data", (chunk: Buffer) => status.push(chunk));
    statusStream?.on("error", () => undefined);
    child.on("close", (code) => {
      if (settled) return;
      settled = true;
      const out = Buffer.concat(stdout);
      wipe(stdout);
      resolve({
        code,
        stdout: out,
        stderr: Buffer.concat(stderr).toString("utf8"),
        status: Buffer.concat(status)
          .toString("utf8")
          .split("\n")
          .filter((line) => line.startsWith("[GNUPG:] "))
          .map((line) => line.slice("[GNUPG:] ".length)),
      });
    });
    // gpg may exit before reading all of stdin (bad arguments, unknown key): that is not an error here.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/**
 * The most telling line of gpg's stderr, for error messages: the first line that reports a
 * failure, else the last line. gpg never prints key material on stderr.
 */
export function gpgErrorLine(run: GpgRun): string {
  const lines = run.stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  const failure = lines.find((line) => /error|fail|skipped|invalid|no valid|not found|unusable|expired|revoked|no public key|no secret key|can't|cannot|bad /i.test(line));
  const line = failure ?? lines.at(-1) ?? `gpg exited with ${run.code === null ? "a signal" : `code ${run.code}`}`;
  // Bound the length and strip control characters: gpg may echo parts of the (untrusted) input.
  const clean = line.replace(/[\p{Cc}\p{Cf}]/gu, "?");
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

function wipe(chunks: Buffer[]): void {
  for (const chunk of chunks) chunk.fill(0);
  chunks.length = 0;
}
