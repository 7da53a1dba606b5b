import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeTempDir, startGcpKmsTestServer, type GcpKmsTestServer } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * What a `gcp_kms` file cannot make hush do, and how each failure reads. A file chooses only its
 * `resource_id`: the endpoint and the token endpoint come from the user's environment and
 * credential. The test servers' request logs prove where tokens went.
 */

const PLAIN = "password: s3cr3t\n";

describe("gcp_kms trust and failures", () => {
  let kms: GcpKmsTestServer;
  let attacker: GcpKmsTestServer;
  const tmp = makeTempDir("hush-gcp-kms-trust-");
  let env: Record<string, string>;
  let keyA: string;
  let keyB: string;
  let master: string;
  beforeAll(async () => {
    kms = await startGcpKmsTestServer();
    attacker = await startGcpKmsTestServer();
    keyA = kms.resourceId("app");
    keyB = kms.resourceId("other");
    kms.createKey(keyA);
    kms.createKey(keyB);
    env = { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token };
    master = join(tmp.path, "master.yaml");
    writeFileSync(master, PLAIN);
    const r = await hush(["encrypt", "-i", "--gcp-kms", keyA, master], { env });
    expect(r.stderr).toBe("");
  });
  beforeEach(() => kms.fault(undefined));
  afterAll(async () => {
    await kms.stop();
    await attacker.stop();
    tmp.cleanup();
  });

  /** A copy of the encrypted file, its resource_id replaced by `resourceId` (metadata is not under the MAC). */
  const withResourceId = (name: string, resourceId: string): string => {
    const f = join(tmp.path, name);
    writeFileSync(f, readFileSync(master, "utf8").replace(`resource_id: ${keyA}`, `resource_id: ${JSON.stringify(resourceId)}`));
    return f;
  };
  /** Runs `args`, expects exit 128 with one error line (plus "next:" hints) matching `line`, and the file unchanged. */
  const failsCleanly = async (f: string, runEnv: Record<string, string>, line: RegExp): Promise<string> => {
    const before = readFileSync(f);
    const r = await hush(["decrypt", "-i", f], { env: runEnv });
    expect(r.status, r.stderr).toBe(128);
    const [first, ...rest] = r.stderr.trim().split("\n");
    expect(first).toMatch(line);
    expect(rest.every((l) => l.startsWith("  next:")), r.stderr).toBe(true);
    expect(readFileSync(f)).toEqual(before);
    return first!;
  };
  const groupZero = (id: string): string => `could not decrypt the data key: group 0: gcp_kms ${id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: `;

  it("a resource_id that tries to reach another path, query, fragment or host is refused before any request (no token sent, none fetched)", async () => {
    const injections = [
      `${keyA}/../../../../token`,
      `${keyA}?alt=json`,
      `${keyA}#frag`,
      `${keyA}%2F..%2F..%2Ftoken`,
      `${keyA}/cryptoKeyVersions/1`,
      `//127.0.0.1:${new URL(attacker.address).port}/v1/${keyA}`,
      `@127.0.0.1:${new URL(attacker.address).port}/${keyA}`,
      `projects/../locations/global/keyRings/ring/cryptoKeys/app`,
      `projects/p\\x/locations/global/keyRings/ring/cryptoKeys/app`,
      `${keyA}\u001b[2J`,
    ];
    // A service account: the strongest case, since hush would first fetch a token with its key.
    const runEnv = { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: JSON.stringify(kms.serviceAccount()) };
    for (const [i, id] of injections.entries()) {
      const f = withResourceId(`inject-${i}.yaml`, id);
      const r = await hush(["decrypt", f], { env: runEnv });
      expect(r.status, id).toBe(128);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("Invalid GCP KMS resource ID");
      expect(r.stderr).not.toContain("\u001b");
      if (i > 1) continue;
      const textconv = await hush(["git", "textconv", f], { env });
      expect(textconv.stdout).not.toContain("s3cr3t");
      // The pre-commit check, which has no keys, reports it too.
      const check = await hush(["check", f], { env });
      expect(check.stdout).toContain("cannot be a wrapped key: its resource_id is not a Cloud KMS key name");
    }
    const escaped = await hush(["check", join(tmp.path, `inject-${injections.length - 1}.yaml`)], { env });
    expect(escaped.stdout).toContain("\\x1b[2J");
    expect(kms.calls.filter((c) => c.path !== `/v1/${keyA}:encrypt`), "a request left hush").toEqual([]);
    expect(attacker.calls).toEqual([]);
  });

  it("a redirect from Cloud KMS or the token endpoint is not followed: the token stays put", async () => {
    kms.fault({ kind: "redirect", to: attacker.address });
    const line = await failsCleanly(master, env, new RegExp(`${groupZero(keyA)}GCP KMS decrypt failed: HTTP 307 redirect not followed \\(set SOPS_GCP_KMS_ENDPOINT to the server that answers\\)$`));
    expect(line).not.toContain(kms.token);
    await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: JSON.stringify(kms.serviceAccount()) }, /GCP KMS decrypt failed: no access token: the token endpoint http:\/\/127\.0\.0\.1:\d+\/token answered HTTP 307, a redirect hush does not follow$/);
    expect(attacker.calls).toEqual([]);
  });

  it("credentials cross the network only over https: a plain-http token_uri or endpoint off this machine is refused before any request", async () => {
    const calls = kms.calls.length;
    const remoteToken = JSON.stringify(kms.serviceAccount({ token_uri: "http://oauth2.example.com/token" }));
    await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: remoteToken }, /the OAuth token endpoint address http:\/\/oauth2\.example\.com\/token is not https; hush sends credentials over plain http only to this machine/);
    await failsCleanly(master, { ...env, SOPS_GCP_KMS_ENDPOINT: "http://cloudkms.example.com" }, /SOPS_GCP_KMS_ENDPOINT: the Cloud KMS address http:\/\/cloudkms\.example\.com is not https/);
    await failsCleanly(master, { ...env, SOPS_GCP_KMS_ENDPOINT: `${kms.address}/v1/evil?x=` }, /BadConfiguration \(SOPS_GCP_KMS_ENDPOINT .* is not scheme:\/\/host\[:port\] only\): no request was sent; correct or unset SOPS_GCP_KMS_ENDPOINT$/);
    expect(kms.calls.length).toBe(calls);
  });

  it("a wrong token, a service account key the token endpoint does not know, no credentials: one line naming the key and group, exit 128, nothing written", async () => {
    await failsCleanly(
      master,
      { ...env, GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.wrong" },
      new RegExp(`^hush: .*master\\.yaml: ${groupZero(keyA)}GCP KMS decrypt failed: UNAUTHENTICATED \\(HTTP 401: Request had invalid authentication credentials\\..*\\), using GOOGLE_OAUTH_ACCESS_TOKEN$`),
    );
    const other = await startGcpKmsTestServer();
    try {
      // A key pair the server never saw, sent to this server's token endpoint.
      const forged = JSON.stringify(other.serviceAccount({ token_uri: kms.tokenUri }));
      await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: forged }, /GCP KMS decrypt failed: no access token: the token endpoint http:\/\/127\.0\.0\.1:\d+\/token refused: invalid_grant \(Invalid JWT Signature\.\)$/);
    } finally {
      await other.stop();
    }
    await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, METADATA_SERVER_DETECTION: "none" }, /GCP KMS decrypt failed: no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_CREDENTIALS or GOOGLE_APPLICATION_CREDENTIALS, or run `gcloud auth application-default login`$/);
    await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: "/no/such/sa.json" }, /GCP KMS decrypt failed: CredentialsUnloadable \(GOOGLE_CREDENTIALS names no file and is not a credential's JSON\): no request was sent; correct or unset GOOGLE_CREDENTIALS$/);
    await failsCleanly(master, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: '{"type": "external_account"}' }, /CredentialsUnloadable \(GOOGLE_CREDENTIALS holds a Google credential of type external_account; hush reads service_account and authorized_user credentials\): no request was sent; for others, set GOOGLE_OAUTH_ACCESS_TOKEN/);
  });

  it("a denied key, a ciphertext moved to another key, a server error, a server that hangs: one line, exit 128 (encrypt: 1, as SOPS), nothing written", async () => {
    const denied = kms.resourceId("denied");
    kms.createKey(denied);
    kms.deny(denied);
    const f = join(tmp.path, "denied.yaml");
    writeFileSync(f, PLAIN);
    const enc = await hush(["encrypt", "-i", "--gcp-kms", denied, f], { env });
    // Wrapping is not retrieving: SOPS's encrypt exits 1 ("Could not generate data key").
    expect(enc.status).toBe(1);
    expect(enc.stderr).toContain(`group 0: gcp_kms key ${denied}: GCP KMS encrypt failed: PERMISSION_DENIED (HTTP 403: Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource '${denied}' (or it may not exist).), using GOOGLE_OAUTH_ACCESS_TOKEN\n`);
    expect(readFileSync(f, "utf8")).toBe(PLAIN);
    await failsCleanly(withResourceId("deny.yaml", denied), env, new RegExp(`${groupZero(denied)}GCP KMS decrypt failed: PERMISSION_DENIED \\(HTTP 403: Permission 'cloudkms\\.cryptoKeyVersions\\.useToDecrypt' denied`));
    // The ciphertext is bound to the key that made it.
    await failsCleanly(withResourceId("moved.yaml", keyB), env, new RegExp(`${groupZero(keyB)}GCP KMS decrypt failed: INVALID_ARGUMENT \\(HTTP 400: Decryption failed: verify that 'name' refers to the correct CryptoKey\\.\\)$`));
    kms.fault({ kind: "5xx" });
    await failsCleanly(master, env, new RegExp(`${groupZero(keyA)}GCP KMS decrypt failed: UNAVAILABLE \\(HTTP 503: The service is currently unavailable\\.\\)$`));
    kms.fault({ kind: "hang" });
    const started = Date.now();
    await failsCleanly(master, { ...env, HUSH_GCP_KMS_TIMEOUT: "1" }, new RegExp(`${groupZero(keyA)}GCP KMS decrypt failed: NetworkTimeout \\(no answer within 1000 ms\\) at http://127\\.0\\.0\\.1:\\d+ \\(SOPS_GCP_KMS_ENDPOINT\\)$`));
    expect(Date.now() - started).toBeLessThan(4500);
  });

  it("Cloud KMS answering UNAVAILABLE for a moment is asked again, as Google's clients (and so SOPS) do; a lasting outage fails after a few tries, and the file's next keys are asked once", async () => {
    const kmsCalls = (): number => kms.calls.filter((c) => c.path.startsWith("/v1/")).length;
    let calls = kmsCalls();
    kms.fault({ kind: "5xx", times: 2 });
    const ok = await hush(["decrypt", master], { env });
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toBe(PLAIN);
    expect(kmsCalls() - calls).toBe(3);
    // Two entries, both unavailable: the first is tried 4 times, the second once.
    const both = join(tmp.path, "both.yaml");
    writeFileSync(both, PLAIN);
    expect((await hush(["encrypt", "-i", "--gcp-kms", `${keyA},${keyB}`, both], { env })).stderr).toBe("");
    kms.fault({ kind: "5xx" });
    calls = kmsCalls();
    const started = Date.now();
    const before = readFileSync(both);
    const r = await hush(["decrypt", "-i", both], { env });
    expect(r.status).toBe(128);
    for (const key of [keyA, keyB]) expect(r.stderr).toContain(`gcp_kms ${key}: GCP KMS decrypt failed: UNAVAILABLE (HTTP 503: The service is currently unavailable.)\n`);
    expect(readFileSync(both)).toEqual(before);
    expect(kmsCalls() - calls).toBe(5);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a bad --gcp-kms value is refused before anything is written or sent", async () => {
    const f = join(tmp.path, "flag.yaml");
    writeFileSync(f, PLAIN);
    const calls = kms.calls.length;
    const r = await hush(["encrypt", "-i", "--gcp-kms", `${keyA}?x=1`, f], { env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`Invalid GCP KMS resource ID "${keyA}?x=1"`);
    expect(readFileSync(f, "utf8")).toBe(PLAIN);
    expect(kms.calls.length).toBe(calls);
  });
});
