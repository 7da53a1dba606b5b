import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, makeTempDir, runHush, sopsVector } from "@hush/testkit";
import { openTerminal, requireTerminalTools } from "./terminal.ts";

/**
 * A passphrase-protected age identity file, asked for on a real terminal (tmux): the passphrase
 * opens the file, and Ctrl+C at the prompt ends hush as Ctrl+C anywhere else does, by SIGINT, so
 * a script looping over files stops instead of going on to the next one.
 */

interface AgeMockVectors {
  readonly mockRecipient: string;
  readonly mockIdentityPassphrase: string;
  readonly mockEncryptedIdentity: string;
}

let tmp: ReturnType<typeof makeTempDir>;
let env: Record<string, string>;
const vectors = JSON.parse(readFileSync(sopsVector("age-mock-vectors.json"), "utf8")) as AgeMockVectors;

beforeAll(() => {
  requireTerminalTools();
  tmp = makeTempDir("hush-passphrase-");
  const home = join(tmp.path, "home");
  mkdirSync(home);
  const identity = join(tmp.path, "keys.age");
  writeFileSync(identity, vectors.mockEncryptedIdentity, { mode: 0o600 });
  writeFileSync(join(tmp.path, "app.yaml"), "password: pass-9f3a\n");
  const enc = runHush(["encrypt", "--age", vectors.mockRecipient, "app.yaml"], { cwd: tmp.path, env: { HOME: home } });
  expect(enc.status, enc.stderr).toBe(0);
  writeFileSync(join(tmp.path, "app.enc.yaml"), enc.stdout);
  env = { HOME: home, PATH: process.env["PATH"] ?? "/usr/bin:/bin", LANG: "C", SOPS_AGE_KEY_FILE: identity };
});

afterAll(() => tmp.cleanup());

/** Runs hush with `args` under a node parent that prints how hush ended (the parent gets no signal of its own). */
function hushUnderParent(name: string, args: readonly string[]): ReturnType<typeof openTerminal> {
  const parent = `const r = require("node:child_process").spawnSync(process.execPath, ${JSON.stringify([HUSH_SCRIPT, ...args])}, { stdio: "inherit" }); console.log("hush ended: signal=" + r.signal + " status=" + r.status);`;
  return openTerminal(tmp.path, name, [process.execPath, "-e", parent], tmp.path, env);
}

/** Runs `hush decrypt app.enc.yaml` (see {@link hushUnderParent}). */
function decryptUnderParent(name: string): ReturnType<typeof openTerminal> {
  return hushUnderParent(name, ["decrypt", "app.enc.yaml"]);
}

describe("the passphrase prompt in a real terminal (tmux)", () => {
  it("the passphrase typed at the prompt opens the identity file", async () => {
    const t = decryptUnderParent("typed");
    try {
      await t.waitForScreen((s) => s.includes("Enter passphrase for age identity file"), "the passphrase prompt");
      t.type(vectors.mockIdentityPassphrase);
      t.keys("Enter");
      const screen = await t.waitForScreen((s) => s.includes("hush ended:"), "hush to end");
      expect(screen).toContain("password: pass-9f3a");
      expect(screen).toContain("hush ended: signal=null status=0");
      // Not echoed: the prompt's row ends where the prompt does.
      expect(screen.split("\n").find((row) => row.includes("Enter passphrase"))?.trimEnd()).toMatch(/keys\.age:$/);
    } finally {
      t.close();
    }
  });

  it("Ctrl+C at the prompt ends hush by SIGINT, not with a key error and a status a script would carry on from", async () => {
    const t = decryptUnderParent("interrupted");
    try {
      await t.waitForScreen((s) => s.includes("Enter passphrase for age identity file"), "the passphrase prompt");
      t.keys("C-c");
      const screen = await t.waitForScreen((s) => s.includes("hush ended:"), "hush to end");
      expect(screen).toContain("hush ended: signal=SIGINT status=null");
      expect(screen).not.toContain("could not decrypt");
      expect(screen).not.toContain("pass-9f3a");
    } finally {
      t.close();
    }
  });

  // The prompt comes while the command holds the file's lock (and, in edit, its editor session):
  // hush dies of SIGINT only once they are cleaned up, as for Ctrl+C anywhere else.
  it.each([
    ["edit", []],
    ["set", ['["password"]', '"new-4c1d"']],
  ] as const)("Ctrl+C at the prompt of hush %s ends it by SIGINT and leaves no lock behind", async (command, args) => {
    const file = `${command}.enc.yaml`;
    const before = readFileSync(join(tmp.path, "app.enc.yaml"), "utf8");
    writeFileSync(join(tmp.path, file), before);
    const t = hushUnderParent(`interrupted-${command}`, [command, file, ...args]);
    try {
      await t.waitForScreen((s) => s.includes("Enter passphrase for age identity file"), "the passphrase prompt");
      t.keys("C-c");
      const screen = await t.waitForScreen((s) => s.includes("hush ended:"), "hush to end");
      expect(screen).toContain("hush ended: signal=SIGINT status=null");
      expect(readdirSync(tmp.path).filter((name) => name.includes("hush-lock"))).toEqual([]);
      expect(readFileSync(join(tmp.path, file), "utf8")).toBe(before);
    } finally {
      t.close();
    }
  });

  // The prompt puts the terminal in raw mode (no echo). hush ended by a signal there must give it
  // back as it found it, for what runs next in that terminal: a script's next command, its shell.
  it.each(["SIGHUP", "SIGTERM", "SIGINT"] as const)("%s to hush at the prompt leaves the terminal with echo and line editing", async (signal) => {
    const name = `mode-${signal}`;
    const pidFile = join(tmp.path, `${name}.pid`);
    const sttyFile = join(tmp.path, `${name}.stty`);
    // hush's own streams elsewhere, as in a script: it asks on the terminal all the same.
    const script = `"$0" "$1" decrypt app.enc.yaml </dev/null >/dev/null 2>&1 & echo $! > ${name}.pid; wait $!; echo "status $?" > ${name}.stty; stty -a >> ${name}.stty`;
    const t = openTerminal(tmp.path, name, ["sh", "-c", script, process.execPath, HUSH_SCRIPT], tmp.path, env);
    try {
      await t.waitForScreen((s) => s.includes("Enter passphrase for age identity file"), "the passphrase prompt");
      process.kill(Number(readFileSync(pidFile, "utf8")), signal);
      expect(await t.waitForExit()).toBe(0);
      const [status, ...modes] = readFileSync(sttyFile, "utf8").split("\n");
      expect(status).toBe(`status ${128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]}`);
      const flags = modes.join(" ").split(/[\s;]+/);
      expect(flags).toContain("echo");
      expect(flags).toContain("icanon");
    } finally {
      t.close();
    }
  });
});
