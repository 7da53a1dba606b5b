import { HushError, isHushError, printable } from "@hush/core";
import { exitCodeOfError } from "../exit-codes.ts";
import { writeOut, type CliIo } from "../io.ts";
import { mapLimit } from "./pool.ts";
import { Progress } from "./progress.ts";
import { NotEncrypted } from "./secret-files.ts";
import type { Target } from "./targets.ts";

/** What happened to one file. */
export type Outcome =
  | { readonly target: Target; readonly status: "done"; readonly detail: string }
  | { readonly target: Target; readonly status: "unchanged"; readonly detail: string }
  | { readonly target: Target; readonly status: "skipped"; readonly detail: string }
  | { readonly target: Target; readonly status: "declined" }
  | { readonly target: Target; readonly status: "ignored" }
  | { readonly target: Target; readonly status: "failed"; readonly error: unknown };

/** One line for an error, as `hush:` prints it: file, key path or line, never a value. */
export function describeError(err: unknown): string {
  if (isHushError(err)) {
    const msg = err.message;
    if (err.code === "INTERNAL") return `${msg} (this is a bug in hush, please report it)`;
    return err.hint === undefined ? msg : `${msg} (hint: ${err.hint})`;
  }
  if (err instanceof Error) return err.message.split("\n")[0] ?? "error";
  return String(err);
}

/** The error of a command's only file, as main prints it: with the file's name. */
export function errorForFile(target: Target, err: unknown): unknown {
  if (isHushError(err)) return err.withFile(target.display);
  if (!(err instanceof Error)) return err;
  return new HushError("UNCLASSIFIED", `${target.display}: ${describeError(err)}`, { located: true });
}

/**
 * `message` without the file's own path in front: a write's error names the path it wrote
 * (`/abs/a.yaml: cannot write (EACCES): …`), and the line that reports it names the file already.
 */
export function ownNameDropped(target: Target, message: string): string {
  for (const name of [target.display, target.path, target.abs]) {
    const prefix = `${printable(name)}: `;
    if (message.startsWith(prefix)) return message.slice(prefix.length);
  }
  return message;
}

export function exitCodeOf(err: unknown): number {
  return exitCodeOfError(err);
}

/**
 * Runs `job` on every target, `jobs` at a time, with a progress line on a terminal. A failure is
 * recorded for its file and the others go on; a job writes its file only once everything for
 * that file succeeded, so a failed file is left exactly as it was.
 */
export async function runBatch(
  io: CliIo,
  label: string,
  targets: readonly Target[],
  jobs: number,
  job: (target: Target) => Promise<Omit<Extract<Outcome, { status: "done" | "unchanged" }>, "target">>,
): Promise<Outcome[]> {
  const progress = new Progress(io.stderr, label, targets.length);
  try {
    return await mapLimit(targets, jobs, async (target): Promise<Outcome> => {
      try {
        const r = await job(target);
        return { target, ...r };
      } catch (err) {
        if (err instanceof NotEncrypted) return err.quiet ? { target, status: "ignored" } : { target, status: "skipped", detail: err.message };
        return { target, status: "failed", error: err };
      } finally {
        progress.tick(target.display);
      }
    });
  } finally {
    progress.clear();
  }
}

/**
 * Prints one line per file (stdout; failures on stderr) and a total, and returns the exit
 * status: 0 when nothing failed, the failure's own status when every failure has the same one
 * (so a single file behaves like SOPS), else 1.
 */
export async function report(
  io: CliIo,
  command: string,
  outcomes: readonly Outcome[],
  words: { done: string; unchanged: string },
): Promise<number> {
  const lines: string[] = [];
  const counts = { done: 0, unchanged: 0, skipped: 0, declined: 0, ignored: 0, failed: 0 };
  for (const o of outcomes) {
    counts[o.status] += 1;
    // File names come from a directory walk (a clone can name a file anything): escaped, as details.
    if (o.status === "done") lines.push(`${words.done}: ${printable(o.target.display, 4096)}${o.detail === "" ? "" : ` (${printable(o.detail, 8192)})`}`);
    else if (o.status === "unchanged") lines.push(`${words.unchanged}: ${printable(o.target.display, 4096)}${o.detail === "" ? "" : ` (${printable(o.detail, 8192)})`}`);
  }
  const failures = outcomes.filter((o): o is Extract<Outcome, { status: "failed" }> => o.status === "failed");
  for (const f of failures) io.stderr.write(`hush: ${printable(f.target.display, 4096)}: ${printable(ownNameDropped(f.target, describeError(f.error)), 4096)}\n`);
  const total = [
    `${counts.done} ${words.done}`,
    ...(counts.unchanged > 0 ? [`${counts.unchanged} ${words.unchanged}`] : []),
    ...(counts.skipped > 0 ? [`${counts.skipped} skipped (not encrypted)`] : []),
    ...(counts.declined > 0 ? [`${counts.declined} left unchanged (not confirmed)`] : []),
    `${counts.failed} failed`,
  ].join(", ");
  lines.push(`${command}: ${total}`);
  await writeOut(io.stdout, `${lines.join("\n")}\n`);
  if (failures.length === 0) return 0;
  const codes = new Set(failures.map((f) => exitCodeOf(f.error)));
  return codes.size === 1 ? [...codes][0]! : 1;
}
