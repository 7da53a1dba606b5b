import { spawn } from "node:child_process";

/** Releases a {@link guardAgainstKill} watcher once hush has removed the directory itself. */
export interface KillGuard {
  release(): void;
}

/**
 * The watcher's script: `read` returns at the line hush writes when it removed the directory
 * itself, or fails at the end of the pipe, which the kernel gives however hush ended.
 */
const WATCH = 'IFS= read -r _ || rm -rf -- "$1"';

/**
 * Removes `path` (a private directory holding plaintext) if hush is killed with SIGKILL (the
 * kernel's out-of-memory killer, `kill -9`, a container stopped hard), which ends it without
 * running any of its code: the directory would otherwise stay, plaintext and all, until the next
 * hush run swept it. A shell waits on a pipe whose only writer is hush; Node opens its pipes
 * close-on-exec, so neither the editor nor a command hush starts holds it open.
 *
 * The shell runs in its own session (a terminal's hangup, which ends hush's session, does not
 * end it), in `/`, with no environment beyond PATH: hush's may hold keys (SOPS_AGE_KEY), and it
 * outlives hush. Where no shell can be started, the next run's sweep is what remains.
 */
export function guardAgainstKill(path: string): KillGuard {
  return watchForKill(WATCH, [path]);
}

/**
 * Runs `script` (a `/bin/sh` script whose `read` of one line fails when hush ends without releasing
 * the guard, then does what hush would have) with `args` as `$1`…, in a session of its own, in
 * `/`, with PATH alone: see {@link guardAgainstKill}. Where no shell can start, there is no guard.
 */
export function watchForKill(script: string, args: readonly string[]): KillGuard {
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn("/bin/sh", ["-c", script, "hush-guard", ...args], { cwd: "/", env: { PATH: "/usr/bin:/bin" }, detached: true, stdio: ["pipe", "ignore", "ignore"] });
  } catch {
    return { release() {} };
  }
  child.on("error", () => {});
  const pipe = child.stdin!;
  pipe.on("error", () => {});
  // Neither the shell nor its pipe keeps hush running.
  child.unref();
  (pipe as unknown as { unref?: () => void }).unref?.();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      pipe.end("\n");
    },
  };
}
