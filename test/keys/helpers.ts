import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encryptText, type FileFormat, type KeyGroupRecipients, type KeySource } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair } from "@hush/key-source-age";
import { HUSH_SCRIPT, requireBuiltCli } from "@hush/testkit";

/** The built CLI's entry point (`pnpm build` must have run). */
export const HUSH_JS = HUSH_SCRIPT;

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built `hush` without blocking this process: the KMS test server lives in the test's
 * own event loop, so a synchronous spawn would leave it unable to answer. The environment is
 * minimal and explicit, so a developer's own keys and AWS settings never reach a test.
 */
export function hush(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<Run> {
  requireBuiltCli();
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C" };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [HUSH_JS, ...args], { cwd: options.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", fail);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ status: code ?? (signal === null ? 1 : 128), stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    // Most commands never read standard input and may exit before it is written: a closed pipe
    // (EPIPE) is then no failure of the test, and unhandled it would fail the whole run.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}

/** `hush encrypt --age RECIPIENT` of `plaintext`, written first as `dir/name`: the encrypted text. */
export async function hushEncrypted(dir: string, name: string, plaintext: string, recipient: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, plaintext);
  const r = await hush(["encrypt", "--age", recipient, path]);
  if (r.status !== 0) throw new Error(`hush encrypt ${name} failed: ${r.stderr}`);
  return r.stdout;
}

/** The error lines of a `hush check` report about `name`: `FILE: error: …`, or `FILE:LINE: error: …` for a problem at a line. */
export function checkErrorLines(stdout: string, name: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith(`${name}:`) && / error: /.test(l.slice(0, name.length + 16)));
}

export interface AgeKey {
  readonly recipient: string;
  /** Path of a keys file holding the identity (for SOPS_AGE_KEY_FILE). */
  readonly file: string;
}

/** A new age key pair, its identity written to `dir/name.txt`. */
export async function makeAgeKey(dir: string, name: string): Promise<AgeKey> {
  const pair = await generateAgeKeyPair();
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, `# ${name}\n${pair.identity}\n`, { mode: 0o600 });
  return { recipient: pair.recipient, file };
}

/** A keys file holding several identities (SOPS_AGE_KEY_FILE takes one file). */
export function combineKeys(dir: string, name: string, keys: readonly AgeKey[]): string {
  const file = join(dir, `${name}.txt`);
  writeFileSync(file, keys.map((k) => readFileSync(k.file, "utf8")).join(""), { mode: 0o600 });
  return file;
}

const ageOnly = new AgeKeySource();

/**
 * Encrypts a plaintext document in this process with age recipients (fixtures for directory
 * tests: twenty `hush encrypt` processes would cost seconds for nothing under test).
 */
export async function encryptForAge(text: string, format: FileFormat, groups: KeyGroupRecipients, shamirThreshold = 0): Promise<string> {
  return encryptText(text, { format, keyGroups: groups, shamirThreshold, keySources: async (kind): Promise<KeySource | undefined> => (kind === "age" ? ageOnly : undefined) });
}

/** The `age` recipients written in a file's metadata, in order. */
export function ageRecipientsIn(text: string): string[] {
  return [...text.matchAll(/recipient"?:\s*"?(age1[a-z0-9]+)/g)].map((m) => m[1]!);
}

/** Every ENC[…] value of a file, in order. */
export function encValues(text: string): string[] {
  return [...text.matchAll(/ENC\[AES256_GCM,[^\]]*\]/g)].map((m) => m[0]);
}

/** The file's text without its `sops` section (YAML or JSON as hush writes them). */
export function dataPart(text: string, format: "yaml" | "json"): string {
  if (format === "yaml") return text.slice(0, text.indexOf("\nsops:\n"));
  return text.slice(0, text.indexOf('\t"sops": {'));
}

/** Whether `pid` is gone: no such process, or one that died and waits to be reaped. */
export const gone = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").startsWith("Z");
  } catch {
    return true;
  }
};

/**
 * Whether `pid` is gone within a few seconds: a process sent SIGKILL ends when the kernel next
 * runs it, which on a loaded machine can be after its killer has exited. One that was not killed
 * (a key command's `sleep 30`) is still there when this gives up.
 */
export const goneSoon = async (pid: number, withinMs = 5_000): Promise<boolean> => {
  for (let waited = 0; !gone(pid); waited += 20) {
    if (waited >= withinMs) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
};

/** The PIDs a program wrote to `pidFile` (one line), once it has. */
export const waitForPids = async (pidFile: string): Promise<number[]> => {
  for (;;) {
    const text = existsSync(pidFile) ? readFileSync(pidFile, "utf8") : "";
    if (text.endsWith("\n")) return text.trim().split(" ").map(Number);
    await new Promise((r) => setTimeout(r, 20));
  }
};
