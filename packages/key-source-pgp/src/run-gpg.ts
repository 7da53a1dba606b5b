import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { findProgramOnPath, HushError, MAX_TIMER_DELAY_MS, endWithHush } from "@hush/core";

/** What one gpg run produced. `stdout` may hold key material: callers wipe it when done. */
export interface GpgRun {
  /** Exit code, or null when gpg was killed by a signal. */
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Machine-readable `[GNUPG:]` lines from `--status-fd 3` (locale independent). */
  readonly status: readonly string[];
  /** Why hush stopped gpg before it finished: its output passed `maxStdout`, or it ran past `timeoutMs`. */
  readonly stopped?: "output-limit" | "timeout";
}

/** Bounds on one gpg run; gpg is killed (SIGKILL) when it passes one. */
export interface GpgLimits {
  /** Most bytes of stdout to accept: a data key is 32 bytes, a message to decrypt may claim gigabytes. */
  readonly maxStdout?: number;
  /** Milliseconds gpg may run (0 or absent: no limit). */
  readonly timeoutMs?: number;
}

/** Bytes of stderr, and of status lines, kept from one run. */
const MAX_DIAGNOSTICS = 256 * 1024;

/**
 * How long one gpg run may take: `$HUSH_GPG_TIMEOUT` seconds (0: no limit), default 60. Generous
 * because gpg-agent may ask for a passphrase through pinentry while gpg runs.
 */
export function gpgTimeoutMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = env["HUSH_GPG_TIMEOUT"];
  const seconds = Number(text);
  return text !== undefined && text.trim() !== "" && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 60_000;
}

/** The error for a gpg binary that cannot be started (`code`: the spawn error's code). */
function cannotRun(binary: string, code: string | undefined, cause?: Error): HushError {
  const reason = code === "ENOENT" ? "not found" : code === "EACCES" ? "permission denied" : (code ?? "cannot start");
  return new HushError("KEY_SOURCE_FAILED", `cannot run gpg binary ${JSON.stringify(binary)}: ${reason}`, {
    hint: "install GnuPG 2.2 or later (e.g. apt-get install -y gnupg) or point SOPS_GPG_EXEC at the gpg binary",
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Runs gpg directly (no shell) with an explicit environment, feeds `input` on stdin and collects
 * stdout, stderr and the status lines written to fd 3. Past a limit of `limits`, gpg is killed
 * and the run reports `stopped` with an empty stdout (whatever was read is wiped).
 *
 * @throws HushError `KEY_SOURCE_FAILED` when the binary cannot be started.
 */
export function runGpg(binary: string, args: readonly string[], env: Readonly<Record<string, string>>, input: Uint8Array | string, limits: GpgLimits = {}): Promise<GpgRun> {
  // A bare name is looked for in PATH's absolute directories only: an empty or relative entry
  // would run a `gpg` the repository being read brought (a file with a pgp key leads here).
  const program = /[\\/]/.test(binary) ? binary : findProgramOnPath(binary, env);
  if (program === undefined) return Promise.reject(cannotRun(binary, "ENOENT"));
  return new Promise<GpgRun>((resolve, reject) => {
    // Watched before it starts (see `endGpg`): gpg runs from the moment spawn forks it, and a
    // signal that came before the watch found no handler, ended hush and left gpg running.
    let endGpg = (): void => undefined;
    const unhook = endWithHush(() => endGpg());
    let child;
    try {
      child = spawn(program, args, { env, shell: false, stdio: ["pipe", "pipe", "pipe", "pipe"], windowsHide: true });
    } catch (err) {
      unhook();
      throw err;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const status: Buffer[] = [];
    let settled = false;
    let stdoutBytes = 0;
    let stopped: GpgRun["stopped"];
    const stop = (why: NonNullable<GpgRun["stopped"]>): void => {
      if (stopped !== undefined) return;
      stopped = why;
      wipe(stdout);
      child.kill("SIGKILL");
    };
    const timer = limits.timeoutMs !== undefined && limits.timeoutMs > 0 ? setTimeout(() => stop("timeout"), Math.min(limits.timeoutMs, MAX_TIMER_DELAY_MS)) : undefined;
    // gpg waiting on the agent's passphrase dialog (or a keyserver) outlived a hush ended by a
    // signal, and with it the dialog. SIGTERM lets gpg remove its own temporary files; the agent
    // cancels the dialog of a client that is gone.
    endGpg = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      unhook();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      wipe(stdout);
      reject(cannotRun(binary, error.code, error));
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (stopped !== undefined) {
        chunk.fill(0);
        return;
      }
      stdoutBytes += chunk.length;
      stdout.push(chunk);
      if (limits.maxStdout !== undefined && stdoutBytes > limits.maxStdout) stop("output-limit");
    });
    // Messages and status lines are kept up to a bound too: a crafted message can make gpg talk.
    const keepBounded = (chunks: Buffer[]) => (chunk: Buffer) => {
      if (chunks.reduce((n, c) => n + c.length, 0) < MAX_DIAGNOSTICS) chunks.push(chunk);
    };
    child.stderr.on("data", keepBounded(stderr));
    const statusStream = child.stdio[3] as Readable | null | undefined;
    statusStream?.on("data", keepBounded(status));
    statusStream?.on("error", () => undefined);
    child.on("close", (code) => {
      unhook();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const out = Buffer.concat(stdout);
      wipe(stdout);
      resolve({
        ...(stopped === undefined ? {} : { stopped }),
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
