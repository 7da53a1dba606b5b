import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_BIN, makeGnupgHome, makeTempDir, runHush, SOPS_TEST_PGP_KEYS, type GnupgHome } from "@hush/testkit";

/**
 * A PGP entry needs only the recipient's public key to write: a compressed message of zeros
 * (a few hundred KB) decrypts to hundreds of MB. gpg's output for a data key is bounded.
 */
describe("hush reads a bounded amount from gpg", () => {
  let gnupg: GnupgHome;
  let tmp: ReturnType<typeof makeTempDir>;
  let bomb: string;
  const fp = SOPS_TEST_PGP_KEYS.key1;
  beforeAll(() => {
    gnupg = makeGnupgHome();
    tmp = makeTempDir("hush-gpg-bound-");
    const plain = join(tmp.path, "app.json");
    writeFileSync(plain, '{"password": "hunter2"}\n');
    const enc = runHush(["encrypt", "-i", "--pgp", fp, plain], { env: { GNUPGHOME: gnupg.home } });
    if (enc.status !== 0) throw new Error(`encrypt failed: ${enc.stderr}`);
    // 200 MiB of zeros, compressed: what anyone holding the public key can write.
    const r = spawnSync("gpg", ["--batch", "--trust-model", "always", "-z9", "--compress-algo", "zlib", "-a", "-e", "-r", fp], {
      env: gnupg.env,
      input: Buffer.alloc(200 * 1024 * 1024),
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`gpg failed: ${r.stderr.toString()}`);
    const doc = JSON.parse(readFileSync(plain, "utf8")) as { sops: { pgp: Array<{ enc: string }> } };
    doc.sops.pgp[0]!.enc = r.stdout.toString("utf8");
    bomb = join(tmp.path, "bomb.json");
    writeFileSync(bomb, JSON.stringify(doc, null, 4));
  }, 120_000);
  afterAll(() => {
    gnupg?.cleanup();
    tmp?.cleanup();
  });

  it("decrypt stops gpg once its output exceeds a data key's size and names the key", () => {
    const started = Date.now();
    const r = runHush(["decrypt", bomb], { env: { GNUPGHOME: gnupg.home } });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(fp);
    expect(r.stderr).toMatch(/more than 1024 bytes/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("git textconv (the diff view) is bounded the same way: hidden values, no 200 MiB in memory", () => {
    // GNU time reports the peak memory of the whole hush process (gpg's output was buffered in it).
    if (!existsSync("/usr/bin/time")) throw new Error("/usr/bin/time (GNU time) is needed to measure hush's memory: apt-get install -y time");
    const r = spawnSync("/usr/bin/time", ["-f", "maxrss-kb=%M", HUSH_BIN, "git", "textconv", bomb], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", GNUPGHOME: gnupg.home },
      timeout: 60_000,
    });
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("values hidden");
    expect(r.stdout.toString()).not.toContain("hunter2");
    const kb = Number(/maxrss-kb=(\d+)/.exec(r.stderr.toString())?.[1]);
    expect(kb).toBeGreaterThan(0);
    expect(kb).toBeLessThan(150 * 1024);
  });

  it("a gpg that does not answer is stopped after HUSH_GPG_TIMEOUT seconds", () => {
    const fake = join(tmp.path, "slow-gpg");
    // Lists no keyring (so every entry is tried), then hangs on --decrypt.
    writeFileSync(fake, '#!/bin/sh\ncase "$*" in *--decrypt*) exec sleep 30;; esac\nexit 2\n');
    chmodSync(fake, 0o755);
    const started = Date.now();
    const r = runHush(["decrypt", bomb], { env: { GNUPGHOME: gnupg.home, SOPS_GPG_EXEC: fake, HUSH_GPG_TIMEOUT: "1" } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(fp);
    expect(r.stderr).toMatch(/did not finish within 1 s/);
    expect(r.stderr).toContain("HUSH_GPG_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
