import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Script } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, run } from "./helpers.ts";

/**
 * A code cache entry for the bundled CLI's first hot pack, as its launcher names it for
 * `profile`, that runs other code: V8 takes a cache made from any source of the same length as
 * the one compiled, and runs what the cache holds. Written into `dir`, readable by all (as files
 * checked out from a repository are). Running it writes `marker` and exits 42.
 */
function poisonedCodeCache(dir: string, profile: string, marker: string): void {
  const launcher = readFileSync(join(BUNDLE_OUT, "bin", "hush.cjs"), "utf8");
  const launcherId = /const LAUNCHER_ID = "([^"]*)"/.exec(launcher)![1]!;
  const packs = JSON.parse(/const HOT_PACKS = (\{.*\});/.exec(launcher)![1]!) as { packs: Record<string, string> };
  const filename = join(BUNDLE_OUT, "dist", "cli.hot0.cjs");
  const source = readFileSync(filename, "utf8");
  const cacheKey = `${packs.packs["cli.hot0.cjs"]}\0${source.length}\0${profile}`;
  const name = createHash("sha256").update(`${launcherId}\0${process.version}\0${process.arch}\0`).update(cacheKey).digest("hex").slice(0, 32);
  const other = `(new Proxy({}, { get: () => (function () { process.getBuiltinModule("fs").writeFileSync(${JSON.stringify(marker)}, "code from the cache ran"); process.exit(42); }) }))`;
  const script = new Script(other.padEnd(source.length), { filename });
  // Compiles the trap and the function it returns, so that the cache holds them.
  void (script.runInThisContext() as Record<string, unknown>)["cli.cjs"];
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, `${name}.v8`), script.createCachedData(), { mode: 0o644 });
}

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

  it("is made under a home that is a symbolic link to a directory (a home on another disk)", () => {
    const real = freshHome("real-home");
    const home = join(tmp.path, "linked-home");
    symlinkSync(real, home);
    expect(hush(home, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    expect(readdirSync(join(real, ".cache", "hush", "v8")).length).toBeGreaterThan(0);
  });

  it("is off with HUSH_CODE_CACHE=0 and without a usable home", () => {
    const home = freshHome("off");
    expect(hush(home, ["decrypt", enc], { HUSH_CODE_CACHE: "0" })).toMatchObject({ status: 0, stdout: PLAIN });
    expect(existsSync(join(home, ".cache"))).toBe(false);
    // A home that is not there is not made (a service's HOME=/nonexistent, run as root).
    const missing = join(tmp.path, "no-such-home");
    expect(hush(missing, ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    expect(existsSync(missing)).toBe(false);
    expect(hush("relative-home", ["decrypt", enc])).toMatchObject({ status: 0, stdout: PLAIN, stderr: "" });
    expect(existsSync(join(tmp.path, "relative-home"))).toBe(false);
  });
  it("runs no cache from a directory others may read, such as one checked out from a repository that XDG_CACHE_HOME names", () => {
    // V8 runs whatever a cache of the right length holds: a readable-by-all cache is someone else's.
    const cache = join(tmp.path, "repo", ".cache");
    const marker = join(tmp.path, "cache-code-ran");
    poisonedCodeCache(join(cache, "hush", "v8"), "decrypt", marker);
    for (const d of ["repo", "repo/.cache", "repo/.cache/hush"]) chmodSync(join(tmp.path, d), 0o755);
    expect(hush(join(tmp.path, "no-such-home"), ["decrypt", enc], { XDG_CACHE_HOME: cache })).toMatchObject({ status: 0, stdout: PLAIN });
    expect(existsSync(marker)).toBe(false);
  });
});
