import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, runHush } from "@hush/testkit";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * A newcomer's first hour: the commands a new user types first, and the mistakes they make,
 * each answered with a clear message, the right exit status, and nothing lost.
 */
describe("a newcomer's first hour", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("keygen -o ~/.config/sops/age/keys.txt on a fresh HOME makes the directories (0700)", () => {
    const home = makeTempDir("hush-home-");
    try {
      const r = runHush(["keygen", "-o", join(home.path, ".config/sops/age/keys.txt")], { home: home.path });
      expect(r.stderr).toMatch(/^Public key: age1[0-9a-z]+\n$/);
      expect(r.status).toBe(0);
      const key = join(home.path, ".config/sops/age/keys.txt");
      expect(statSync(key).mode & 0o777).toBe(0o600);
      for (const d of [".config", ".config/sops", ".config/sops/age"]) expect(statSync(join(home.path, d)).mode & 0o777).toBe(0o700);
      // The default place is then found without any environment variable.
      writeFileSync(join(home.path, "s.yaml"), "a: 1\n");
      const recipient = /age1[0-9a-z]+/.exec(r.stderr)![0];
      expect(runHush(["encrypt", "-i", "--age", recipient, "s.yaml"], { cwd: home.path, home: home.path }).status).toBe(0);
      expect(runHush(["decrypt", "s.yaml"], { cwd: home.path, home: home.path }).stdout).toBe("a: 1\n");
    } finally {
      home.cleanup();
    }
  });

  it("a mistyped command gets a suggestion; `help` and `help COMMAND` work, also as `sops`", () => {
    const typo = k.hush(["decrypy"]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toBe("hush: error: unknown command 'decrypy' (did you mean 'decrypt'? See `hush help` for all commands)\n");
    const two = k.hush(["updatekey", "x"]);
    expect(two.stderr).toContain("did you mean 'updatekeys'?");
    const help = k.hush(["help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hush /);
    expect(help.stdout).toContain("help [command]");
    const helpDecrypt = k.hush(["help", "decrypt"]);
    expect(helpDecrypt.status).toBe(0);
    expect(helpDecrypt.stdout).toMatch(/^Usage: hush decrypt /);
    const link = k.path("sops");
    symlinkSync(CLI_JS, link);
    const asSops = spawnSync(process.execPath, [link, "help"], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home" }, encoding: "utf8" });
    expect(asSops.status).toBe(0);
    expect(asSops.stdout).toContain("Usage: ");
  });

  it("sops -r -i keeps stdout empty: the summary is a message, on stderr", async () => {
    const f = encryptFile(k, "rot-in-place.yaml", "a: 1\n");
    const before = readFileSync(f, "utf8");
    const r = k.hush(["-r", "-i", f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("rotate: 1 rotated, 0 failed");
    expect(readFileSync(f, "utf8")).not.toBe(before);
    expect(await k.decrypt(f)).toBe("a: 1\n");
  });
});
