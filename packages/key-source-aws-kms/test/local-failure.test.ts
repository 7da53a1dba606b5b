import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecryptCommand, EncryptCommand, KMSClient, type KMSClientConfig } from "@aws-sdk/client-kms";
import { classifyKmsError, credentialsLoadFailure } from "@hush/key-source-aws-kms";
import { startKmsTestServer, type KmsTestServer } from "@hush/testkit";

/**
 * What the real SDK throws before it sends a request (a credential provider that throws, settings
 * it refuses, a file it cannot read) is classified by what it is, not as an unreadable answer.
 */

/** What the SDK throws for `command` (a Decrypt by default) with `client`, before or after sending. */
async function thrownBy(client: KMSClient, command: DecryptCommand | EncryptCommand = new DecryptCommand({ KeyId: "alias/any", CiphertextBlob: Buffer.alloc(64, 1) })): Promise<unknown> {
  try {
    await client.send(command as DecryptCommand);
  } catch (err) {
    return err;
  } finally {
    client.destroy();
  }
  throw new Error("the call did not fail");
}

describe("KMS failures before any request", () => {
  let server: KmsTestServer;
  beforeAll(async () => {
    server = await startKmsTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const client = (credentials: KMSClientConfig["credentials"], region = server.region): KMSClient =>
    new KMSClient({ region, endpoint: server.endpoint, maxAttempts: 1, ...(credentials === undefined ? {} : { credentials }) });

  it("a credential provider that throws is CredentialsUnloadable, with the error's type and message; nothing reaches the server", async () => {
    server.resetStats();
    const err = await thrownBy(
      client(async () => {
        throw credentialsLoadFailure(new TypeError("the profile's provider broke"));
      }),
    );
    expect(classifyKmsError(err)).toEqual({ reason: "CredentialsUnloadable", detail: "TypeError: the profile's provider broke" });
    expect(server.callCount).toBe(0);
  });

  it("a file the credential search cannot read is CredentialsUnloadable naming the file, marked or not", async () => {
    let fileError: unknown;
    try {
      readFileSync("/nonexistent-hush-dir/token");
    } catch (err) {
      fileError = err;
    }
    const err = await thrownBy(
      client(async () => {
        throw fileError;
      }),
    );
    expect(classifyKmsError(err)).toEqual({ reason: "CredentialsUnloadable", detail: "ENOENT: open /nonexistent-hush-dir/token" });
    expect(classifyKmsError(credentialsLoadFailure(fileError))).toEqual({ reason: "CredentialsUnloadable", detail: "ENOENT: open /nonexistent-hush-dir/token" });
  });

  it("settings the SDK refuses are BadConfiguration with its message", async () => {
    const err = await thrownBy(client({ accessKeyId: server.credentials.accessKeyId, secretAccessKey: server.credentials.secretAccessKey }, "not a region!"));
    const { reason, detail } = classifyKmsError(err);
    expect(reason).toBe("BadConfiguration");
    expect(detail).toContain("not a region!");
  });

  it("the SDK's own 'no credentials' and an answer stay as they were", async () => {
    const none = Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
    expect(credentialsLoadFailure(none)).toBe(none);
    expect(classifyKmsError(none).reason).toBe("NoCredentials");
    server.setGarbage("invalid-json");
    try {
      const encrypt = new EncryptCommand({ KeyId: server.createKey(), Plaintext: Buffer.alloc(32, 7) });
      const err = await thrownBy(client({ accessKeyId: server.credentials.accessKeyId, secretAccessKey: server.credentials.secretAccessKey }), encrypt);
      expect(credentialsLoadFailure(err)).toBe(err);
      expect(classifyKmsError(err).reason).toBe("MalformedResponse");
    } finally {
      server.setGarbage("off");
    }
  });
});
