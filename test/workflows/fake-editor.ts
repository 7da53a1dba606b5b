import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A scripted editor for `hush edit` tests. It records what it saw (path, modes, arguments,
 * content) as one JSON line per run in $FAKE_EDITOR_LOG, then performs the step for this run
 * from $FAKE_EDITOR_STEPS (a JSON list; the last step repeats):
 *   {"replace": [from, to]}  replace text        {"write": text}  replace the whole file
 *   {"sleep": ms}            wait (signal tests)  {"exit": code}   exit without saving
 *   {"noop": true}           save nothing
 *   {"kill": signal}         die of the signal, after a "replace" in the same step (a crash)
 *   {"ignore": [signal…]}    with "sleep": ignore these signals (installed before the run is logged)
 */
const SCRIPT = `
import { appendFileSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
const args = process.argv.slice(2);
const file = args[args.length - 1];
const log = process.env.FAKE_EDITOR_LOG;
let round = 0;
try { round = readFileSync(log, "utf8").split("\\n").filter(Boolean).length; } catch {}
const st = statSync(file);
const dst = statSync(dirname(file));
const content = readFileSync(file, "utf8");
const steps = JSON.parse(process.env.FAKE_EDITOR_STEPS || "[]");
const step = steps[Math.min(round, steps.length - 1)] || { noop: true };
for (const signal of step.ignore || []) process.on(signal, () => {});
appendFileSync(log, JSON.stringify({ file, args, mode: st.mode & 0o777, dirMode: dst.mode & 0o777, content, pid: process.pid }) + "\\n");
if (step.replace) writeFileSync(file, content.split(step.replace[0]).join(step.replace[1]));
if (step.write !== undefined) writeFileSync(file, step.write);
if (step.sleep) await new Promise((r) => setTimeout(r, step.sleep));
if (step.exit !== undefined) process.exit(step.exit);
if (step.kill) process.kill(process.pid, step.kill);
`;

export type EditorStep = { replace: [string, string] } | { write: string } | { sleep: number; ignore?: NodeJS.Signals[] } | { exit: number } | { noop: true } | { kill: NodeJS.Signals; replace?: [string, string] };

/** Writes the editor into `dir`; returns the EDITOR value (quoted paths) and its log path. */
export function installFakeEditor(dir: string): { editor: string; log: string; env(steps: EditorStep[]): Record<string, string> } {
  const script = join(dir, "fake editor.mjs");
  writeFileSync(script, SCRIPT);
  const log = join(dir, "editor-log.jsonl");
  // A path with a space, quoted as a user would in $EDITOR.
  const editor = `'${process.execPath}' '${script}'`;
  return {
    editor,
    log,
    env: (steps) => {
      writeFileSync(log, "");
      return { EDITOR: editor, FAKE_EDITOR_LOG: log, FAKE_EDITOR_STEPS: JSON.stringify(steps) };
    },
  };
}

export interface EditorRun {
  readonly file: string;
  readonly args: string[];
  readonly mode: number;
  readonly dirMode: number;
  readonly content: string;
  readonly pid: number;
}
