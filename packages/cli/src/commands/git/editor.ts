import { HushError } from "@hush/core";
import { spawn } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { childEnvironment, type CliIo } from "../../io.ts";
import { resolveEditor } from "../../workflows/editor.ts";
import { stopEditorOnSignals, type EditorSession } from "../../workflows/editor-session.ts";
import { followInterrupt } from "../../workflows/interrupt.ts";
import { makePrivateDir } from "../../workflows/private-dir.ts";

const CANCELED = "hush: canceled; nothing was written\n";

/**
 * Editing a conflict resolution in plaintext, with the same guarantees as `hush edit`: a 0600
 * file in a fresh 0700 directory in memory-backed storage, the editor told not to keep swap or
 * undo copies, and the directory removed on every exit path, signals included.
 */
export async function editText(io: CliIo, name: string, content: string): Promise<string> {
  const editor = resolveEditor(io.env, io.cwd);
  const dir = makePrivateDir(io.env);
  const session: EditorSession = { child: undefined, interrupted: false };
  // A signal stops the editor too: otherwise it would stay open on the plaintext after hush ended.
  const uninstall = stopEditorOnSignals(session, () => dir.remove(), io.stderr, CANCELED);
  try {
    const file = join(dir.path, basename(name));
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(editor.program, [...editor.args, file], { stdio: "inherit", env: childEnvironment(io.env) });
      session.child = child;
      child.on("error", (err) => {
        session.child = undefined;
        reject(new HushError("NO_EDITOR", `could not run editor ${JSON.stringify(editor.display)} (${(err as { code?: string }).code ?? err.message}); nothing was written`, { located: true }));
      });
      child.on("exit", (code, signal) => {
        session.child = undefined;
        // Died of Ctrl+C: once cleaned up, hush dies of it too, so a script stops.
        if (signal === "SIGINT") session.interrupted = true;
        if (signal !== null) reject(new HushError("RESOLUTION_ABANDONED", `the editor was stopped by ${signal}; nothing was written`, { located: true }));
        else if (code !== 0) reject(new HushError("RESOLUTION_ABANDONED", `the editor exited with status ${code}; nothing was written`, { located: true }));
        else resolve();
      });
    });
    return readFileSync(file, "utf8");
  } finally {
    uninstall();
    dir.remove();
    followInterrupt(session.interrupted, io.stderr, CANCELED);
  }
}
