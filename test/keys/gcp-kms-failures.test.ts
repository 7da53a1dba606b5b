import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startGcpKmsTestServer, type GcpKmsTestServer } from "@hush/testkit";
import { encryptedFile, failsWith, misbehaving, SECRET } from "./cloud-failures.ts";

/**
 * Cloud KMS failures through the built CLI, named as AWS KMS names its own (see cloud-failures.ts):
 * before any request, reaching a token endpoint, and answers that are not the service's.
 */

describe("Cloud KMS failures", () => {
  let kms: GcpKmsTestServer;
  let file: string;
  const tmp = makeTempDir("hush-cloud-failures-");
  const dir = tmp.path;
  beforeAll(async () => {
    kms = await startGcpKmsTestServer();
    const key = kms.resourceId("app");
    kms.createKey(key);
    file = await encryptedFile(dir, "gcp.yaml", "--gcp-kms", key, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token });
  });
  afterAll(async () => {
    await kms.stop();
    tmp.cleanup();
  });

  it("a GOOGLE_APPLICATION_CREDENTIALS that is not there, a directory, a device, or not a credential is CredentialsUnloadable with the next step; its content is never shown, nothing is sent", async () => {
    const missing = join(dir, "absent-sa.json");
    const bad = join(dir, "bad-sa.json");
    writeFileSync(bad, `{"type": "service_account", "private_key": "${SECRET}"`);
    const before = kms.calls.length;
    for (const [path, detail] of [
      [missing, `cannot read GOOGLE_APPLICATION_CREDENTIALS ${missing}: ENOENT, no such file`],
      [dir, `cannot read GOOGLE_APPLICATION_CREDENTIALS ${dir}: EISDIR, a directory, not a file`],
      [bad, `GOOGLE_APPLICATION_CREDENTIALS file ${bad} is not a Google credential: not JSON`],
      // Read as it was, it never ended: hush filled its memory with zeros.
      ["/dev/zero", "cannot read GOOGLE_APPLICATION_CREDENTIALS /dev/zero: not a regular file (a device or socket)"],
    ] as const) {
      await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_APPLICATION_CREDENTIALS: path }, `GCP KMS decrypt failed: CredentialsUnloadable (${detail}): no request was sent; correct or unset GOOGLE_APPLICATION_CREDENTIALS`);
    }
    expect(kms.calls.length).toBe(before);
  });

  it("a GOOGLE_OAUTH_ACCESS_TOKEN with a line break inside is named as the setting to correct; nothing is sent", async () => {
    const before = kms.calls.length;
    await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: `${kms.token}\nsecond-line-secret` }, "GCP KMS decrypt failed: CredentialsUnloadable (GOOGLE_OAUTH_ACCESS_TOKEN holds a character an HTTP header cannot carry (a line break or control character?)): no request was sent; correct GOOGLE_OAUTH_ACCESS_TOKEN");
    expect(kms.calls.length).toBe(before);
  });

  it("settings that are not what they should be are BadConfiguration naming the variable", async () => {
    await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: "https://kms.example/v1", GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.secret-token" }, "BadConfiguration (SOPS_GCP_KMS_ENDPOINT https://kms.example/v1 is not scheme://host[:port] only): no request was sent; correct or unset SOPS_GCP_KMS_ENDPOINT");
    // Google's own endpoint goes through the proxy; the proxy setting is what to correct.
    const proxied = await failsWith(file, { GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.secret-token", HTTPS_PROXY: "http://[bad" }, "GCP KMS decrypt failed: BadConfiguration (HTTPS_PROXY is not a proxy address (http://[user:password@]host:port): correct or unset it): no request was sent");
    expect(proxied.split("\n")[0]).toMatch(/no request was sent$/);
    await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: kms.address, GCE_METADATA_HOST: "metadata/x", METADATA_SERVER_DETECTION: "none" }, "BadConfiguration (GCE_METADATA_HOST metadata/x is not host[:port]): no request was sent; correct or unset GCE_METADATA_HOST");
  });

  it("a token endpoint that fails is named as such: 5xx 'failed', not 'refused', and a page that is not JSON says so", async () => {
    const server = await misbehaving(502);
    try {
      const sa = join(dir, "sa-502.json");
      writeFileSync(sa, JSON.stringify(kms.serviceAccount({ token_uri: `${server.address}/token` })));
      await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_APPLICATION_CREDENTIALS: sa }, `no access token: the token endpoint ${server.address}/token failed: HTTP 502 (the answer is not JSON (text/html): not the service's own; is a proxy or gateway in between?)`);
      await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: server.address, GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.secret-token" }, "GCP KMS decrypt failed: ServerError (HTTP 502: the answer is not JSON (text/html)");
    } finally {
      await server.stop();
    }
  });

  it("an endpoint that cannot be reached is named with the setting that chose it: the key's name does not say where it was asked", async () => {
    const closing = await misbehaving(0);
    try {
      await failsWith(file, { SOPS_GCP_KMS_ENDPOINT: closing.address, GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.secret-token" }, `GCP KMS decrypt failed: NetworkError (ECONNRESET) at ${closing.address} (SOPS_GCP_KMS_ENDPOINT)`);
    } finally {
      await closing.stop();
    }
  });
});
