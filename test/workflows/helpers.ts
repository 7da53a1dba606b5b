import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { decryptText, type FileFormat } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { expect } from "vitest";
import { HUSH_SCRIPT, makeTempDir, repoPath, runHush, type HushResult } from "@hush/testkit";

/** The CLI entry point, run with node directly (no shell wrapper: its PID is hush's). */
export const CLI_JS = HUSH_SCRIPT;

export interface KeyedDir {
  readonly dir: string;
  readonly keyFile: string;
  readonly keyText: string;
  readonly recipient: string;
  readonly env: Record<string, string>;
  cleanup(): void;
  /** Runs hush in this directory with the key in the environment. */
  hush(args: readonly string[], options?: { env?: Record<string, string | undefined>; input?: string }): HushResult;
  /** Decrypts a file in this process (fast; no CLI start-up). */
  decrypt(path: string, format?: FileFormat): Promise<string>;
  path(name: string): string;
}

/** A temporary directory with a fresh age key (made by `hush keygen`). */
export function keyedDir(): KeyedDir {
  const tmp = makeTempDir("hush-wf-");
  const keyFile = join(tmp.path, "key.txt");
  const r = runHush(["keygen", "-o", keyFile], { cwd: tmp.path });
  if (r.status !== 0) throw new Error(`hush keygen failed: ${r.stderr}`);
  const recipient = /Public key: (age1[0-9a-z]+)/.exec(r.stderr)?.[1];
  if (recipient === undefined) throw new Error(`no public key in: ${r.stderr}`);
  const keyText = readFileSync(keyFile, "utf8");
  const env = { SOPS_AGE_KEY_FILE: keyFile };
  const source = new AgeKeySource({ identities: parseAgeIdentities(keyText) });
  return {
    dir: tmp.path,
    keyFile,
    keyText,
    recipient,
    env,
    cleanup: tmp.cleanup,
    hush: (args, options = {}) => runHush(args, { cwd: tmp.path, env: { ...env, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) }),
    decrypt: async (path, format = "yaml") =>
      decryptText(readFileSync(path, "utf8"), { format, keySources: async (kind) => (kind === "age" ? source : undefined) }),
    path: (name) => join(tmp.path, name),
  };
}

/**
 * An application directory `app` in `k` whose `node_modules/@hush/cli` links to the workspace's
 * CLI package, so that `import "@hush/cli/config"` loads the loader under test; returns its path.
 */
export function appUsingWorkspaceCli(k: KeyedDir): string {
  const app = k.path("app");
  mkdirSync(join(app, "node_modules", "@hush"), { recursive: true });
  symlinkSync(repoPath("packages", "cli"), join(app, "node_modules", "@hush", "cli"), "dir");
  return app;
}

/**
 * Runs a bash script in `k`'s directory (or `cwd`) with the key in the environment (or `env`);
 * `hush` is the CLI under test there. bash gives real pipes (a Node parent's are sockets).
 */
export function bash(k: KeyedDir, script: string, env: Record<string, string> = k.env, cwd = k.dir): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("bash", ["-c", `hush() { "$NODE" "$HUSH_JS" "$@"; }\n${script}`], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", NODE: process.execPath, HUSH_JS: CLI_JS, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  if (r.error !== undefined) throw new Error(`this test needs bash: ${r.error.message}`);
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `plain` and encrypts it in place with the directory's key. */
export function encryptFile(k: KeyedDir, name: string, plain: string): string {
  const p = k.path(name);
  writeFileSync(p, plain);
  const r = k.hush(["encrypt", "-i", "--age", k.recipient, p]);
  if (r.status !== 0) throw new Error(`encrypt failed: ${r.stderr}`);
  return p;
}

/** Replaces a file's text with `tamper(text)`, as a branch without the key would, asserting the edit changed it; returns the new text. */
export function tamperWith(path: string, tamper: (text: string) => string): string {
  const before = readFileSync(path, "utf8");
  const after = tamper(before);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
  return after;
}

/** A YAML document of `sections` × `perSection` distinct string values. */
export function bigYaml(sections = 10, perSection = 100): string {
  let s = "# configuration\n";
  for (let i = 0; i < sections; i++) {
    s += `section${i}:\n`;
    for (let j = 0; j < perSection; j++) s += `    key${j}: value-${i}-${j}\n`;
  }
  return s;
}

/** Numbers of the lines that differ; throws when the line counts differ. */
export function changedLines(a: string, b: string): number[] {
  const x = a.split("\n");
  const y = b.split("\n");
  if (x.length !== y.length) throw new Error(`line counts differ: ${x.length} vs ${y.length}`);
  const out: number[] = [];
  x.forEach((line, i) => {
    if (line !== y[i]) out.push(i + 1);
  });
  return out;
}

/** Resolves after the wall clock has passed a second boundary (so `lastmodified` changes). */
export async function nextSecond(): Promise<void> {
  const ms = 1000 - (Date.now() % 1000) + 20;
  await new Promise((r) => setTimeout(r, ms));
}

export interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Starts hush without waiting (for signals and concurrency tests). `newSession`: hush runs in a
 * session of its own, so without a controlling terminal wherever the tests run, and as the leader
 * of its own process group (as a supervisor such as `timeout` makes it). `fd3`: hush's file
 * descriptor 3 (`/dev/fd/3`), as it is: Node makes 0 to 2 of a child blocking, not 3.
 */
export function startHush(args: readonly string[], options: { cwd: string; env: Record<string, string>; newSession?: boolean; fd3?: number | Socket }): Running {
  const child = spawn(process.execPath, [CLI_JS, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...options.env },
    stdio: ["ignore", "pipe", "pipe", ...(options.fd3 === undefined ? [] : [options.fd3])],
    detached: options.newSession === true,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((res) => {
    child.on("close", (code, signal) => res({ code, signal, stdout, stderr }));
  });
  return { child, done };
}
