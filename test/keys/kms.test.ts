import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startKmsTestServer, startMotoKms, type KmsTestServer, type MotoKms } from "@hush/testkit";
import { encryptForAge, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * AWS KMS through the CLI, against two independent KMS implementations on 127.0.0.1: moto_server
 * and the project's own test server (which also checks signatures, so wrong credentials fail as
 * they would at AWS). Neither is optional: a machine without moto fails these tests with the
 * install command in the message.
 */

const PLAIN = "db:\n    user: admin\n    password: s3cr3t-v4lue\nport: 5432\n";
/** A role in moto's default account (moto gives an assumed role its account's view). */
const MOTO_ROLE = "arn:aws:iam::123456789012:role/hush-deployer";
const OWN_ROLE = "arn:aws:iam::111122223333:role/hush-deployer";

interface Harness {
  readonly env: Readonly<Record<string, string>>;
  readonly role: string;
  createKey(region?: string): Promise<string>;
  /**
   * Makes decryption of `file` (wrapped with `arn`) be refused with AccessDenied, as each
   * server allows: the own server denies the key; moto refuses a Decrypt whose KeyId names
   * another key than the one that wrapped the blob.
   */
  deny(file: string, arn: string): Promise<void>;
}

function sharedBehaviour(name: string, harness: () => Promise<Harness>): void {
  describe(`${name}: hush with --kms`, () => {
    const tmp = makeTempDir("hush-kms-");
    let age: AgeKey;
    beforeAll(async () => {
      age = await makeAgeKey(tmp.path, "age");
    });
    afterAll(() => tmp.cleanup());
    let n = 0;
    const plainFile = (): string => {
      const f = join(tmp.path, `f${++n}.yaml`);
      writeFileSync(f, PLAIN);
      return f;
    };

    it("encrypts with --kms ARN and decrypts to the same bytes", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const f = plainFile();
      const enc = await hush(["encrypt", "-i", "--kms", arn, f], { env: h.env });
      expect(enc.stderr).toBe("");
      expect(enc.status).toBe(0);
      const text = readFileSync(f, "utf8");
      expect(text).toContain(`- arn: ${arn}`);
      expect(text).toContain('aws_profile: ""');
      expect(text).not.toContain("context:");
      expect(text).not.toContain("s3cr3t");
      const dec = await hush(["decrypt", f], { env: h.env });
      expect(dec.stderr).toBe("");
      expect(dec.stdout).toBe(PLAIN);
    });

    it("takes the keys from SOPS_KMS_ARN", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const f = plainFile();
      expect((await hush(["encrypt", "-i", f], { env: { ...h.env, SOPS_KMS_ARN: ` ${arn} ` } })).status).toBe(0);
      expect(readFileSync(f, "utf8")).toContain(`- arn: ${arn}`);
      expect((await hush(["decrypt", f], { env: h.env })).stdout).toBe(PLAIN);
    });

    it("binds --encryption-context: decrypts with it, fails when the stored context is changed", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const f = plainFile();
      const enc = await hush(["encrypt", "-i", "--kms", arn, "--encryption-context", "app:web,env:prod", f], { env: h.env });
      expect(enc.status).toBe(0);
      const text = readFileSync(f, "utf8");
      expect(text).toMatch(/context:\n\s+app: web\n\s+env: prod\n/);
      expect((await hush(["decrypt", f], { env: h.env })).stdout).toBe(PLAIN);
      // The context is not under the MAC: only KMS can notice the change, and it must.
      writeFileSync(f, text.replace("env: prod", "env: dev"));
      const bad = await hush(["decrypt", f], { env: h.env });
      expect(bad.status).toBe(128);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toContain(arn);
      expect(bad.stderr).toContain("InvalidCiphertext");
      expect(bad.stderr).toContain("group 0");
    });

    it("a file with a KMS key and an age recipient opens with either alone", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const f = plainFile();
      expect((await hush(["encrypt", "-i", "--kms", arn, "--age", age.recipient, f], { env: h.env })).status).toBe(0);
      const text = readFileSync(f, "utf8");
      expect(text).toContain(`recipient: ${age.recipient}`);
      expect(text).toContain(`- arn: ${arn}`);
      // age only: no AWS settings at all (the KMS entry is never needed).
      const withAge = await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } });
      expect(withAge.stderr).toBe("");
      expect(withAge.stdout).toBe(PLAIN);
      // KMS only: no age identity anywhere.
      const withKms = await hush(["decrypt", f], { env: h.env });
      expect(withKms.stderr).toBe("");
      expect(withKms.stdout).toBe(PLAIN);
      // Neither: the error names both keys.
      const neither = await hush(["decrypt", f], { env: { AWS_ENDPOINT_URL_KMS: "http://127.0.0.1:9" } });
      expect(neither.status).toBe(128);
      expect(neither.stderr).toContain(age.recipient);
      expect(neither.stderr).toContain(arn);
    });

    it("fails with a clear message for a denied key and changes nothing", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const f = plainFile();
      expect((await hush(["encrypt", "-i", "--kms", arn, f], { env: h.env })).status).toBe(0);
      await h.deny(f, arn);
      const before = readFileSync(f);
      const r = await hush(["decrypt", "-i", f], { env: h.env });
      expect(r.status).toBe(128);
      expect(r.stderr).toMatch(/^hush: .*f\d+\.yaml: could not decrypt the data key: group 0: kms arn:aws:kms:/);
      expect(r.stderr).toContain("AccessDenied");
      expect(r.stderr).toContain("\n  next: give hush an identity");
      expect(readFileSync(f)).toEqual(before);
    });

    it("uses .sops.yaml kms entries with context and role", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const dir = join(tmp.path, `rules-${++n}`);
      mkdirSync(join(dir, "secrets"), { recursive: true });
      writeFileSync(
        join(dir, ".sops.yaml"),
        `creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    key_groups:\n      - kms:\n          - arn: ${arn}\n            role: ${h.role}\n            context:\n              service: billing\n        age:\n          - ${age.recipient}\n`,
      );
      writeFileSync(join(dir, "secrets", "app.yaml"), PLAIN);
      // A role named by .sops.yaml or a file is assumed only when the user allows it.
      const env = { ...h.env, HUSH_AWS_ROLES: h.role };
      const enc = await hush(["encrypt", "-i", "secrets/app.yaml"], { cwd: dir, env });
      expect(enc.stderr).toBe("");
      const text = readFileSync(join(dir, "secrets", "app.yaml"), "utf8");
      expect(text).toContain(`role: ${h.role}`);
      expect(text).toMatch(/context:\n\s+service: billing\n/);
      const dec = await hush(["decrypt", join(dir, "secrets", "app.yaml")], { env });
      expect(dec.stderr).toBe("");
      expect(dec.stdout).toBe(PLAIN);
    });
  });
}

describe("moto_server", () => {
  // Started by the first test that needs it: without moto every test below fails, naming the
  // install command (a failing beforeAll would report them as skipped).
  let moto: Promise<MotoKms> | undefined;
  const started = (): Promise<MotoKms> => (moto ??= startMotoKms());
  afterAll(async () => {
    await (await moto?.catch(() => undefined))?.stop();
  });
  it("starts moto_server on 127.0.0.1", async () => {
    expect((await started()).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  sharedBehaviour("moto", async () => {
    const m = await started();
    return {
      env: m.env,
      role: MOTO_ROLE,
      createKey: (region) => m.createKey(region === undefined ? {} : { region }),
      async deny(file, arn) {
        const other = await m.createKey();
        writeFileSync(file, readFileSync(file, "utf8").replace(arn, other));
      },
    };
  });
});

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

describe("own KMS test server", () => {
  let server: KmsTestServer;
  const tmp = makeTempDir("hush-kms-own-");
  let age: AgeKey;
  beforeAll(async () => {
    server = await startKmsTestServer({ roles: [OWN_ROLE] });
    age = await makeAgeKey(tmp.path, "age");
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  sharedBehaviour("own server", async () => ({
    env: server.env,
    role: OWN_ROLE,
    createKey: (region) => Promise.resolve(server.createKey(region === undefined ? {} : { region })),
    deny: (_file, arn) => Promise.resolve(server.deny(arn)),
  }));

  let n = 0;
  const encrypted = async (arn: string, extra: string[] = []): Promise<string> => {
    const f = join(tmp.path, `own${++n}.yaml`);
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--kms", arn, ...extra, f], { env: server.env });
    expect(r.stderr).toBe("");
    return f;
  };

  it("signs with the credentials given: a wrong secret is refused", async () => {
    const f = await encrypted(server.createKey());
    const r = await hush(["decrypt", f], { env: { ...server.env, AWS_SECRET_ACCESS_KEY: "wrong-secret-wrong-secret-wrong-secret00" } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("InvalidCredentials");
  });

  it("uses --aws-profile credentials from the shared credentials file", async () => {
    const arn = server.createKey();
    const creds = join(tmp.path, "credentials");
    const config = join(tmp.path, "config");
    writeFileSync(creds, `[ci]\naws_access_key_id = ${server.credentials.accessKeyId}\naws_secret_access_key = ${server.credentials.secretAccessKey}\n`);
    writeFileSync(config, `[profile ci]\nregion = us-east-1\n`);
    const env: Record<string, string> = { AWS_ENDPOINT_URL_KMS: server.endpoint, AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: config };
    const f = join(tmp.path, "profile.yaml");
    writeFileSync(f, PLAIN);
    const enc = await hush(["encrypt", "-i", "--kms", arn, "--aws-profile", "ci", f], { env });
    expect(enc.stderr).toBe("");
    expect(readFileSync(f, "utf8")).toContain("aws_profile: ci");
    // Reading, the profile comes from the file: used only because the user allows it.
    env["HUSH_AWS_PROFILES"] = "ci";
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    writeFileSync(creds, `[ci]\naws_access_key_id = ${server.credentials.accessKeyId}\naws_secret_access_key = not-the-secret\n`);
    const bad = await hush(["decrypt", f], { env });
    expect(bad.status).toBe(128);
    expect(bad.stderr).toContain("InvalidCredentials");
  });

  it("names the key when the endpoint refuses connections, and writes nothing", async () => {
    const arn = server.createKey();
    const f = join(tmp.path, "refused.yaml");
    writeFileSync(f, PLAIN);
    const env = { ...server.env, AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${await closedPort()}` };
    const r = await hush(["encrypt", "-i", "--kms", arn, f], { env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(arn);
    expect(r.stderr).toContain("NetworkError");
    expect(readFileSync(f, "utf8")).toBe(PLAIN);
  });

  it("rejects garbage answers without writing", async () => {
    const arn = server.createKey();
    const f = await encrypted(arn);
    const before = readFileSync(f);
    for (const mode of ["invalid-json", "wrong-types", "short-plaintext", "html-500"] as const) {
      server.setGarbage(mode);
      try {
        const r = await hush(["decrypt", "-i", f], { env: server.env });
        expect(r.status, mode).toBe(128);
        expect(r.stderr, mode).toContain(arn);
        expect(r.stderr, mode).toMatch(/MalformedResponse|ServiceError/);
      } finally {
        server.setGarbage("off");
      }
      expect(readFileSync(f)).toEqual(before);
    }
  });

  it("fails clearly for an ARN of a region where the key does not exist", async () => {
    const arn = server.createKey();
    const elsewhere = arn.replace(":us-east-1:", ":eu-west-3:");
    const f = join(tmp.path, "region.yaml");
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--kms", elsewhere, f], { env: server.env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(elsewhere);
    expect(r.stderr).toContain("KeyNotFound");
    expect(readFileSync(f, "utf8")).toBe(PLAIN);
  });

  it("reports a key group with no reachable key, naming the group and the key", async () => {
    const arn = server.createKey();
    const dir = join(tmp.path, "groups");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n      - kms:\n          - arn: ${arn}\n    shamir_threshold: 2\n`,
    );
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env: server.env })).status).toBe(0);
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env: { ...server.env, SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    server.deny(arn);
    try {
      const r = await hush(["decrypt", "s.yaml"], { cwd: dir, env: { ...server.env, SOPS_AGE_KEY_FILE: age.file } });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("1 of 2 key groups opened, 2 needed");
      expect(r.stderr).toContain(`group 1: kms ${arn}`);
      expect(r.stderr).toContain("AccessDenied");
    } finally {
      server.allow(arn);
    }
  });

  it("stops at the Shamir threshold: a KMS group is not called when two age groups suffice", async () => {
    const arn = server.createKey();
    const second = await makeAgeKey(tmp.path, "second");
    const both = join(tmp.path, "both.txt");
    writeFileSync(both, readFileSync(age.file, "utf8") + readFileSync(second.file, "utf8"));
    const dir = join(tmp.path, "early");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n      - age: [${second.recipient}]\n      - kms: [{arn: ${arn}}]\n    shamir_threshold: 2\n`,
    );
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env: server.env })).status).toBe(0);
    server.resetStats();
    const r = await hush(["decrypt", "s.yaml"], { cwd: dir, env: { ...server.env, SOPS_AGE_KEY_FILE: both } });
    expect(r.stdout).toBe(PLAIN);
    expect(server.calls.filter((c) => c.operation === "Decrypt")).toEqual([]);
  });

  it("rotate --add-kms with a context, then --rm-kms by ARN, across a directory", async () => {
    const arn = server.createKey();
    const dir = join(tmp.path, "rot");
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(dir, `r${i}.yaml`), await encryptForAge(PLAIN, "yaml", [[{ kind: "age", recipient: age.recipient }]]));
    }
    const add = await hush(["rotate", "-i", "--add-kms", arn, "--encryption-context", "team:infra", "."], {
      cwd: dir,
      env: { ...server.env, SOPS_AGE_KEY_FILE: age.file },
    });
    expect(add.stderr).toBe("");
    expect(add.stdout).toContain(`rotated: r0.yaml (new data key, +kms ${arn}|team:infra)`);
    expect(readFileSync(join(dir, "r3.yaml"), "utf8")).toMatch(/context:\n\s+team: infra\n/);
    expect((await hush(["verify", "."], { cwd: dir, env: server.env })).stdout).toContain("verify: 5 ok, 0 failed");

    const rm = await hush(["rotate", "-i", "--rm-kms", arn, "."], { cwd: dir, env: server.env });
    expect(rm.stderr).toBe("");
    expect(rm.stdout).toContain("rotate: 5 rotated, 0 failed");
    expect(readFileSync(join(dir, "r3.yaml"), "utf8")).not.toContain(arn);
    const kmsOnly = await hush(["verify", "."], { cwd: dir, env: server.env });
    expect(kmsOnly.status).toBe(128);
    expect((await hush(["verify", "."], { cwd: dir, env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toContain("verify: 5 ok, 0 failed");
  });

  it("updatekeys adds a KMS key with a context to many files, KMS calls overlapping", async () => {
    const arn = server.createKey();
    const dir = join(tmp.path, "repo");
    mkdirSync(join(dir, "secrets"), { recursive: true });
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${age.recipient}\n`);
    for (let i = 0; i < 12; i++) {
      writeFileSync(join(dir, "secrets", `s${i}.yaml`), await encryptForAge(PLAIN.replace("admin", `admin${i}`), "yaml", [[{ kind: "age", recipient: age.recipient }]]));
    }
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        kms:\n          - arn: ${arn}\n            context: {repo: hush}\n`,
    );
    server.setLatency(50);
    server.resetStats();
    try {
      const r = await hush(["updatekeys", "-y", "secrets"], { cwd: dir, env: { ...server.env, SOPS_AGE_KEY_FILE: age.file } });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("updatekeys: 12 updated, 0 failed");
    } finally {
      server.setLatency(0);
    }
    const encrypts = server.calls.filter((c) => c.operation === "Encrypt");
    expect(encrypts).toHaveLength(12);
    expect(server.maxConcurrency).toBeGreaterThan(1);
    expect(server.maxConcurrency).toBeLessThanOrEqual(8);
    // Every file now opens with KMS alone.
    const v = await hush(["verify", "secrets"], { cwd: dir, env: server.env });
    expect(v.stderr).toBe("");
    expect(v.stdout).toContain("verify: 12 ok, 0 failed");
  });
});
