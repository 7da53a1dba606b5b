import type { ChildProcess } from "node:child_process";
import { closeSync, constants as fsConstants, openSync } from "node:fs";
import { watchForKill, type KillGuard } from "./kill-guard.ts";

/**
 * The process group of a program hush runs for the user (the command of `exec-env`/`exec-file`,
 * the editor of `edit`), and how hush's termination signals reach it.
 *
 * Without a controlling terminal (a deploy script, a CI job, a systemd unit, cron) the program
 * runs in a process group of its own, and a SIGTERM, SIGINT or SIGHUP to hush is passed on to that
 * whole group: a wrapper (`sh -c 'worker & wait'`, `npm run` starting node) and everything it
 * started end with hush, where a signal to the program alone left its children running after the
 * script that killed hush went on. A supervisor that kills hush's own group with SIGKILL
 * (`timeout -k`, a runner stopping a job hard) no longer reaches the program's group: a watcher
 * (see {@link guardProgramGroup}) kills it when hush ends without its say.
 *
 * With a controlling terminal the program stays in hush's group, as a shell runs it: an editor or
 * an interactive command must stay in the terminal's foreground group to read from it (a program
 * in another group that reads from the terminal is stopped by SIGTTIN), and a Ctrl+C or a hangup of
 * the terminal reaches the whole foreground group, its children included. hush's group cannot be
 * signalled in its place: it holds hush, and in a script it holds the script and its other
 * commands. So there a signal sent to hush alone (`kill PID`) reaches the program alone, as
 * before.
 */

/** Whether hush has a controlling terminal: one that a program could open as /dev/tty, and whose Ctrl+C reaches hush's process group. */
export function hasControllingTerminal(): boolean {
  try {
    closeSync(openSync("/dev/tty", fsConstants.O_RDONLY | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK));
    return true;
  } catch {
    return false;
  }
}

/** Whether a program hush runs gets a process group of its own: without a controlling terminal, and not on Windows, which has no groups. */
export function programGetsOwnGroup(): boolean {
  return process.platform !== "win32" && !hasControllingTerminal();
}

/**
 * Sends `signal` to `child`, to its whole process group when `ownGroup` (started with `detached`),
 * even once the child itself has ended: what it started may still run. Never throws: a group or
 * program already gone has nothing left to end.
 */
export function signalProgram(child: ChildProcess, signal: NodeJS.Signals, ownGroup: boolean): void {
  try {
    if (ownGroup && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // gone already: its status is on its way
  }
}

/** The watcher's script: SIGKILL to the group `$1` when hush ends without writing its line. */
const KILL_GROUP = 'IFS= read -r _ || kill -9 -"$1"';

/**
 * Kills the process group of `child` (started in a group of its own) if hush ends without
 * releasing the guard: killed with SIGKILL itself, alone or with its own group, hush cannot pass
 * anything on. The guard releases itself when the program ends; what the program left running in
 * the background then stays, as a shell leaves it. Call it right after the spawn: a SIGKILL in
 * the moment between the two leaves the group running.
 *
 * Released in the same turn of the event loop as Node collects the program's status: the
 * group's id is the program's process id, which the system may give to a new process once the
 * group's last member has ended, and a watcher still armed then (hush waited on the program's
 * output, which a process outside the group can hold open for hours) would SIGKILL whatever group
 * took the id. What remains is the moment between Node's collecting the status and the release's
 * write to the watcher, in one synchronous call: the id would have to come round again in it.
 */
export function guardProgramGroup(child: ChildProcess): KillGuard {
  if (child.pid === undefined) return { release() {} };
  const guard = watchForKill(KILL_GROUP, [String(child.pid)]);
  child.once("exit", () => guard.release());
  return guard;
}
