import { spawn, type ChildProcess } from "node:child_process";
import { basename } from "node:path";
import { HushError, printable } from "@hush/core";
import { childEnvironment, readFileBounded, type CliIo } from "../io.ts";
import { resolveEditor } from "./editor.ts";
import { guardProgramGroup, programGetsOwnGroup, signalProgram } from "./command-group.ts";
import { exitCancelled, followInterrupt, interruptReachedChild } from "./interrupt.ts";
import { makePrivateDir, onTerminationSignals, tryWriteErr, type PrivateDir } from "./private-dir.ts";

/**
 * The user's editor on plaintext, as `hush edit` and `hush git resolve` run it: the editor of
 * `$SOPS_EDITOR`, `$EDITOR` or `$VISUAL` (told not to keep swap, undo or modeline settings, see
 * `resolveEditor`), a 0600 file in a fresh 0700 directory in memory-backed storage, removed on
 * every exit path. When hush is told to stop (SIGTERM, SIGHUP, SIGQUIT, or a SIGINT meant for
 * hush alone), the editor is stopped too, before hush ends: an editor left running would keep the
 * plaintext on screen and in memory, and write it back into a directory that is about to be
 * removed, or into a new one. The commands word failures and choose exit statuses themselves.
 */

/** How an editor run failed, for the command to report in its own words and with its own status. */
export type EditorFailure =
  /** The editor ended by a signal. */
  | { readonly kind: "signal"; readonly signal: NodeJS.Signals }
  /** The editor exited with a status other than 0. */
  | { readonly kind: "status"; readonly status: number }
  /** The edited file cannot be read back (`reason`: the system's error code). */
  | { readonly kind: "unreadable"; readonly reason: string };

/** What a command tells its editor session. */
export interface EditorSessionOptions {
  /** The file being edited: the private copy takes its base name, so the editor picks its syntax. */
  readonly name: string;
  /** Ends the message of an editor that cannot be started: what was left alone ("FILE was not changed"). */
  readonly unchanged: string;
  /** The command's error for an editor run that failed. */
  readonly failure: (failure: EditorFailure) => HushError;
  /** Printed when the session is cancelled: a termination signal to hush, or Ctrl+C that ended the editor. */
  readonly cancelMessage: string;
  /** What else to undo when the session is cancelled, just before hush ends (a lock to release). */
  readonly onCancel?: () => void;
}

/** An open editor session: see {@link openEditorSession}. */
export interface EditorSession {
  /**
   * Writes `content` to the private file, opens the editor on it, waits for it to exit and
   * returns the file as saved. Rejects with `NO_EDITOR` when the editor cannot be started, else
   * with the command's error for an {@link EditorFailure}.
   */
  edit(content: Buffer | string): Promise<Buffer>;
  /**
   * Detail lines for a command that found the text unchanged: when the last editor run ended
   * within a second and no run of the session changed the text, a line saying that the editor most likely returned without showing the text
   * and how to make it wait; else none. A window editor whose command returns at once (zed, kate,
   * gedit, `open -a`) leaves hush reading the file unchanged and removing it while the window
   * shows it: the user saw "File has not changed" and lost what was typed, with no word why.
   */
  quickReturnDetails(): string[];
  /**
   * The private file as the last editor run left it when that run crashed (ended by a signal
   * not in {@link CANCEL_SIGNALS}): what the user had saved, for the command to keep encrypted.
   * Undefined otherwise, or when it cannot be read. Read before {@link close}, which removes it.
   */
  crashedText(): Buffer | undefined;
  /**
   * Ends the session: the signal handlers and the private directory are removed. When Ctrl+C
   * ended the editor, hush then ends by SIGINT as the editor did, after `onCancel` and the cancel
   * message, so that a script running hush stops (see `followInterrupt`). Call it on every path.
   */
  close(): void;
}

/**
 * The signals that end an editor on a cancel (SOPS: "User canceled operation"), not a crash: the
 * user's way to throw the text away, as an exit status (vim's `:cq`) is.
 */
export const CANCEL_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"]);

/** An editor run shorter than this that changed nothing most likely never showed the text to anyone. */
const RETURNED_AT_ONCE_MS = 1_000;

/** How long an editor gets to restore the terminal and exit before hush kills it and ends. */
const EDITOR_STOP_GRACE_MS = 2_000;

/**
 * Opens an editor session: finds the editor (`NO_EDITOR` when there is none) and installs the
 * termination handlers, which from now on stop the editor, remove the plaintext, run `onCancel`,
 * print the cancel message and end hush (by SIGINT when that was the signal, else with status 1).
 * Ctrl+C in a terminal reaches the editor as well and is the editor's to handle: it is ignored here.
 */
export function openEditorSession(io: CliIo, options: EditorSessionOptions): EditorSession {
  const editor = resolveEditor(io.env, io.cwd);
  let dir: PrivateDir | undefined;
  let running: ChildProcess | undefined;
  // Without a controlling terminal the editor (often a script: `code --wait`, a wrapper) runs in a
  // process group of its own, which hush's signals reach as a whole (command-group.ts).
  const ownGroup = programGetsOwnGroup();
  /** The private file of the last editor run. */
  let lastPath: string | undefined;
  /** Whether the last editor run crashed (see `crashedText`). */
  let crashed = false;
  /** How long the last editor run took, in milliseconds. */
  let lastRunMs = Number.POSITIVE_INFINITY;
  /** A run of this session saved other text than it was given: the editor does show the file. */
  let changedOnce = false;
  // The editor died of SIGINT (Ctrl+C): once cleaned up, hush dies of it too.
  let interrupted = false;
  const cleanUp = (): void => {
    dir?.remove();
    options.onCancel?.();
  };

  let cancelling = false;
  const uninstall = onTerminationSignals((signal) => {
    if (signal === "SIGINT" && running !== undefined && interruptReachedChild(!ownGroup)) return;
    if (cancelling) return;
    cancelling = true;
    cleanUp();
    const finish = (): void => {
      // Again: the editor may have saved on its way out.
      cleanUp();
      tryWriteErr(io.stderr, options.cancelMessage);
      exitCancelled(signal);
    };
    const child = running;
    if (child === undefined) return finish();
    child.once("exit", finish);
    setTimeout(() => {
      // An editor that ignores the signal (or a wrapper script that traps it) outlived hush, the
      // plaintext in its memory and the terminal still its own: it is killed before hush ends.
      signalProgram(child, "SIGKILL", ownGroup);
      finish();
    }, EDITOR_STOP_GRACE_MS);
    // SIGQUIT is not passed on: the editor would dump core, with the plaintext in it. An editor
    // gone meanwhile reports its exit, which finishes.
    signalProgram(child, signal === "SIGHUP" ? "SIGHUP" : "SIGTERM", ownGroup);
  });

  const run = (path: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(editor.program, [...editor.args, path], { stdio: "inherit", env: childEnvironment(io.env), detached: ownGroup });
      running = child;
      if (ownGroup) guardProgramGroup(child);
      child.on("error", (err) => {
        running = undefined;
        const reason = (err as { code?: string }).code ?? err.message;
        reject(new HushError("NO_EDITOR", `could not run editor ${JSON.stringify(editor.display)} (${reason}); ${options.unchanged}`, { located: true }));
      });
      child.on("exit", (code, signal) => {
        running = undefined;
        lastRunMs = performance.now() - started;
        crashed = signal !== null && !CANCEL_SIGNALS.has(signal);
        if (signal === "SIGINT") interrupted = true;
        if (signal !== null) reject(options.failure({ kind: "signal", signal }));
        else if (code !== null && code !== 0) reject(options.failure({ kind: "status", status: code }));
        else resolve();
      });
    });

  return {
    async edit(content) {
      dir ??= makePrivateDir(io.env);
      let path: string;
      try {
        path = dir.write(basename(options.name), content);
      } catch (err) {
        if (!(err instanceof HushError)) throw err;
        throw new HushError(err.code, `${err.message}; ${options.unchanged}`, { location: { file: options.name }, ...(err.details === undefined ? {} : { details: err.details }) });
      }
      lastPath = path;
      await run(path);
      try {
        // Bounded as every read is (a saved file past what a string holds crashed the decode), and
        // a regular file only: a pipe put in its place would wait for a writer forever.
        const saved = readFileBounded(path, { regularFileOnly: true });
        if (!saved.equals(Buffer.from(content))) changedOnce = true;
        return saved;
      } catch (err) {
        throw options.failure({ kind: "unreadable", reason: err instanceof HushError ? err.message : ((err as { code?: string }).code ?? "error") });
      }
    },
    crashedText() {
      if (!crashed || lastPath === undefined) return undefined;
      try {
        return readFileBounded(lastPath, { regularFileOnly: true });
      } catch {
        return undefined;
      }
    },
    quickReturnDetails() {
      if (lastRunMs >= RETURNED_AT_ONCE_MS || changedOnce) return [];
      return [
        `the editor (${printable(editor.display, 200)}) returned within a second: if it opens a window and returns at once, set its option to wait until the file is closed (EDITOR="zed --wait", "kate --block", "open -W -n -a TextEdit")`,
      ];
    },
    close() {
      uninstall();
      dir?.remove();
      if (interrupted) options.onCancel?.();
      followInterrupt(interrupted, io.stderr, options.cancelMessage);
    },
  };
}
