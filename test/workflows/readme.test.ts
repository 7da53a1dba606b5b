import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { installPackedPackages, readmeBlocks } from "./packed-install.ts";

/**
 * The README, run as written: hush installed from the packed packages (offline, see
 * packed-install.ts), a fresh HOME, then the README's shell blocks in order and its Node example.
 * The blocks are the ones marked `<!-- readme-test: shell|node -->` in README.md.
 */

let tmp: ReturnType<typeof makeTempDir>;
let install: string;

beforeAll(() => {
  tmp = makeTempDir("hush-readme-");
  install = installPackedPackages(join(tmp.path, "packed"));
}, 600_000);

afterAll(() => tmp?.cleanup());

/** A fresh user's environment: an empty HOME, hush from the install on PATH, a git identity. */
function freshUser(name: string): { home: string; work: string; env: Record<string, string> } {
  const home = join(tmp.path, name, "home");
  const work = join(tmp.path, name, "work");
  mkdirSync(home, { recursive: true });
  mkdirSync(work, { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    PATH: `${join(install, "node_modules", ".bin")}:${join(home, ".local", "bin")}:/usr/local/bin:/usr/bin:/bin`,
    LANG: "C",
    // Identity for `git commit` (a fresh HOME has no ~/.gitconfig); nothing else from the machine.
    GIT_AUTHOR_NAME: "Readme Test",
    GIT_AUTHOR_EMAIL: "readme@example.com",
    GIT_COMMITTER_NAME: "Readme Test",
    GIT_COMMITTER_EMAIL: "readme@example.com",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  return { home, work, env };
}

describe("the README, run as written", () => {
  it("the shell blocks, in order, on a fresh HOME, all succeed", () => {
    const blocks = readmeBlocks("shell");
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    const { home, work, env } = freshUser("shell");
    const script = join(tmp.path, "shell", "readme.sh");
    // One shell, as a user types them: `cd` carries over; any failing command stops it.
    writeFileSync(script, `set -euo pipefail\n${blocks.join("\n")}\n`);
    const r = spawnSync("bash", [script], { cwd: work, env, encoding: "utf8", timeout: 120_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain("hunter2");
    expect(r.stdout).toMatch(/^sops 3\.\d+\.\d+ \(hush /m);
    expect(r.stderr).toMatch(/Public key: age1/);
    const encrypted = readFileSync(join(work, "demo", "secrets", "app.yaml"), "utf8");
    expect(encrypted).toContain("user: ENC[");
    expect(encrypted).not.toContain("n3w-pa55");
    expect(readFileSync(join(home, ".config", "sops", "age", "keys.txt"), "utf8")).toContain("AGE-SECRET-KEY-1");
  });

  it("the Node example, from the packed packages: encrypts per .sops.yaml, sets one value (three-line diff), decrypts with default key discovery", () => {
    const [example] = readmeBlocks("node");
    expect(example).toBeDefined();
    const { env } = freshUser("node");
    const keygen = spawnSync("hush", ["keygen", "-o", join(env["HOME"]!, ".config", "sops", "age", "keys.txt")], { env, encoding: "utf8" });
    expect(keygen.status, keygen.stderr).toBe(0);
    // Run where the packages are installed, so that `import "@hush/core"` finds them.
    writeFileSync(join(install, "example.mjs"), example!);
    const r = spawnSync(process.execPath, ["example.mjs"], { cwd: install, env, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const changed = /changed: \[([^\]]*)\]/.exec(r.stdout)?.[1]?.match(/[a-z_]+/g) ?? [];
    // The value and the MAC change; `lastmodified` too unless the write fell in the same second.
    expect(changed).toEqual(expect.arrayContaining(["password", "mac"]));
    expect(changed.every((k) => ["password", "mac", "lastmodified"].includes(k))).toBe(true);
    expect(r.stdout).toContain("host: db\npassword: correct horse\n");
    const file = readFileSync(join(install, "config", "app.yaml"), "utf8");
    expect(file).not.toContain("correct horse");
    const cli = spawnSync("hush", ["decrypt", "config/app.yaml"], { cwd: install, env, encoding: "utf8" });
    expect(cli.stdout).toBe("host: db\npassword: correct horse\n");
  });
});
