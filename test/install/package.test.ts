import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle, roundTrip, run } from "./helpers.ts";

/**
 * The package users install: `npm pack` of the bundled build gives one tarball, which installs
 * offline into an empty prefix (no dependencies to fetch) and gives a working `hush`.
 */
describe("the hush-secrets package", () => {
  let tmp: { path: string; cleanup: () => void };
  let env: Record<string, string>;

  beforeAll(() => {
    requireBundle();
    tmp = makeTempDir("hush-pkg-");
    const home = join(tmp.path, "home");
    mkdirSync(home);
    // npm's cache and config live in the test's own HOME, never the developer's.
    env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, LANG: "C", npm_config_cache: join(tmp.path, "npm-cache"), npm_config_update_notifier: "false" };
    const npm = run("npm", ["--version"], { cwd: tmp.path, env });
    if (npm.status !== 0) throw new Error("npm is not installed: install Node.js with npm to run this test");
  });
  afterAll(() => tmp?.cleanup());

  it("packs into one tarball without dependencies, installs offline into an empty prefix, and its hush decrypts", () => {
    const packed = run("npm", ["pack", BUNDLE_OUT, "--pack-destination", tmp.path, "--json"], { cwd: tmp.path, env });
    expect(packed.status, packed.stderr).toBe(0);
    const tarballs = readdirSync(tmp.path).filter((f) => f.endsWith(".tgz"));
    expect(tarballs).toHaveLength(1);
    const manifest = JSON.parse(readFileSync(join(BUNDLE_OUT, "package.json"), "utf8")) as { name: string; dependencies?: object; bin: Record<string, string> };
    expect(manifest.name).toBe("hush-secrets");
    expect(manifest.dependencies).toBeUndefined();
    expect(Object.keys(manifest.bin)).toEqual(["hush"]);

    const prefix = join(tmp.path, "prefix");
    mkdirSync(prefix);
    const installed = run("npm", ["install", "-g", "--offline", "--no-audit", "--no-fund", "--prefix", prefix, join(tmp.path, tarballs[0]!)], { cwd: tmp.path, env });
    expect(installed.status, installed.stderr).toBe(0);

    const hush = join(prefix, "bin", "hush");
    const version = run(hush, ["--version"], { cwd: tmp.path, env });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^hush \d+\.\d+\.\d+ \(sops 3\.13\.2 format\)\n$/);
    const work = join(tmp.path, "work");
    mkdirSync(work);
    roundTrip([hush], work, env);

    // The API, as @hush/cli exports it.
    const api = run(process.execPath, ["-e", "const m = require('hush-secrets'); process.stdout.write(typeof m.runCli + ' ' + typeof m.defaultKeySources + ' ' + typeof m.EXIT)"], {
      cwd: tmp.path,
      env: { ...env, NODE_PATH: join(prefix, "lib", "node_modules") },
    });
    expect(api.stdout, api.stderr).toBe("function function object");
  });
});
