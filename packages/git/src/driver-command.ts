import { isAbsolute } from "node:path";

/**
 * The commands `hush git setup` writes for git's diff and merge drivers, and the reading of them
 * back (for `hush check`). Setup writes hush's absolute path (GUIs run git without the shell's
 * PATH), so once hush or node moves the drivers cannot start. git takes a merge driver that fails
 * for a conflict and leaves the working file as the driver left it: our side alone, no markers,
 * which `git add` would take for a resolution. So each command first checks that the programs it
 * runs by absolute path are there; when one is gone, the merge driver says so and falls back to
 * `git merge-file` (conflict markers around the encrypted text, a conflict anyone sees), and the
 * diff driver says so instead of Node's "Cannot find module" stack.
 */

/** What git appends to the merge driver command, with its placeholders (expanded by git, quoted for sh). */
const MERGE_ARGUMENTS = "-- %O %A %B %L %P";

/**
 * The words of a command up to its `git` subcommand (the program and its script), as sh reads
 * the forms setup writes: plain words, '…' and backslash escapes.
 */
export function programWords(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/(?:'[^']*'|\\.|[^\s'\\])+/g)) {
    const word = m[0].replace(/'([^']*)'|\\(.)/g, (_all, quoted: string | undefined, escaped: string | undefined) => quoted ?? escaped ?? "");
    if (word === "git") break;
    words.push(word);
  }
  return words;
}

/** The programs of `command` given by absolute path: what moving or reinstalling hush or node takes away. */
export function absolutePrograms(command: string): string[] {
  return programWords(command).filter((word) => isAbsolute(word));
}

/** `text` as one sh word in single quotes (a path from the installation may hold any character). */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * One sh line that runs `onMissing` (which ends the script) when one of `programs` no longer
 * exists; `$program` holds the missing path. `literal` escapes the text around what the caller
 * gives (for a merge driver, whose `%` sequences git expands).
 */
function missingProgramGuard(programs: readonly string[], onMissing: string, literal: (text: string) => string = (text) => text): string {
  return `${literal(`for program in ${programs.map(quoted).join(" ")}; do [ -e "$program" ] || { `)}${onMissing}${literal(" }; done; ")}`;
}

/** `text` for a git merge driver command, where git expands `%` sequences: each `%` doubled. */
function mergeLiteral(text: string): string {
  return text.replace(/%/g, "%%");
}

/**
 * `diff.hush.textconv`: `command` run as `COMMAND git textconv -- FILE` (git appends the file).
 * With a guard, `exec` keeps it one process; git reads the text from its output either way.
 */
export function textconvCommand(command: string): string {
  const programs = absolutePrograms(command);
  const run = `${command} git textconv --`;
  if (programs.length === 0) return run;
  const say = "printf 'hush diff driver: %s no longer exists (hush or node was moved or reinstalled): run `hush git setup` again\\n' \"$program\" >&2; exit 1;";
  return `${missingProgramGuard(programs, say)}exec ${run}`;
}

/**
 * `merge.hush.driver`. When a program is gone: a line on stderr naming it, the file and the way
 * on, then `git merge-file` leaves markers around the encrypted text, and the exit status is 1
 * whatever it merged (a line merge of ciphertext is never a result). Only the file name, the
 * temporary files and the marker size git hands the driver reach the fallback, each expanded
 * and quoted by git; every other `%` is doubled, so that a path holding `%P` stays that path.
 */
export function mergeDriverCommand(command: string): string {
  const programs = absolutePrograms(command);
  const run = `${mergeLiteral(command)} git merge ${MERGE_ARGUMENTS}`;
  if (programs.length === 0) return run;
  const say = mergeLiteral(
    "printf 'hush merge driver: %s no longer exists (hush or node was moved or reinstalled); %s is left in conflict with markers around its encrypted text: run `hush git setup` again, then `hush git resolve` on the file (or `git merge --abort` and merge again)\\n' \"$program\" ",
  );
  const fallback = `${say}%P >&2; git merge-file --marker-size=%L -L ours -L base -L theirs %A %O %B; exit 1;`;
  return `${missingProgramGuard(programs, fallback, mergeLiteral)}exec ${run}`;
}

/** A driver command as `hush check` reads it back. */
export interface DriverCommand {
  /** The words before `git`: program, script, arguments (absolute ones are what can go missing). */
  readonly programs: readonly string[];
  /** Whether it checks for its programs first (written by this hush); false for an older setup's command, or one with no absolute path. */
  readonly guarded: boolean;
}

/**
 * Reads `value`, the config of the textconv or merge driver: the command setup writes now (with
 * its guard), recognised by writing it again from the command it runs, so that nothing else a
 * config can hold passes for it; otherwise an older setup's `COMMAND git textconv|merge …`.
 */
export function readDriverCommand(kind: "textconv" | "merge", value: string): DriverCommand {
  const write = kind === "textconv" ? textconvCommand : mergeDriverCommand;
  const suffix = kind === "textconv" ? " git textconv --" : ` git merge ${MERGE_ARGUMENTS}`;
  if (value.endsWith(suffix)) {
    for (let at = value.indexOf("; exec "); at !== -1; at = value.indexOf("; exec ", at + 1)) {
      const written = value.slice(at + "; exec ".length, value.length - suffix.length);
      const command = kind === "merge" ? written.replace(/%%/g, "%") : written;
      if (write(command) === value) return { programs: programWords(command), guarded: true };
    }
  }
  return { programs: programWords(afterGuard(value, kind)), guarded: false };
}

/**
 * The text after a guard's `…; exec`, as sh reads the words (a hand-edited or older guarded
 * command, which setup would not write as it is); `value` itself when it has no such guard.
 */
function afterGuard(value: string, kind: "textconv" | "merge"): string {
  let previous = "";
  for (const m of value.matchAll(/(?:'[^']*'|\\.|[^\s'\\])+/g)) {
    if (m[0] === "exec" && previous.endsWith(";")) {
      const rest = value.slice(m.index + m[0].length);
      return kind === "merge" ? rest.replace(/%%/g, "%") : rest;
    }
    previous = m[0];
  }
  return value;
}
