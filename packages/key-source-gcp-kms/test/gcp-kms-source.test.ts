import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { GcpKmsKeySource, checkGcpKmsResourceId, gcpKmsEndpoint, isGcpKmsResourceId, parseGcpKmsResourceId } from "@hush/key-source-gcp-kms";
import { gcpKmsBackend } from "@hush/key-source-gcp-kms/backend";
import { startGcpKmsTestServer, type GcpKmsTestServer } from "@hush/testkit";

const ID = "projects/my-project/locations/europe-west1/keyRings/ring_1/cryptoKeys/key-1";

describe("Cloud KMS resource IDs", () => {
  it("accepts Google's key names, project numbers and domain-scoped projects", () => {
    for (const id of [ID, "projects/123456789012/locations/global/keyRings/r/cryptoKeys/k", "projects/example.com:proj/locations/us/keyRings/r/cryptoKeys/k"]) {
      expect(isGcpKmsResourceId(id), id).toBe(true);
    }
  });

  it("refuses anything that would change the request URL, and key versions (as SOPS does)", () => {
    for (const id of [
      `${ID}/cryptoKeyVersions/1`,
      `${ID}/../x`,
      `${ID}?x`,
      `${ID}#x`,
      `${ID}%2F`,
      `${ID}:decrypt`,
      `${ID}\n`,
      "projects/../locations/l/keyRings/r/cryptoKeys/k",
      "projects/.x/locations/l/keyRings/r/cryptoKeys/k",
      "/projects/p/locations/l/keyRings/r/cryptoKeys/k",
      "projects/p/locations/l/keyRings/r/cryptoKeys/",
      "projects/p/locations/l/keyRings/r\\x/cryptoKeys/k",
      "",
    ]) {
      expect(isGcpKmsResourceId(id), id).toBe(false);
    }
    const err = (() => {
      try {
        return checkGcpKmsResourceId(`${ID}\u001b[2J`, "METADATA_INVALID");
      } catch (e) {
        return e;
      }
    })();
    expect(isHushError(err, "METADATA_INVALID")).toBe(true);
    expect((err as Error).message).toContain("\\u001b[2J");
  });

  it("flags and .sops.yaml lose their spaces first, as SOPS's NewMasterKeyFromResourceID does", () => {
    expect(parseGcpKmsResourceId(` ${ID.replace("keyRings", "keyRings ")} `)).toBe(ID);
  });
});

describe("the Cloud KMS endpoint", () => {
  it("comes from SOPS_GCP_KMS_ENDPOINT (URL or host:port), SOPS_GCP_KMS_UNIVERSE_DOMAIN, or Google's", () => {
    expect(gcpKmsEndpoint({})).toBe("https://cloudkms.googleapis.com");
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: "cloudkms.s3nsapis.fr:443" })).toBe("https://cloudkms.s3nsapis.fr");
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: "https://kms.internal.example/" })).toBe("https://kms.internal.example");
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: "http://127.0.0.1:8080" })).toBe("http://127.0.0.1:8080");
    expect(gcpKmsEndpoint({ SOPS_GCP_KMS_UNIVERSE_DOMAIN: "s3nsapis.fr" })).toBe("https://cloudkms.s3nsapis.fr");
    expect(() => gcpKmsEndpoint({ SOPS_GCP_KMS_ENDPOINT: "http://kms.example" })).toThrow(/not https/);
    expect(() => gcpKmsEndpoint({ SOPS_GCP_KMS_UNIVERSE_DOMAIN: "evil.example/x?" })).toThrow(/not a domain name/);
  });
});

describe("GcpKmsKeySource", () => {
  let kms: GcpKmsTestServer;
  beforeAll(async () => {
    kms = await startGcpKmsTestServer();
    kms.createKey(ID);
  });
  afterAll(() => kms.stop());

  it("wraps and unwraps a data key and a Shamir share with a service account, fetching one token for all calls", async () => {
    const source = new GcpKmsKeySource({ env: { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_CREDENTIALS: JSON.stringify(kms.serviceAccount()) }, homeDir: "/nonexistent" });
    const key = new Uint8Array(32).fill(7);
    const share = new Uint8Array(33).fill(9);
    const [a, b] = await Promise.all([source.wrap(key, { kind: "gcp_kms", resourceId: ID }), source.wrap(share, { kind: "gcp_kms", resourceId: ID })]);
    expect(a.enc).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(a.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await source.unwrap(a)).toEqual(key);
    expect(await source.unwrap(b)).toEqual(share);
    expect(await source.unwrap({ kind: "age", recipient: "age1x", enc: "" })).toBeNull();
    expect(kms.calls.filter((c) => c.path === "/token")).toHaveLength(1);
  });

  it("a file's resource_id or enc that is not well formed is METADATA_INVALID, before any request", async () => {
    const source = new GcpKmsKeySource({ env: { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token }, homeDir: "/nonexistent" });
    const calls = kms.calls.length;
    for (const entry of [
      { kind: "gcp_kms", resourceId: `${ID}/../../x`, createdAt: "2024-01-01T00:00:00Z", enc: "QUJD" },
      { kind: "gcp_kms", resourceId: ID, createdAt: "2024-01-01T00:00:00Z", enc: "not base64!" },
      // Larger than any Cloud KMS ciphertext (64 KiB): a file must not make hush upload megabytes with the token.
      { kind: "gcp_kms", resourceId: ID, createdAt: "2024-01-01T00:00:00Z", enc: Buffer.alloc(65_537, 1).toString("base64") },
    ]) {
      const err = await source.unwrap(entry).catch((e: unknown) => e);
      expect(isHushError(err, "METADATA_INVALID")).toBe(true);
    }
    expect(kms.calls.length).toBe(calls);
  });

  it("hush check's keyless test names an enc longer than a Cloud KMS ciphertext can be", () => {
    const entry = (bytes: number) => ({ kind: "gcp_kms" as const, resourceId: ID, createdAt: "2024-01-01T00:00:00Z", enc: Buffer.alloc(bytes, 1).toString("base64") });
    expect(gcpKmsBackend.wrappedKeyFault?.(entry(65_536))).toBeUndefined();
    expect(gcpKmsBackend.wrappedKeyFault?.(entry(65_537))).toBe("a Cloud KMS ciphertext of 65537 bytes is longer than Cloud KMS makes (64 KiB)");
  });

  it("a quota project that is not a project id never becomes a header", async () => {
    const env = { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token, GOOGLE_CLOUD_QUOTA_PROJECT: "p\r\nX-Injected: 1" };
    const source = new GcpKmsKeySource({ env, homeDir: "/nonexistent" });
    const calls = kms.calls.length;
    const err = await source.wrap(new Uint8Array(32), { kind: "gcp_kms", resourceId: ID }).catch((e: unknown) => e);
    expect(isHushError(err, "KEY_SOURCE_FAILED")).toBe(true);
    expect((err as Error).message).toContain("GOOGLE_CLOUD_QUOTA_PROJECT p\\x0d\\x0aX-Injected: 1 is not a project id");
    expect(kms.calls.length).toBe(calls);
  });
});

describe("gcloud's credentials file without a home directory", () => {
  it("is not looked for at a name relative to the working directory (a repository someone else wrote)", () => {
    const source = new GcpKmsKeySource({ env: {}, homeDir: "" });
    expect(source.describeSearch()).toEqual(["Google credentials: GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, gcloud's credentials (no home directory), the GCE metadata server"]);
    const home = new GcpKmsKeySource({ env: {}, homeDir: "/home/u" });
    expect(home.describeSearch()).toEqual(["Google credentials: GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, /home/u/.config/gcloud/application_default_credentials.json, the GCE metadata server"]);
  });
});
