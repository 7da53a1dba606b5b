import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MasterKeyEntry } from "@hush/core";
import { AwsKmsKeySource, type KmsKeyEntry } from "@hush/key-source-aws-kms";
import { makeTempDir, startKmsTestServer, startMotoKms, type KmsTestServer, type MotoKms } from "@hush/testkit";
import { failure, recipient, sharedBehaviour, type Harness } from "./kms-shared-behaviour.ts";

const ROLE = "arn:aws:iam::111122223333:role/hush-deployer";
/** moto keeps one KMS per account and gives an assumed role its own account's view. */
const MOTO_ROLE = "arn:aws:iam::123456789012:role/hush-deployer";

describe("moto_server", () => {
  // Started by the first test that needs it, so that a machine without moto fails every one of
  // these tests with the install command in the message (a failing beforeAll would skip them).
  let moto: Promise<MotoKms> | undefined;
  const started = (): Promise<MotoKms> => (moto ??= startMotoKms());
  afterAll(async () => {
    await (await moto?.catch(() => undefined))?.stop();
  });
  const harness = async (): Promise<Harness> => {
    const m = await started();
    return { env: m.env, role: MOTO_ROLE, createKey: (region) => m.createKey(region === undefined ? {} : { region }) };
  };
  it("starts moto_server", async () => {
    expect((await started()).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
  sharedBehaviour("moto", harness);

  it("moto enforces the encryption context on Decrypt (so the shared test above is meaningful)", async () => {
    const h = await harness();
    const arn = await h.createKey();
    const source = new AwsKmsKeySource({ env: h.env, maxAttempts: 1 });
    const entry = (await source.wrap(randomBytes(32), recipient(arn, { context: { a: "b" } }))) as KmsKeyEntry;
    expect((await failure(source.unwrap({ ...entry, context: { a: "c" } }))).message).toContain("InvalidCiphertext");
    await source.close();
  });
});

describe("startMotoKms without moto", () => {
  it("throws an error naming the install command", async () => {
    await expect(startMotoKms({ command: "moto_server_not_installed_here" })).rejects.toThrow("pip install 'moto[server]'");
  });
});

describe("own KMS test server", () => {
  let server: KmsTestServer | undefined;
  beforeAll(async () => {
    server = await startKmsTestServer({ roles: [ROLE] });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const srv = (): KmsTestServer => {
    if (server === undefined) throw new Error("KMS test server did not start");
    return server;
  };
  sharedBehaviour("own server", () =>
    Promise.resolve({
      env: srv().env,
      role: ROLE,
      createKey: (region) => Promise.resolve(srv().createKey(region === undefined ? {} : { region })),
    }),
  );

  it("signs for the ARN's region and sends everything to the configured endpoint", async () => {
    const s = srv();
    const arn = s.createKey({ region: "eu-central-1" });
    const source = new AwsKmsKeySource({ env: s.env });
    s.resetStats();
    const entry = await source.wrap(randomBytes(32), recipient(arn));
    await source.unwrap(entry);
    expect(s.calls.map((c) => [c.operation, c.region, c.status, c.keyArn])).toEqual([
      ["Encrypt", "eu-central-1", 200, arn],
      ["Decrypt", "eu-central-1", 200, arn],
    ]);
    await source.close();
  });

  it("uses a profile or role named by an entry only when allowed (env or the trust option), else fails before any call", async () => {
    const s = srv();
    const arn = s.createKey();
    const plain = new AwsKmsKeySource({ env: s.env });
    const entry = (await new AwsKmsKeySource({ env: s.env, trust: { roles: [ROLE] } }).wrap(randomBytes(32), recipient(arn, { role: ROLE }))) as KmsKeyEntry;
    s.resetStats();
    const role = await failure(plain.unwrap(entry));
    expect(role.code).toBe("KEY_SOURCE_FAILED");
    expect(role.message).toContain(`set HUSH_AWS_ROLES=${ROLE}`);
    const profile = await failure(plain.unwrap({ ...entry, role: "", awsProfile: "prod" }));
    expect(profile.message).toContain("set HUSH_AWS_PROFILES=prod (or AWS_PROFILE)");
    const wrap = await failure(plain.wrap(randomBytes(32), recipient(arn, { awsProfile: "prod" })));
    expect(wrap.message).toContain("HUSH_AWS_PROFILES=prod");
    expect(s.callCount).toBe(0);
    await plain.close();
  });

  it("unwraps through an alias ARN", async () => {
    const s = srv();
    const keyArn = s.createKey();
    const aliasArn = s.createAlias("alias/hush-test", keyArn);
    const source = new AwsKmsKeySource({ env: s.env });
    const key = randomBytes(32);
    const entry = await source.wrap(key, recipient(aliasArn));
    expect(Buffer.from((await source.unwrap(entry)) ?? [])).toEqual(key);
    await source.close();
  });

  it("reports a denied key clearly, naming the ARN", async () => {
    const s = srv();
    const arn = s.createKey();
    const source = new AwsKmsKeySource({ env: s.env });
    const entry = await source.wrap(randomBytes(32), recipient(arn));
    s.deny(arn);
    try {
      const f = await failure(source.unwrap(entry));
      expect(f.code).toBe("KEY_SOURCE_FAILED");
      expect(f.message).toBe(
        `AWS KMS Decrypt with ${arn} failed: AccessDenied (AccessDeniedException: User: arn:aws:iam::111122223333:user/${s.credentials.accessKeyId} is not authorized to perform: kms:Decrypt on resource: ${arn} with an explicit deny)`,
      );
      expect(f.hint).toContain("not allowed to use this key");
      const w = await failure(source.wrap(randomBytes(32), recipient(arn)));
      expect(w.message).toContain(`AWS KMS Encrypt with ${arn} failed: AccessDenied`);
    } finally {
      s.allow(arn);
      await source.close();
    }
  });

  it("rejects a wrong secret and an unknown access key", async () => {
    const s = srv();
    const arn = s.createKey();
    const wrongSecret = new AwsKmsKeySource({ env: { ...s.env, AWS_SECRET_ACCESS_KEY: "not-the-secret" }, maxAttempts: 1 });
    const f1 = await failure(wrongSecret.wrap(randomBytes(32), recipient(arn)));
    expect(f1.code).toBe("KEY_SOURCE_FAILED");
    expect(f1.message).toContain(arn);
    expect(f1.message).toContain("InvalidCredentials (InvalidSignatureException");
    expect(f1.message).not.toContain("not-the-secret");
    const unknown = new AwsKmsKeySource({ env: { ...s.env, AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY000000" }, maxAttempts: 1 });
    const f2 = await failure(unknown.wrap(randomBytes(32), recipient(arn)));
    expect(f2.message).toContain("InvalidCredentials (UnrecognizedClientException");
    expect(s.calls.filter((c) => c.errorType === "InvalidSignatureException").length).toBeGreaterThan(0);
    await wrongSecret.close();
    await unknown.close();
  });

  it("rejects hostile metadata before any network call", async () => {
    const s = srv();
    const arn = s.createKey();
    const source = new AwsKmsKeySource({ env: s.env });
    const good = (await source.wrap(randomBytes(32), recipient(arn))) as KmsKeyEntry;
    s.resetStats();
    const hostileArns = [
      "arn:aws:kms:../..",
      "arn:aws:kms:../..:111122223333:key/x",
      `${arn} `,
      arn.replace(":key/", ":key/ "),
      `${arn}\n`,
      arn.replace("111122223333", "11112222333x"),
      arn.replace("us-east-1", "us-east-1.evil.example"),
      arn.replace("us-east-1", "127.0.0.1:9"),
      arn.replace("us-east-1", "US-EAST-1"),
      arn.replace("arn:aws:", "arn:aws-evil:"),
    ];
    for (const bad of hostileArns) {
      const f = await failure(source.unwrap({ ...good, arn: bad }));
      expect(f.code).toBe("METADATA_INVALID");
      expect(f.message).not.toMatch(/[\n\r]/);
      const w = await failure(source.wrap(randomBytes(32), recipient(bad)));
      expect(w.code).toBe("INVALID_ARGUMENT");
    }
    const hostileFields: Partial<Record<keyof KmsKeyEntry, unknown>>[] = [
      { role: "arn:aws:iam::111122223333:role/x y" },
      { role: "arn:aws:iam::1:role/x" },
      { awsProfile: "dev\nadmin" },
      { context: { a: 1 } },
      { context: "a:b" },
      { enc: "not base64!" },
      { enc: "" },
      { enc: "A".repeat(9000) },
    ];
    for (const fields of hostileFields) {
      const f = await failure(source.unwrap({ ...good, ...fields } as MasterKeyEntry));
      expect(f.code).toBe("METADATA_INVALID");
    }
    expect(s.callCount).toBe(0);
    await source.close();
  });

  it("uses a named profile from the configured credentials file", async () => {
    const s = srv();
    const arn = s.createKey();
    const dir = makeTempDir();
    try {
      const credentials = join(dir.path, "credentials");
      writeFileSync(
        credentials,
        `[hush-test]\naws_access_key_id = ${s.credentials.accessKeyId}\naws_secret_access_key = ${s.credentials.secretAccessKey}\n`,
        { mode: 0o600 },
      );
      const env = {
        ...s.env,
        // Wrong default credentials: only the profile can succeed.
        AWS_ACCESS_KEY_ID: "AKIAWRONGWRONGWRONG0",
        AWS_SECRET_ACCESS_KEY: "wrong",
        AWS_SHARED_CREDENTIALS_FILE: credentials,
        AWS_CONFIG_FILE: join(dir.path, "config-absent"),
        HUSH_AWS_PROFILES: "*",
      };
      const source = new AwsKmsKeySource({ env, maxAttempts: 1 });
      const key = randomBytes(32);
      const entry = (await source.wrap(key, recipient(arn, { awsProfile: "hush-test" }))) as KmsKeyEntry;
      expect(entry.awsProfile).toBe("hush-test");
      expect(Buffer.from((await source.unwrap(entry)) ?? [])).toEqual(key);
      const f = await failure(source.unwrap({ ...entry, awsProfile: "" }));
      expect(f.message).toContain("InvalidCredentials");
      const missing = await failure(source.unwrap({ ...entry, awsProfile: "no-such-profile" }));
      expect(missing.code).toBe("KEY_SOURCE_FAILED");
      expect(missing.message).toContain("NoCredentials");
      await source.close();
    } finally {
      dir.cleanup();
    }
  });

  it("assumes a role once per process with session name sops@<host>, and KMS sees the role's credentials", async () => {
    const s = srv();
    const arn = s.createKey();
    const env = { ...s.env, HUSH_AWS_ROLES: "*" };
    const source = new AwsKmsKeySource({ env });
    s.resetStats();
    const keys = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const entries = [];
    for (const k of keys) entries.push(await source.wrap(k, recipient(arn, { role: ROLE })));
    // A second source on the same environment (as when a source is made per file) shares the session.
    const second = new AwsKmsKeySource({ env });
    for (const [i, e] of entries.entries()) expect(Buffer.from((await second.unwrap(e)) ?? [])).toEqual(keys[i]);
    const sts = s.calls.filter((c) => c.service === "sts");
    expect(sts).toHaveLength(1);
    expect(sts[0]?.roleArn).toBe(ROLE);
    expect(sts[0]?.roleSessionName).toMatch(/^sops@[A-Za-z0-9=,.@_-]*$/);
    const kms = s.calls.filter((c) => c.service === "kms");
    expect(kms).toHaveLength(6);
    for (const c of kms) {
      expect(c.status).toBe(200);
      expect(c.accessKeyId).toMatch(/^ASIA/);
    }
    const denied = await failure(
      source.wrap(randomBytes(32), recipient(arn, { role: "arn:aws:iam::111122223333:role/not-allowed" })),
    );
    expect(denied.code).toBe("KEY_SOURCE_FAILED");
    expect(denied.message).toContain("AccessDenied");
    await source.close();
  });

  it("times out within a bounded time when the server is slower than the timeout", async () => {
    const s = await startKmsTestServer();
    try {
      const arn = s.createKey();
      const source = new AwsKmsKeySource({ env: s.env, timeoutMs: 300, maxAttempts: 2 });
      const entry = await source.wrap(randomBytes(32), recipient(arn));
      s.setLatency(5000);
      const started = Date.now();
      const f = await failure(source.unwrap(entry));
      const elapsed = Date.now() - started;
      expect(f.code).toBe("KEY_SOURCE_FAILED");
      expect(f.message).toContain(arn);
      expect(f.message).toContain("failed after 2 attempts: NetworkTimeout (no answer within 300 ms)");
      expect(f.hint).toContain("did not answer in time");
      expect(elapsed).toBeLessThan(3000);
      expect(s.calls.filter((c) => c.operation === "Decrypt")).toHaveLength(2);
      // A file may list many keys of the region: the others are not asked to wait again.
      const other = await failure(source.unwrap({ ...entry, arn: arn.replace(/key\/.*/, "key/mrk-00000000000000000000000000000000") }));
      expect(other.message).toContain("NetworkTimeout (not asked: the region's endpoint gave no answer within 300 ms to an earlier request)");
      expect(Date.now() - started).toBeLessThan(3000);
      expect(s.calls.filter((c) => c.operation === "Decrypt")).toHaveLength(2);
      await source.close();
    } finally {
      await s.stop();
    }
  });

  it("reports an unreachable endpoint as a network error", async () => {
    const s = await startKmsTestServer();
    const arn = s.createKey();
    const env = s.env;
    await s.stop();
    const source = new AwsKmsKeySource({ env, timeoutMs: 1000, maxAttempts: 2 });
    const f = await failure(source.wrap(randomBytes(32), recipient(arn)));
    expect(f.code).toBe("KEY_SOURCE_FAILED");
    expect(f.message).toMatch(/NetworkError \(ECONNREFUSED\)/);
    await source.close();
  });

  it.each(["invalid-json", "wrong-types", "short-plaintext", "html-500"] as const)(
    "turns a %s answer into a clear error without key material",
    async (mode) => {
      const s = await startKmsTestServer();
      try {
        const arn = s.createKey();
        const source = new AwsKmsKeySource({ env: s.env, maxAttempts: 1 });
        const key = randomBytes(32);
        const entry = await source.wrap(key, recipient(arn));
        s.setGarbage(mode);
        for (const attempt of [source.unwrap(entry), source.wrap(key, recipient(arn))]) {
          const f = await failure(attempt);
          expect(f.code).toBe("KEY_SOURCE_FAILED");
          expect(f.message).toContain(arn);
          expect(f.message).toMatch(/: (MalformedResponse|ServiceError) \(/);
          expect(f.message).not.toContain(key.toString("base64"));
          expect(f.message).not.toContain(key.toString("hex"));
        }
        await source.close();
      } finally {
        await s.stop();
      }
    },
  );

  it("serves parallel unwraps concurrently through one client", async () => {
    const s = await startKmsTestServer({ latencyMs: 100 });
    try {
      const arn = s.createKey();
      const source = new AwsKmsKeySource({ env: s.env });
      const keys = Array.from({ length: 6 }, () => randomBytes(32));
      const entries = await Promise.all(keys.map((k) => source.wrap(k, recipient(arn))));
      s.resetStats();
      const out = await Promise.all(entries.map((e) => source.unwrap(e)));
      out.forEach((k, i) => expect(Buffer.from(k ?? [])).toEqual(keys[i]));
      expect(s.callCount).toBe(6);
      expect(s.maxConcurrency).toBeGreaterThan(1);
      await source.close();
    } finally {
      await s.stop();
    }
  });

  it("refuses a tampered ciphertext and one made for another key", async () => {
    const s = srv();
    const arn1 = s.createKey();
    const arn2 = s.createKey();
    const source = new AwsKmsKeySource({ env: s.env, maxAttempts: 1 });
    const entry = (await source.wrap(randomBytes(32), recipient(arn1))) as KmsKeyEntry;
    const blob = Buffer.from(entry.enc, "base64");
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 1;
    expect((await failure(source.unwrap({ ...entry, enc: blob.toString("base64") }))).message).toContain("InvalidCiphertext");
    expect((await failure(source.unwrap({ ...entry, arn: arn2 }))).message).toContain(`Decrypt with ${arn2} failed: IncorrectKey`);
    await source.close();
  });

  it("reports a malformed endpoint setting as a usage error", async () => {
    const arn = srv().createKey();
    const source = new AwsKmsKeySource({ env: { ...srv().env, AWS_ENDPOINT_URL_KMS: "file:///etc/passwd" } });
    const f = await failure(source.wrap(randomBytes(32), recipient(arn)));
    expect(f.code).toBe("INVALID_ARGUMENT");
    expect(f.message).toContain("AWS_ENDPOINT_URL_KMS");
  });

  it("sends signed requests over plain http to this machine only: an http endpoint elsewhere is refused before any request", async () => {
    const s = srv();
    const arn = s.createKey();
    const calls = s.callCount;
    for (const [name, value] of [
      ["AWS_ENDPOINT_URL_KMS", "http://kms.example.invalid:4566"],
      ["AWS_ENDPOINT_URL", "http://10.0.0.1:4566"],
      ["AWS_ENDPOINT_URL_STS", "http://sts.example.invalid"],
    ] as const) {
      // The role makes the STS endpoint matter; the KMS endpoint stays the test server's.
      const env = name === "AWS_ENDPOINT_URL" ? { ...s.env, AWS_ENDPOINT_URL_KMS: "", [name]: value } : { ...s.env, [name]: value };
      const source = new AwsKmsKeySource({ env, maxAttempts: 1, trust: { roles: [ROLE] } });
      const f = await failure(source.wrap(randomBytes(32), recipient(arn, name === "AWS_ENDPOINT_URL_STS" ? { role: ROLE } : {})));
      expect(f.code, name).toBe("INVALID_ARGUMENT");
      expect(f.message).toContain(`${name}: the AWS address ${value} is not https`);
      await source.close();
    }
    const userinfo = new AwsKmsKeySource({ env: { ...s.env, AWS_ENDPOINT_URL_KMS: "https://user:pa55@kms.example.invalid" }, maxAttempts: 1 });
    const f = await failure(userinfo.wrap(randomBytes(32), recipient(arn)));
    expect(f.message).toContain("AWS_ENDPOINT_URL_KMS must not hold a user name or password");
    expect(f.message).not.toContain("pa55");
    expect(userinfo.describeSearch().join("\n")).not.toContain("pa55");
    expect(s.callCount).toBe(calls);
  });

  it("describes where it looks", () => {
    const lines = new AwsKmsKeySource({ env: srv().env }).describeSearch();
    expect(lines[0]).toContain(srv().endpoint);
    expect(lines.join("\n")).not.toContain(srv().credentials.secretAccessKey);
  });
});
