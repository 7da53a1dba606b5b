import { HushError } from "@hush/core";
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { CliIo } from "../../io.ts";
import { resolveEditor } from "../../workflows/editor.ts";
import { exitCancelled, followInterrupt, interruptReachedChild } from "../../workflows/interrupt.ts";
import { makePrivateDir, onTerminationSignals, tryWriteErr } from "../../workflows/private-dir.ts";

const CANCELED = "hush: canceled; nothing was written\n";

/**
 * Editing a conflict resolution in plaintext, with the same guarantees as `hush edit`: a 0600
 * file in a fresh 0700 directory in memory-backed storage, the editor told not to keep swap or
 * undo copies, and the directory removed on every exit path, signals included.
 */
export async function editText(io: CliIo, name: string, content: string): Promise<string> {
  const editor = resolveEditor(io.env, io.cwd);
  const dir = makePrivateDir(io.env);
  let child: ChildProcess | undefined;
  // The editor died of SIGINT (Ctrl+C): once cleaned up, hush dies of it too, so a script stops.
  let interrupted = false;
  const uninstall = onTerminationSignals((signal) => {
    // Ctrl+C in a terminal reaches the editor too; it is the editor's to handle.
    if (signal === "SIGINT" && child !== undefined && interruptReachedChild(true)) return;
    dir.remove();
    tryWriteErr(io.stderr, CANCELED);
    exitCancelled(signal, uninstall);
  });
  try {
    const file = join(dir.path, basename(name));
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
    await new Promise<void>((resolve, reject) => {
      child = spawn(editor.program, [...editor.args, file], { stdio: "inherit", env });
      child.on("error", (err) => reject(new HushError("NO_EDITOR", `could not run editor ${JSON.stringify(editor.display)} (${(err as { code?: string }).code ?? err.message}); nothing was written`, { located: true })));
      child.on("exit", (code, signal) => {
        child = undefined;
        if (signal === "SIGINT") interrupted = true;
        if (signal !== null) reject(new HushError("RESOLUTION_ABANDONED", `the editor was stopped by ${signal}; nothing was written`, { located: true }));
        else if (code !== 0) reject(new HushError("RESOLUTION_ABANDONED", `the editor exited with status ${code}; nothing was written`, { located: true }));
        else resolve();
      });
    });
    return readFileSync(file, "utf8");
  } finally {
    uninstall();
    dir.remove();
    followInterrupt(interrupted, io.stderr, CANCELED);
  }
}
