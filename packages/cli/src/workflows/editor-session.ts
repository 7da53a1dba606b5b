import type { ChildProcess } from "node:child_process";
import { exitCancelled, interruptReachedChild } from "./interrupt.ts";
import { onTerminationSignals, tryWriteErr } from "./private-dir.ts";

/**
 * What `hush edit` and `hush git resolve` share while an editor has plaintext open: when hush
 * is told to stop (SIGTERM, SIGHUP, SIGQUIT, or a SIGINT meant for hush alone), the editor is
 * stopped too, before hush ends. An editor left running would keep the plaintext on screen and
 * in memory, and write it back into a directory that is about to be removed, or into a new one.
 */

/** The editor of a session, while it runs. */
export interface EditorSession {
  child: ChildProcess | undefined;
  /** The editor died of SIGINT (Ctrl+C): once cleaned up, hush dies of it too (see `followInterrupt`). */
  interrupted: boolean;
}

/** How long an editor gets to restore the terminal and exit before hush ends anyway. */
const EDITOR_STOP_GRACE_MS = 2_000;

/**
 * Installs the termination handlers of an editor session; returns their uninstaller. On a
 * signal: `cleanUp` (remove the plaintext), pass SIGTERM (SIGHUP as SIGHUP) to the editor, wait
 * for it to exit (at most two seconds, so that it can restore the terminal before the shell gets
 * it back), `cleanUp` again (the editor may have saved on its way out), print `message`, and end
 * hush (by SIGINT when that was the signal, else with status 1). Ctrl+C in a terminal reaches the
 * editor as well and is the editor's to handle: it is ignored here.
 */
export function stopEditorOnSignals(session: EditorSession, cleanUp: () => void, stderr: NodeJS.WritableStream, message: string): () => void {
  let cancelling = false;
  const uninstall = onTerminationSignals((signal) => {
    if (signal === "SIGINT" && session.child !== undefined && interruptReachedChild(true)) return;
    if (cancelling) return;
    cancelling = true;
    cleanUp();
    const finish = (): void => {
      cleanUp();
      tryWriteErr(stderr, message);
      exitCancelled(signal, uninstall);
    };
    const child = session.child;
    if (child === undefined) return finish();
    child.once("exit", finish);
    setTimeout(finish, EDITOR_STOP_GRACE_MS);
    try {
      // SIGQUIT is not passed on: the editor would dump core, with the plaintext in it.
      child.kill(signal === "SIGHUP" ? "SIGHUP" : "SIGTERM");
    } catch {
      finish();
    }
  });
  return uninstall;
}
