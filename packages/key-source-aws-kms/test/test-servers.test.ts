/**
 * Checks of the test servers themselves: the key source tests only mean something if the
 * server really verifies signatures and contexts.
 */
import { describe, expect, it } from "vitest";
import { kmsCall, KmsProtocolError, signSigV4, startKmsTestServer, verifySigV4 } from "@hush/testkit";

const EXAMPLE = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const VECTOR_TIME = new Date("2015-08-30T12:36:00Z");

describe("SigV4", () => {
  it("matches the AWS test suite vector get-vanilla", () => {
    const headers = signSigV4(
      { method: "GET", url: "/", body: new Uint8Array(0), headers: { Host: "example.amazonaws.com" } },
      EXAMPLE,
      "us-east-1",
      "service",
      VECTOR_TIME,
    );
    expect(headers["authorization"]).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, " +
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });

  it("verifies what it signs and rejects any change", () => {
    const body = Buffer.from('{"KeyId":"k"}');
    const base = { method: "POST", url: "/", body, headers: { host: "127.0.0.1:1", "x-amz-target": "TrentService.Encrypt" } };
    const headers = signSigV4(base, EXAMPLE, "eu-west-1", "kms", VECTOR_TIME);
    const req = { ...base, headers };
    expect(verifySigV4(req, [EXAMPLE], VECTOR_TIME)).toEqual({ ok: true, accessKeyId: "AKIDEXAMPLE", region: "eu-west-1", service: "kms" });
    const tamperedBody = { ...req, body: Buffer.from('{"KeyId":"j"}') };
    expect(verifySigV4(tamperedBody, [EXAMPLE], VECTOR_TIME)).toMatchObject({ ok: false, code: "InvalidSignatureException" });
    const tamperedHeader = { ...req, headers: { ...headers, "x-amz-target": "TrentService.Decrypt" } };
    expect(verifySigV4(tamperedHeader, [EXAMPLE], VECTOR_TIME)).toMatchObject({ ok: false, code: "InvalidSignatureException" });
    const wrongSecret = [{ ...EXAMPLE, secretAccessKey: "other" }];
    expect(verifySigV4(req, wrongSecret, VECTOR_TIME)).toMatchObject({ ok: false, code: "InvalidSignatureException" });
    expect(verifySigV4(req, [{ ...EXAMPLE, accessKeyId: "AKIDOTHER" }], VECTOR_TIME)).toMatchObject({
      ok: false,
      code: "UnrecognizedClientException",
    });
    const later = new Date(VECTOR_TIME.getTime() + 16 * 60 * 1000);
    expect(verifySigV4(req, [EXAMPLE], later)).toMatchObject({ ok: false, message: "Signature expired" });
    expect(verifySigV4({ ...base }, [EXAMPLE], VECTOR_TIME)).toMatchObject({ ok: false, code: "MissingAuthenticationTokenException" });
  });

  it("requires the session token of temporary credentials", () => {
    const temp = { ...EXAMPLE, sessionToken: "token-1" };
    const base = { method: "POST", url: "/", body: new Uint8Array(0), headers: { host: "h" } };
    const signed = signSigV4(base, temp, "us-east-1", "kms", VECTOR_TIME);
    expect(verifySigV4({ ...base, headers: signed }, [temp], VECTOR_TIME).ok).toBe(true);
    const other = signSigV4(base, { ...temp, sessionToken: "token-2" }, "us-east-1", "kms", VECTOR_TIME);
    expect(verifySigV4({ ...base, headers: other }, [temp], VECTOR_TIME)).toMatchObject({ code: "UnrecognizedClientException" });
  });
});

describe("startKmsTestServer", () => {
  it("round-trips through its own protocol client and binds the context", async () => {
    const s = await startKmsTestServer({ region: "eu-west-3" });
    try {
      const opts = { credentials: s.credentials, region: "eu-west-3" };
      const created = await kmsCall(s.endpoint, "CreateKey", { Description: "t" }, opts);
      const arn = (created["KeyMetadata"] as { Arn: string }).Arn;
      expect(arn).toMatch(/^arn:aws:kms:eu-west-3:111122223333:key\/[0-9a-f-]{36}$/);
      const described = await kmsCall(s.endpoint, "DescribeKey", { KeyId: arn }, opts);
      expect((described["KeyMetadata"] as { KeyState: string }).KeyState).toBe("Enabled");
      const plaintext = Buffer.alloc(32, 9).toString("base64");
      const enc = await kmsCall(s.endpoint, "Encrypt", { KeyId: arn, Plaintext: plaintext, EncryptionContext: { a: "b" } }, opts);
      const blob = enc["CiphertextBlob"] as string;
      const dec = await kmsCall(s.endpoint, "Decrypt", { CiphertextBlob: blob, EncryptionContext: { a: "b" } }, opts);
      expect(dec["Plaintext"]).toBe(plaintext);
      await expect(kmsCall(s.endpoint, "Decrypt", { CiphertextBlob: blob, EncryptionContext: { a: "c" } }, opts)).rejects.toMatchObject({
        type: "InvalidCiphertextException",
        status: 400,
      });
      // A key ARN of another region than the signature's is not found, as in AWS.
      await expect(kmsCall(s.endpoint, "Encrypt", { KeyId: arn, Plaintext: plaintext }, { ...opts, region: "eu-west-1" })).rejects.toMatchObject({
        type: "NotFoundException",
      });
      await expect(
        kmsCall(s.endpoint, "Encrypt", { KeyId: arn, Plaintext: plaintext }, { ...opts, credentials: { ...s.credentials, secretAccessKey: "x" } }),
      ).rejects.toBeInstanceOf(KmsProtocolError);
      expect(s.callCount).toBe(7);
      expect(s.calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 400, 400, 400]);
    } finally {
      await s.stop();
    }
  });
});
