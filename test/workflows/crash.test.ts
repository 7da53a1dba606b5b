import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, startHush, type KeyedDir } from "./helpers.ts";

/**
 * Atomic writes: `hush set` killed with SIGKILL at random moments must leave every file
 * decrypting to its old or its new content, never a truncated or mixed one.
 */
describe("hush set under SIGKILL", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("200 kills at random moments: each file decrypts to the old or the new content", async () => {
    const FILES = 8;
    const ROUNDS = 25;
    const body = (v: string): string => `keep: constant\nlist:\n    - a\n    - b\nvalue: ${v}\nafter: also constant\n`;
    const files = Array.from({ length: FILES }, (_, i) => encryptFile(k, `f${i}.yaml`, body("v0")));
    const current = files.map(() => "v0");
    // How long a whole `hush set` takes here with this many at once: kills are spread over it,
    // so they land before, during and after the write.
    const t0 = Date.now();
    const warm = files.map((f) => startHush(["set", f, '["value"]', '"v0"'], { cwd: k.dir, env: k.env }));
    for (const r of await Promise.all(warm.map((w) => w.done))) expect(r.code, r.stderr).toBe(0);
    const span = Math.max(80, Date.now() - t0);
    let killed = 0;
    let completed = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const next = `v${round}`;
      const runs = files.map((f) => startHush(["set", f, '["value"]', `"${next}"`], { cwd: k.dir, env: k.env }));
      for (const r of runs) {
        const delay = Math.floor(Math.random() * span);
        setTimeout(() => r.child.kill("SIGKILL"), delay);
      }
      const results = await Promise.all(runs.map((r) => r.done));
      for (let i = 0; i < FILES; i++) {
        const res = results[i]!;
        if (res.signal === "SIGKILL") killed++;
        else {
          expect(res.code, res.stderr).toBe(0);
          completed++;
        }
        const plain = await k.decrypt(files[i]!);
        expect([body(current[i]!), body(next)]).toContain(plain);
        if (plain === body(next)) current[i] = next;
      }
    }
    expect(killed + completed).toBe(FILES * ROUNDS);
    expect(killed).toBeGreaterThan(0);
    // Locks of killed processes are taken over by the next run; temp files of killed writers
    // hold ciphertext only.
    for (const name of readdirSync(k.dir).filter((n) => n.endsWith(".tmp") && !n.includes("hush-lock"))) {
      expect(readFileSync(k.path(name), "utf8")).not.toMatch(/value: v\d/);
    }
  }, 120_000);
});

/** Resolves with the first line of a running hush's stdout (the path the command echoes). */
async function firstLine(read: () => string, what: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const nl = read().indexOf("\n");
    if (nl >= 0) return read().slice(0, nl);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no output from ${what}`);
}

/**
 * `exec-file` must end promptly when it is told to stop, whatever the command is doing,
 * including before the command has opened the FIFO (hush then waits for a reader): the signal is
 * passed on, the FIFO and its private directory are removed, the exit status is the command's.
 * Bounds are generous: they separate "ends at once" from "hangs until killed".
 */
/**
 * A signal while hush writes a file (Ctrl+C, SIGTERM): the temporary file beside the target, the
 * plaintext itself for `decrypt --output` and `-i`, must not stay behind. The write finishes
 * first, then hush ends by the signal.
 */
describe("hush decrypt --output under signals", () => {
  let k: KeyedDir;
  let enc: string;
  let plain: Buffer;
  beforeAll(() => {
    k = keyedDir();
    // Large enough that writing it takes a while: the signal comes while the temporary file is there.
    plain = randomBytes(24 * 1024 * 1024);
    writeFileSync(k.path("blob.bin"), plain);
    enc = k.path("blob.enc");
    const r = k.hush(["encrypt", "--input-type", "binary", "--age", k.recipient, "--output", enc, k.path("blob.bin")]);
    expect(r.status, r.stderr).toBe(0);
  });
  afterAll(() => k.cleanup());

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while the plaintext is written: the file is whole, hush ends by ${signal}, and no .hush-*.tmp is left`, async () => {
      const dir = k.path(`out-${signal}`);
      mkdirSync(dir);
      const out = join(dir, "plain.bin");
      const child = spawn(process.execPath, [CLI_JS, "decrypt", "--input-type", "binary", "--output", out, enc], { env: { ...process.env, ...k.env }, stdio: "ignore" });
      const ended = new Promise<NodeJS.Signals | number | null>((resolve) => child.on("exit", (code, sig) => resolve(sig ?? code)));
      // Sent the moment the temporary file appears.
      const deadline = Date.now() + 60_000;
      let sent = false;
      while (!sent && Date.now() < deadline && child.exitCode === null) {
        if (readdirSync(dir).some((n) => n.includes(".hush-"))) {
          child.kill(signal);
          sent = true;
        } else await new Promise((r) => setImmediate(r));
      }
      expect(sent).toBe(true);
      expect(await ended).toBe(signal);
      expect(readdirSync(dir)).toEqual(["plain.bin"]);
      expect(readFileSync(out).equals(plain)).toBe(true);
    });
  }
});

describe("hush exec-file under signals", () => {
  let k: KeyedDir;
  let f: string;
  // The command prints the FIFO's path, then does not open it for 30 s.
  const idle = "echo {}; for i in $(seq 300); do sleep 0.1; done; cat {}";
  beforeAll(() => {
    k = keyedDir();
    f = encryptFile(k, "f.json", '{"a": "b"}\n');
  });
  afterAll(() => k.cleanup());

  it("`timeout 2 hush exec-file` ends when timeout sends SIGTERM, FIFO and directory removed", async () => {
    const t0 = Date.now();
    const child = spawn("timeout", ["-k", "30", "2", process.execPath, CLI_JS, "exec-file", f, idle], {
      cwd: k.dir,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...k.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => {
      throw new Error(`cannot run timeout (install GNU coreutils): ${err.message}`);
    });
    const fifo = await firstLine(() => stdout, "hush exec-file");
    const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    expect(Date.now() - t0, stderr).toBeLessThan(15_000);
    expect(code).toBe(124);
    expect(existsSync(fifo)).toBe(false);
    expect(existsSync(dirname(fifo))).toBe(false);
  }, 60_000);

  it.each([
    ["SIGTERM", { code: 143, signal: null }],
    ["SIGHUP", { code: 129, signal: null }],
    // The command dies of it, and so does hush (a shell running a script then stops it).
    ["SIGINT", { code: null, signal: "SIGINT" }],
    // Passed on as SIGTERM: a SIGQUIT would make the command dump core with the secrets.
    ["SIGQUIT", { code: 143, signal: null }],
  ] as const)("%s sent to hush alone is passed on; hush ends as %o at once and removes the FIFO", async (signal, status) => {
    const run = startHush(["exec-file", f, idle], { cwd: k.dir, env: k.env });
    let out = "";
    run.child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    const fifo = await firstLine(() => out, "hush exec-file");
    expect(existsSync(fifo)).toBe(true);
    const t0 = Date.now();
    run.child.kill(signal);
    // A hush that hangs is killed after 20 s (the test then fails on the time).
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
    const exited = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
      run.child.on("exit", (code, sig) => res({ code, signal: sig })),
    );
    clearTimeout(timer);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(exited).toEqual(status);
    expect(existsSync(dirname(fifo))).toBe(false);
  }, 60_000);

  it("a command that removes the FIFO without opening it does not leave hush waiting", async () => {
    const run = startHush(["exec-file", f, "rm {}"], { cwd: k.dir, env: k.env });
    const t0 = Date.now();
    const timer = setTimeout(() => run.child.kill("SIGKILL"), 20_000);
    const res = await run.done;
    clearTimeout(timer);
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
  }, 60_000);
});

/** The processes whose command line names `text` (read from /proc). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(text)) found.push(Number(name));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** Waits (polling, at most 10 s) until `done()` holds; returns whether it did. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 50));
  return done();
}

/**
 * SIGKILL (the out-of-memory killer, `kill -9`) ends hush without running its code: the private
 * directory holding the plaintext an editor or command was given must still go at once, not wait
 * for the next hush run to sweep it.
 */
describe("hush edit and exec-file killed with SIGKILL", () => {
  let k: KeyedDir;
  let f: string;
  beforeAll(() => {
    k = keyedDir();
    f = encryptFile(k, "f.yaml", "password: hunter2\n");
  });
  afterAll(() => k.cleanup());

  it("the plaintext's directory is removed when hush is killed while the editor has it", async () => {
    const mark = k.path("editing");
    // The editor notes the file it was given and its own process ID, then waits.
    const editor = `sh -c 'echo "$0" > ${mark}.tmp && echo $$ >> ${mark}.tmp && mv ${mark}.tmp ${mark} && exec sleep 60'`;
    const run = startHush(["edit", f], { cwd: k.dir, env: { ...k.env, EDITOR: editor } });
    expect(await eventually(() => existsSync(mark))).toBe(true);
    const [plainPath, editorPid] = readFileSync(mark, "utf8").trim().split("\n");
    expect(readFileSync(plainPath!, "utf8")).toBe("password: hunter2\n");
    run.child.kill("SIGKILL");
    try {
      expect(await eventually(() => !existsSync(dirname(plainPath!)))).toBe(true);
    } finally {
      process.kill(Number(editorPid), "SIGKILL");
    }
  }, 30_000);

  it("exec-file's file is removed when hush is killed while the command runs", async () => {
    const run = startHush(["exec-file", "--no-fifo", f, "echo {}; exec sleep 60"], { cwd: k.dir, env: k.env });
    let out = "";
    run.child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    const file = await firstLine(() => out, "hush exec-file");
    expect(readFileSync(file, "utf8")).toContain("hunter2");
    const command = processesNaming("sleep 60").filter((pid) => readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[3] === String(run.child.pid));
    run.child.kill("SIGKILL");
    try {
      expect(await eventually(() => !existsSync(dirname(file)))).toBe(true);
    } finally {
      for (const pid of command) process.kill(pid, "SIGKILL");
    }
  }, 30_000);

  it("after a run that ends normally, the watcher is gone too", async () => {
    const run = startHush(["exec-file", "--no-fifo", f, "echo {}"], { cwd: k.dir, env: k.env });
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    const dir = dirname(res.stdout.trim());
    expect(existsSync(dir)).toBe(false);
    expect(await eventually(() => processesNaming(dir).length === 0)).toBe(true);
  }, 30_000);
});
