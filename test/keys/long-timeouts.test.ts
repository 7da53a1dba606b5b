import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, startGcpKmsTestServer, type GcpKmsTestServer, type GnupgHome } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * A user who sets a key service's or gpg's deadline very long (days, meaning "wait as long as it
 * takes") gets that, not a deadline of one millisecond: a timer past 2^31 - 1 ms (24.8 days)
 * fires at once in Node.js, so every request failed as a timeout and gpg was killed at start.
 */

/** 35 days in seconds: past what a Node.js timer holds. */
const DAYS_35 = String(35 * 24 * 3600);

describe("deadlines longer than a Node.js timer holds", () => {
  const tmp = makeTempDir("hush-long-timeouts-");
  let kms: GcpKmsTestServer;
  let gnupg: GnupgHome;
  beforeAll(async () => {
    kms = await startGcpKmsTestServer();
    gnupg = makeGnupgHome();
  });
  afterAll(async () => {
    await kms.stop();
    gnupg.cleanup();
    tmp.cleanup();
  });

  /** Encrypts a file in place with `keyFlags` and decrypts it, each without a word on stderr. */
  const roundTrip = async (name: string, keyFlags: readonly string[], env: Record<string, string>): Promise<void> => {
    const f = join(tmp.path, name);
    writeFileSync(f, "password: s3cr3t\n");
    const enc = await hush(["encrypt", "-i", ...keyFlags, f], { env });
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    const dec = await hush(["decrypt", f], { env });
    expect(dec.stderr).toBe("");
    expect(dec.stdout).toBe("password: s3cr3t\n");
  };

  it("HUSH_GCP_KMS_TIMEOUT of 35 days: Cloud KMS encrypts and decrypts, no warning", async () => {
    const id = kms.resourceId("long-wait");
    kms.createKey(id);
    const env = { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token, HUSH_GCP_KMS_TIMEOUT: DAYS_35 };
    await roundTrip("gcp.yaml", ["--gcp-kms", id], env);
  });

  it("HUSH_GPG_TIMEOUT of 35 days: gpg encrypts and decrypts, no warning", async () => {
    const env = { GNUPGHOME: gnupg.home, HUSH_GPG_TIMEOUT: DAYS_35 };
    await roundTrip("pgp.yaml", ["--pgp", SOPS_TEST_PGP_KEYS.key1], env);
  });

  it("a gpg that does not finish encrypting within HUSH_GPG_TIMEOUT is reported as out of time, with the setting to raise", async () => {
    const slowGpg = join(tmp.path, "slow-gpg");
    writeFileSync(slowGpg, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(slowGpg, 0o755);
    const f = join(tmp.path, "slow.yaml");
    writeFileSync(f, "password: s3cr3t\n");
    const started = Date.now();
    const r = await hush(["encrypt", "--pgp", SOPS_TEST_PGP_KEYS.key1, f], { env: { GNUPGHOME: gnupg.home, SOPS_GPG_EXEC: slowGpg, HUSH_GPG_TIMEOUT: "1" } });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`gpg stopped while encrypting the data key to PGP key ${SOPS_TEST_PGP_KEYS.key1}: it did not finish within 1 s`);
    expect(r.stderr).toContain("HUSH_GPG_TIMEOUT");
    expect(r.stderr).not.toContain("exited with a signal");
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
