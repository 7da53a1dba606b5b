import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { gone, goneSoon, waitForPids } from "../keys/helpers.ts";
import { encryptFile, keyedDir, startHush } from "./helpers.ts";

/**
 * Deploy scripts, CI runners and service managers end hush with a signal and expect nothing it
 * started to be left. The program hush runs is often a wrapper (`sh -c`, `npm run`) whose own
 * children do the work: without a controlling terminal the program runs in a process group of its
 * own, and hush's SIGTERM, SIGHUP or SIGINT reaches all of it; a SIGKILL to hush, alone or with
 * its group, is passed on by a watcher. hush runs here in a session of its own, so without a
 * terminal wherever the tests run. The wrapper's child sleeps past each test's time limit.
 */
/** The PID of the watcher hush runs for process group `group` (`sh -c … hush-guard GROUP`), or undefined when there is none. */
function watcherOf(group: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // ended as it was read
    }
    const at = argv.indexOf("hush-guard");
    if (at !== -1 && argv[at + 1] === String(group)) return Number(entry);
  }
  return undefined;
}

describe("a signal to hush reaches everything the program it runs started", () => {
  const k = keyedDir();
  afterAll(() => k.cleanup());
  const file = encryptFile(k, "app.enc.yaml", "password: s3cr3t\n");

  /** `sh -c SCRIPT` that writes its PID and its child's to `pidFile` and waits for the child. */
  const wrapper = (pidFile: string): string[] => ["sh", "-c", `sleep 300 & echo $$ $! > ${pidFile}; wait`];
  /** A wrapper whose child runs in the foreground (as `npm run` runs node): background jobs of a script ignore SIGINT. */
  const foreground = (pidFile: string): string[] => ["sh", "-c", `sh -c 'echo $PPID $$ > ${pidFile}; exec sleep 300'; exit 0`];

  const cases: { name: string; args: (pidFile: string) => string[]; signal: NodeJS.Signals; exit: { code: number | null; signal: NodeJS.Signals | null } }[] = [
    { name: "exec-env", args: (p) => ["exec-env", file, "--", ...wrapper(p)], signal: "SIGTERM", exit: { code: 143, signal: null } },
    { name: "exec-env", args: (p) => ["exec-env", file, "--", ...wrapper(p)], signal: "SIGHUP", exit: { code: 129, signal: null } },
    // The program died of SIGINT: hush dies of it too, so that the script running it stops.
    { name: "exec-env", args: (p) => ["exec-env", file, "--", ...foreground(p)], signal: "SIGINT", exit: { code: null, signal: "SIGINT" } },
    { name: "exec-env --redact", args: (p) => ["exec-env", "--redact", file, "--", ...wrapper(p)], signal: "SIGTERM", exit: { code: 143, signal: null } },
    { name: "exec-file", args: (p) => ["exec-file", "--no-fifo", file, "--", ...wrapper(p)], signal: "SIGTERM", exit: { code: 143, signal: null } },
  ];

  for (const [n, { name, args, signal, exit }] of cases.entries()) {
    it(`hush ${name}: ${signal} ends the program and its child, and hush (${exit.signal ?? `status ${exit.code}`})`, { timeout: 15_000 }, async () => {
      const pidFile = k.path(`pids-${n}`);
      const run = startHush(args(pidFile), { cwd: k.dir, env: k.env, newSession: true });
      const pids = await waitForPids(pidFile);
      expect(pids).toHaveLength(2);
      run.child.kill(signal);
      const result = await run.done;
      expect({ code: result.code, signal: result.signal }, result.stderr).toEqual(exit);
      for (const pid of pids) expect(await goneSoon(pid), `process ${pid} of the program`).toBe(true);
    });
  }

  it("hush edit: SIGTERM ends the editor and its child, and hush cancels (status 1)", { timeout: 15_000 }, async () => {
    const pidFile = k.path("pids-editor");
    const editor = k.path("wrapping-editor");
    writeFileSync(editor, `#!/bin/sh\nsleep 300 & echo $$ $! > ${pidFile}\nwait\n`, { mode: 0o755 });
    const run = startHush(["edit", file], { cwd: k.dir, env: { ...k.env, EDITOR: editor }, newSession: true });
    const pids = await waitForPids(pidFile);
    run.child.kill("SIGTERM");
    const result = await run.done;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    for (const pid of pids) expect(await goneSoon(pid), `process ${pid} of the editor`).toBe(true);
  });

  // SIGKILL cannot be caught: a watcher hush leaves behind ends the program's group. Killed with
  // its whole group, as `timeout -k` and a runner stopping a job hard do, hush took the program
  // with it while they shared a group, and still does. The program reads the plaintext through
  // the FIFO first, which hush writes once it has started the program and its watcher.
  for (const whole of [false, true]) {
    it(`hush exec-file: SIGKILL to hush${whole ? "'s process group" : " alone"} ends the program and its child`, { timeout: 15_000 }, async () => {
      const pidFile = k.path(`pids-kill-${String(whole)}`);
      const program = ["sh", "-c", `cat "$1" > /dev/null; sleep 300 & echo $$ $! > ${pidFile}; wait`, "sh", "{}"];
      const run = startHush(["exec-file", file, "--", ...program], { cwd: k.dir, env: k.env, newSession: true });
      const pids = await waitForPids(pidFile);
      process.kill(whole ? -run.child.pid! : run.child.pid!, "SIGKILL");
      const result = await run.done;
      expect(result.signal).toBe("SIGKILL");
      for (const pid of pids) expect(await goneSoon(pid), `process ${pid} of the program`).toBe(true);
    });
  }

  // The watcher is for the program's run only. Once the program has ended, the group's id (the
  // program's process id) can go to a new process when the group empties, and a watcher still
  // armed would SIGKILL the group that took it. `--redact` waits for the program's output, which a
  // process it left behind holds open: the watcher stayed armed all that time.
  it("hush exec-env --redact: the watcher is released when the program ends, not when its output closes", { timeout: 25_000 }, async () => {
    const pidFile = k.path("pids-released");
    const program = ["sh", "-c", `sleep 300 & echo $$ $! > ${pidFile}; exit 0`];
    const run = startHush(["exec-env", "--redact", file, "--", ...program], { cwd: k.dir, env: k.env, newSession: true });
    const [shell, background] = (await waitForPids(pidFile)) as [number, number];
    try {
      expect(await goneSoon(shell)).toBe(true);
      // hush releases the watcher of the program's group (its shell reads the line and ends) once
      // the program has ended: the old code kept it armed while the background sleep held the
      // output pipe, so a SIGKILL to hush then had it kill -9 a group whose id may be reused.
      for (let waited = 0; watcherOf(shell) !== undefined && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(watcherOf(shell), "the watcher of the program's group is still armed after the program ended").toBeUndefined();
      process.kill(run.child.pid!, "SIGKILL");
      expect((await run.done).signal).toBe("SIGKILL");
    } finally {
      if (!gone(background)) process.kill(background, "SIGKILL");
    }
  });
});
