import { findProgramOnPath, HushError, isExecutableFile } from "@hush/core";
import { realpathSync } from "node:fs";
import { basename, resolve } from "node:path";

/**
 * Finding the user's editor for `hush edit` and `hush git resolve` (editor-session.ts runs it):
 * `$SOPS_EDITOR`, `$EDITOR`, `$VISUAL` (a command line with arguments and quoted paths), else
 * vim, nano or vi. Programs are looked up on absolute PATH entries only, never in the working
 * directory (SOPS advisory GHSA-x5c7-x7m2-rhmf). Editors hush knows are told not to write swap,
 * backup or undo files, which would otherwise copy the plaintext to places outside the private
 * directory.
 */

export interface EditorCommand {
  /** Absolute path of the program. */
  readonly program: string;
  /** Arguments before the file name: the user's, then hush's hardening options. */
  readonly args: readonly string[];
  /** The command as the user wrote it, for messages. */
  readonly display: string;
}

/**
 * Splits a command line the way a POSIX shell splits words: blanks separate, single quotes are
 * literal, double quotes allow `\"`, `\\`, `\$` and a backquote, a backslash outside quotes escapes
 * the next character. No expansion of any kind.
 */
export function splitCommandLine(text: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated single quote");
      cur += text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated double quote");
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
          cur += text[i + 1];
          i += 2;
          continue;
        }
        cur += d;
        i++;
      }
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[i + 1];
      i += 2;
    } else {
      cur += c;
      i++;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** A program's absolute path: names with a slash as given (relative to `cwd`), others on PATH. */
export function findProgram(name: string, env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  if (name.includes("/") || (process.platform === "win32" && name.includes("\\"))) {
    const p = resolve(cwd, name);
    return isExecutableFile(p) ? p : undefined;
  }
  return findProgramOnPath(name, env);
}

/**
 * Options that stop known editors from copying the file's content elsewhere, and make those that
 * would return at once (a GUI that forks) wait until the file is closed.
 */
export function hardeningArgs(program: string): string[] {
  let real = program;
  try {
    real = realpathSync(program);
  } catch {
    // use the name as given
  }
  const names = [basename(program), basename(real)].map((n) => n.replace(/\.exe$/i, "").toLowerCase());
  const isVim = names.some((n) => /^(n?vim|gvim|mvim|vim\.(basic|tiny|gtk3?|nox|athena))$/.test(n));
  if (isVim) {
    // -n: no swap file; -i NONE: no viminfo/shada (it keeps registers, i.e. yanked secrets).
    // No modelines: comments need no key (no MAC covers them), so anyone who can push a branch
    // could set options of the editor that shows the secrets. An autocommand, because a vimrc
    // read after --cmd could turn modelines back on, and -c comes after the file is read.
    const hardening = ["-n", "-i", "NONE", "--cmd", "autocmd BufReadPre * setlocal nomodeline", "-c", "set nobackup nowritebackup noundofile"];
    // Vim starts its GUI by the name it is run as (gvim, mvim), and the GUI forks: hush would see
    // it exit at once, the file unchanged, and remove the file while it is open in the window.
    return /^[gm]vim$/.test(names[0]!) ? ["-f", ...hardening] : hardening;
  }
  // The same for the editors whose command returns at once unless told to wait.
  if (names.some((n) => ["code", "code-insiders", "codium", "subl"].includes(n))) return ["--wait"];
  if (names.some((n) => n === "emacs" || n.startsWith("emacs-"))) {
    // enable-local-variables nil: file-local variables (the same risk as vim's modelines) are ignored.
    return ["--eval", "(setq make-backup-files nil auto-save-default nil create-lockfiles nil enable-local-variables nil)"];
  }
  if (names.includes("micro")) return ["-backup", "false", "-saveundo", "false", "-savecursor", "false"];
  if (names.some((n) => ["joe", "jmacs", "jstar", "jpico", "rjoe"].includes(n))) return ["-nobackups"];
  return [];
}

/**
 * The editor to run: the first of SOPS_EDITOR, EDITOR, VISUAL that is set, else vim, nano, vi.
 * Exit 201 (SOPS's "no editor found") when none can be run.
 */
export function resolveEditor(env: Readonly<Record<string, string | undefined>>, cwd: string): EditorCommand {
  const configured = ["SOPS_EDITOR", "EDITOR", "VISUAL"].map((v) => [v, env[v]] as const).find(([, v]) => v !== undefined && v.trim() !== "");
  if (configured === undefined) {
    for (const name of ["vim", "nano", "vi"]) {
      const program = findProgram(name, env, cwd);
      if (program !== undefined) return { program, args: hardeningArgs(program), display: name };
    }
    throw new HushError("NO_EDITOR", "no editor found: set SOPS_EDITOR or EDITOR (vim, nano and vi are not on the PATH)", { located: true });
  }
  const [variable, value] = configured as readonly [string, string];
  let words: string[];
  // A value that is itself an existing program path is used whole, so paths with spaces work
  // unquoted (a common Windows setting).
  if (isExecutableFile(value.trim())) {
    words = [value.trim()];
  } else {
    try {
      words = splitCommandLine(value);
    } catch (err) {
      throw new HushError("NO_EDITOR", `invalid ${variable}: ${(err as Error).message}`, { located: true });
    }
  }
  const [name, ...userArgs] = words;
  if (name === undefined) throw new HushError("NO_EDITOR", `invalid ${variable}: empty command`, { located: true });
  const program = findProgram(name, env, cwd);
  if (program === undefined) throw new HushError("NO_EDITOR", `no editor found: ${variable} names ${JSON.stringify(name)}, which is not an executable on the PATH`, { located: true });
  return { program, args: [...userArgs, ...hardeningArgs(program)], display: value };
}
