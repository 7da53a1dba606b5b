import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { textconvCommand } from "@hush/git";
import { makeTempDir } from "@hush/testkit";
import { repoRoot, roundTrip, run } from "./helpers.ts";

/**
 * The standalone executable (Node's single executable applications): built here, then run with
 * a PATH that holds no node, as on a CI image without Node.
 */
describe("the standalone hush executable", () => {
  let tmp: { path: string; cleanup: () => void };
  let exe: string;

  beforeAll(() => {
    tmp = makeTempDir("hush-sea-");
    const built = run(process.execPath, [join(repoRoot, "packages", "hush-secrets", "build", "sea.mjs"), "--out", join(tmp.path, "out")], {
      cwd: repoRoot,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: tmp.path },
      timeoutMs: 300_000,
    });
    if (built.status !== 0) throw new Error(`building the standalone executable failed: ${built.stderr}`);
    exe = built.stdout.trim();
  }, 300_000);
  afterAll(() => tmp?.cleanup());

  it("runs and decrypts with no node on PATH", () => {
    const emptyBin = join(tmp.path, "bin");
    mkdirSync(emptyBin);
    const home = join(tmp.path, "home");
    mkdirSync(home);
    const env = { PATH: emptyBin, HOME: home, LANG: "C" };
    expect(run("/bin/sh", ["-c", "command -v node || echo none"], { cwd: tmp.path, env }).stdout).toBe("none\n");
    const version = run(exe, ["--version"], { cwd: tmp.path, env });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^hush \d+\.\d+\.\d+ \(sops 3\.13\.2 format\)\n$/);
    const work = join(tmp.path, "work");
    mkdirSync(work);
    roundTrip([exe], work, env);
  });

  it("sets up git and checks a repository without Node's warning about require() (an optional module a dependency looks for)", () => {
    // git alone on the PATH: still no node.
    const gitBin = join(tmp.path, "git-bin");
    mkdirSync(gitBin);
    const gitPath = run("/bin/sh", ["-c", "command -v git"], { cwd: tmp.path, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } }).stdout.trim();
    symlinkSync(gitPath, join(gitBin, "git"));
    const home = join(tmp.path, "git-home");
    mkdirSync(home);
    const env = { PATH: gitBin, HOME: home, LANG: "C", GIT_CONFIG_NOSYSTEM: "1" };
    const repo = join(tmp.path, "repo");
    mkdirSync(repo);
    expect(run("git", ["init", "-q"], { cwd: repo, env }).status).toBe(0);
    writeFileSync(join(repo, ".sops.yaml"), "creation_rules:\n  - path_regex: ^secrets/\n    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n");
    const setup = run(exe, ["git", "setup", "--hook"], { cwd: repo, env });
    expect(setup.stderr).toBe("");
    expect(setup.status).toBe(0);
    // The drivers run this executable by its own path, not a node that is not there.
    expect(setup.stdout).toContain(`diff.hush.textconv = ${textconvCommand(exe)}\n`);
    const check = run(exe, ["check"], { cwd: repo, env });
    expect(check.stderr).toBe("");
    expect(check.stdout).toMatch(/^hush check: \d+ file\(s\) checked, 0 encrypted; 0 error\(s\), 0 warning\(s\)\n$/);
    expect(check.status).toBe(0);
  });
});
