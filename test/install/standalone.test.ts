import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
});
