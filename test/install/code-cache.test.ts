import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, run } from "./helpers.ts";

/**
 * The bundled CLI's V8 code cache: private to the user, keyed by content, never trusted from a
 * directory or file others may write, and never needed for a correct result.
 */
describe("the code cache of the bundled CLI", () => {
  let tmp: { path: string; cleanup: () => void };
  let hush: (home: string, args: string[], extra?: Record<string, string>) => ReturnType<typeof run>;
  let enc: string;
  let keyFile: string;
  const PLAIN = "db:\n  password: s3cret\n";

  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-cache-");
    const bin = join(BUNDLE_OUT, "bin", "hush.cjs");
    hush = (home, args, extra = {}) => run(process.execPath, [bin, ...args], { cwd: tmp.path, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, LANG: "C", SOPS_AGE_KEY_FILE: keyFile, ...extra } });
    keyFile = join(tmp.path, "key.txt");
    const setupHome = join(tmp.path, "setup-home");
    mkdirSync(setupHome);
    const kg = hush(setupHome, ["keygen", "-o", keyFile], { HUSH_CODE_CACHE: "0" });
    const recipient = /Public key: (age1[0-9a-z]+)/.exec(kg.stderr)?.[1];
    if (recipient === undefined) throw new Error(`hush keygen failed: ${kg.stderr}`);
    writeFileSync(join(tmp.path, "app.yaml"), PLAIN);
    enc = join(tmp.path, "app.enc.yaml");
    const e = hush(setupHome, ["encrypt", "--age", recipient, "--output", enc, join(tmp.path, "app.yaml")], { HUSH_CODE_CACHE: "0" });
    if (e.status !== 0) throw new Error(`hush encrypt failed: ${e.stderr}`);
  });
  afterAll(() => tmp?.cleanup());

  const freshHome = (name: string): string => {
    const home = join(tmp.path, name);
    mkdirSync(home);
    return home;
  };

  it("is written on first use into a private directory, and later runs give the same output", () => {
    const home = freshHome("private");
    expect(hush(home, ["decrypt", enc]).stdout).toBe(PLAIN);
    const dir = join(home, ".cache", "hush", "v8");
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(hush(home, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN });
    expect(readdirSync(dir).sort()).toEqual(files.sort());
  });

  it("compiles one file for a decrypt of an age file; textconv keeps its own cache of that pack, and one of its own pack", () => {
    const home = freshHome("packed");
    expect(hush(home, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN });
    const dir = join(home, ".cache", "hush", "v8");
    // One pack holds every module the decrypt runs (some forty chunk files loaded one by one before).
    expect(readdirSync(dir)).toHaveLength(1);
    // V8 caches the functions a run compiled: a cache written by decrypt would leave textconv's
    // functions of the shared pack to compile at every run, so textconv has its own.
    expect(hush(home, ["git", "textconv", enc])).toMatchObject({ status: 0 });
    expect(readdirSync(dir)).toHaveLength(3);
    expect(hush(home, ["-d", enc])).toMatchObject({ status: 0, stdout: PLAIN });
    expect(hush(home, ["git", "textconv", enc])).toMatchObject({ status: 0 });
    expect(readdirSync(dir)).toHaveLength(3);
  });

  it("survives corrupt entries, and does not trust entries or a directory others may write", () => {
    const home = freshHome("hostile");
    hush(home, ["decrypt", enc]);
    const dir = join(home, ".cache", "hush", "v8");
    for (const f of readdirSync(dir)) writeFileSync(join(dir, f), "not V8 code");
    expect(hush(home, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    // Corrupt entries were replaced.
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).size).toBeGreaterThan(100);
    // A world-writable entry is ignored and replaced by a private one.
    const one = readdirSync(dir)[0]!;
    chmodSync(join(dir, one), 0o666);
    expect(hush(home, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN });
    expect(statSync(join(dir, one)).mode & 0o777).toBe(0o600);
    // A directory others may write is not used at all.
    const shared = freshHome("shared");
    mkdirSync(join(shared, ".cache", "hush", "v8"), { recursive: true });
    chmodSync(join(shared, ".cache", "hush", "v8"), 0o777);
    expect(hush(shared, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN });
    expect(readdirSync(join(shared, ".cache", "hush", "v8"))).toEqual([]);
  });

  it("is off with HUSH_CODE_CACHE=0 and without a usable home", () => {
    const home = freshHome("off");
    expect(hush(home, ["decrypt", enc], { HUSH_CODE_CACHE: "0" })).toMatchObject({ status: 0, stdout: PLAIN });
    expect(existsSync(join(home, ".cache"))).toBe(false);
    expect(hush("/nonexistent-home", ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
  });
});
