import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { sopsVector, startKmsTestServer, type KmsTestServer } from "@hush/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bash, encryptFile, keyedDir, startHush } from "../workflows/helpers.ts";
import { goneSoon, hush, waitForPids } from "./helpers.ts";

/**
 * Key commands (SOPS_AGE_KEY_CMD) wait on a network or a prompt (`pass`, `op read`, `vault kv
 * get`), in deploy scripts and CI jobs where nobody watches. A termination signal to hush ends the
 * command and what it started, and hush ends at once as the signal says, leaving no lock. The
 * command here sleeps 30 s: past each test's time limit, which is what "at once" means here.
 */
describe("a termination signal while a key command runs", () => {
  const k = keyedDir();
  afterAll(() => k.cleanup());
  const plain = "password: s3cr3t\n";
  const file = encryptFile(k, "app.enc.yaml", plain);
  const encrypted = readFileSync(file, "utf8");

  /** A key command that writes its PID and its child's to `pidFile`, then waits. */
  const slowCommand = (pidFile: string): string => `sh -c 'sleep 30 & echo $$ $! > ${pidFile}; wait; cat ${k.keyFile}'`;

  const cases: { args: readonly string[]; signal: NodeJS.Signals; exit: { code: number | null; signal: NodeJS.Signals | null } }[] = [
    { args: ["decrypt", "app.enc.yaml"], signal: "SIGTERM", exit: { code: null, signal: "SIGTERM" } },
    { args: ["decrypt", "app.enc.yaml"], signal: "SIGHUP", exit: { code: null, signal: "SIGHUP" } },
    { args: ["decrypt", "app.enc.yaml"], signal: "SIGINT", exit: { code: null, signal: "SIGINT" } },
    { args: ["set", "app.enc.yaml", '["other"]', '"x"'], signal: "SIGTERM", exit: { code: null, signal: "SIGTERM" } },
    { args: ["decrypt", "-i", "app.enc.yaml"], signal: "SIGINT", exit: { code: null, signal: "SIGINT" } },
    // The editor session's own handler: SOPS's "User canceled operation", status 1; by SIGINT, SIGINT.
    { args: ["edit", "app.enc.yaml"], signal: "SIGTERM", exit: { code: 1, signal: null } },
    { args: ["edit", "app.enc.yaml"], signal: "SIGINT", exit: { code: null, signal: "SIGINT" } },
  ];

  for (const [n, { args, signal, exit }] of cases.entries()) {
    it(`hush ${args[0]}${args[1] === "-i" ? " -i" : ""}: ${signal} ends the command and its child, and hush (${exit.signal ?? `status ${exit.code}`}), leaving no lock`, { timeout: 15_000 }, async () => {
      const pidFile = k.path(`pids-${n}`);
      const run = startHush(args, { cwd: k.dir, env: { SOPS_AGE_KEY_CMD: slowCommand(pidFile), EDITOR: "true" } });
      const pids = await waitForPids(pidFile);
      expect(pids).toHaveLength(2);
      run.child.kill(signal);
      const result = await run.done;
      expect({ code: result.code, signal: result.signal }).toEqual(exit);
      for (const pid of pids) expect(await goneSoon(pid), `process ${pid} of the key command`).toBe(true);
      expect(readdirSync(k.dir).filter((name) => name.includes("hush"))).toEqual([]);
      expect(readFileSync(file, "utf8")).toBe(encrypted);
    });
  }

  it("a key command that finishes still gives the key", { timeout: 15_000 }, async () => {
    const r = await hush(["decrypt", "app.enc.yaml"], { cwd: k.dir, env: { SOPS_AGE_KEY_CMD: `sh -c 'sleep 0.2 & wait; cat ${k.keyFile}'` } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(plain);
  });
});

/**
 * An identity file that is a device or a pipe nothing writes to hung hush (read until memory ran
 * out, or an open() waiting for a writer); it is refused with the variable named. A pipe that is
 * written to (`<(pass show age-key)`) is read.
 */
describe("an identity file that never ends", () => {
  const k = keyedDir();
  afterAll(() => k.cleanup());
  const file = encryptFile(k, "app.enc.yaml", "password: s3cr3t\n");

  it("/dev/zero, a FIFO with no writer and /proc/self/pagemap are refused, naming the variable", { timeout: 15_000 }, async () => {
    const fifo = k.path("key.fifo");
    expect(bash(k, "mkfifo key.fifo").status, "this test needs mkfifo").toBe(0);
    const expected: Record<string, string> = {
      "/dev/zero": "SOPS_AGE_KEY_FILE=/dev/zero: not a file (a device or socket): set it to a file of identities",
      [fifo]: `SOPS_AGE_KEY_FILE=${fifo}: a pipe that nothing writes to: start the program that writes it first, or use SOPS_AGE_KEY_CMD`,
      "/proc/self/pagemap": "SOPS_AGE_KEY_FILE=/proc/self/pagemap: not a regular file (a file that holds more than its size says, such as /proc/self/pagemap): set it to a file of identities",
    };
    for (const [path, line] of Object.entries(expected)) {
      for (const name of ["SOPS_AGE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_FILE"]) {
        const r = await hush(["decrypt", file], { cwd: k.dir, env: { [name]: path }, timeoutMs: 5_000 });
        expect(r.status, `${name}=${path}`).toBe(128);
        expect(r.stderr).toContain(line.replace("SOPS_AGE_KEY_FILE", name));
      }
    }
  });

  it("a pipe its writer fills late is read", { timeout: 15_000 }, async () => {
    const r = bash(k, `SOPS_AGE_KEY_FILE=<(sleep 0.5; cat key.txt) hush decrypt app.enc.yaml`, {});
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("password: s3cr3t\n");
  });
});

/**
 * gpg waiting on the agent's passphrase dialog or a keyserver outlived hush ended by a signal (and
 * `hush set` left its lock): it is ended with hush. The gpg here is a program that waits.
 */
describe("a termination signal while gpg runs", () => {
  const k = keyedDir();
  afterAll(() => k.cleanup());

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`hush set: ${signal} ends gpg, and hush by ${signal}, leaving no lock`, { timeout: 15_000 }, async () => {
      const file = k.path(`pgp-${signal}.enc.yaml`);
      copyFileSync(sopsVector("format.enc.yaml"), file);
      const before = readFileSync(file, "utf8");
      const pidFile = k.path(`gpg-pid-${signal}`);
      const gpg = k.path("slow-gpg");
      writeFileSync(gpg, `#!/bin/sh\necho $$ > "$PID_FILE"\nexec sleep 30\n`, { mode: 0o755 });
      const home = k.path("gnupg");
      mkdirSync(home, { recursive: true, mode: 0o700 });
      const run = startHush(["set", file, '["other"]', '"x"'], { cwd: k.dir, env: { SOPS_GPG_EXEC: gpg, GNUPGHOME: home, PID_FILE: pidFile } });
      const [pid] = await waitForPids(pidFile);
      run.child.kill(signal);
      const result = await run.done;
      expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal });
      expect(await goneSoon(pid!), "gpg").toBe(true);
      expect(readdirSync(k.dir).filter((name) => name.includes("hush"))).toEqual([]);
      expect(readFileSync(file, "utf8")).toBe(before);
    });
  }
});

/**
 * A KMS call that waits (a slow or unreachable endpoint, a proxy holding the request): a
 * termination signal ends hush at once, as the signal says or, in edit, with the cancel message
 * once, and leaves no lock, no temporary file and the file as it was. The server here answers only
 * after each test's time limit.
 */
describe("a termination signal while a KMS call waits", () => {
  const k = keyedDir();
  let kms: KmsTestServer;
  let encrypted = "";
  beforeAll(async () => {
    kms = await startKmsTestServer();
    writeFileSync(k.path("kms.yaml"), "password: s3cr3t\n");
    const r = await hush(["encrypt", "-i", "--kms", kms.createKey(), "kms.yaml"], { cwd: k.dir, env: kms.env });
    expect(r.status, r.stderr).toBe(0);
    encrypted = readFileSync(k.path("kms.yaml"), "utf8");
    kms.setLatency(60_000);
  });
  afterAll(async () => {
    await kms.stop();
    k.cleanup();
  });

  const cases: { args: (file: string) => string[]; signal: NodeJS.Signals; exit: { code: number | null; signal: NodeJS.Signals | null }; stderr: string }[] = [
    { args: (f) => ["set", f, '["other"]', '"x"'], signal: "SIGTERM", exit: { code: null, signal: "SIGTERM" }, stderr: "" },
    { args: (f) => ["set", f, '["other"]', '"x"'], signal: "SIGHUP", exit: { code: null, signal: "SIGHUP" }, stderr: "" },
    { args: (f) => ["set", f, '["other"]', '"x"'], signal: "SIGQUIT", exit: { code: 131, signal: null }, stderr: "" },
    { args: (f) => ["decrypt", "-i", f], signal: "SIGINT", exit: { code: null, signal: "SIGINT" }, stderr: "" },
    { args: (f) => ["edit", f], signal: "SIGTERM", exit: { code: 1, signal: null }, stderr: "hush: User canceled operation\n" },
    { args: (f) => ["edit", f], signal: "SIGINT", exit: { code: null, signal: "SIGINT" }, stderr: "hush: User canceled operation\n" },
  ];
  for (const [n, { args, signal, exit, stderr }] of cases.entries()) {
    const shown = args("FILE").join(" ");
    it(`hush ${shown}: ${signal} ends hush (${exit.signal ?? `status ${exit.code}`}) leaving no lock and the file as it was`, { timeout: 15_000 }, async () => {
      const file = `kms-${n}.enc.yaml`;
      writeFileSync(k.path(file), encrypted);
      const before = kms.callCount;
      const run = startHush(args(file), { cwd: k.dir, env: { ...kms.env, EDITOR: "true" } });
      while (kms.callCount === before) await new Promise((r) => setTimeout(r, 20));
      run.child.kill(signal);
      const result = await run.done;
      expect({ code: result.code, signal: result.signal }).toEqual(exit);
      expect(result.stderr).toBe(stderr);
      expect(readdirSync(k.dir).filter((name) => name.includes("hush"))).toEqual([]);
      expect(readFileSync(k.path(file), "utf8")).toBe(encrypted);
    });
  }
});
