import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isHushError, type MasterKeyEntry } from "@hush/core";
import { AwsKmsKeySource, type KmsKeyEntry, type KmsKeyRecipient } from "@hush/key-source-aws-kms";

/**
 * The tests every KMS server must pass, whoever implements it (moto, hush's own test server),
 * and the small helpers the KMS key-source tests share.
 */

/** A KMS recipient with every optional field empty. */
export function recipient(arn: string, extra: Partial<KmsKeyRecipient> = {}): KmsKeyRecipient {
  return { kind: "kms", arn, role: "", context: {}, awsProfile: "", ...extra };
}

/** The HushError a promise rejects with, as code, message and hint. */
export async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; hint: string }> {
  try {
    await p;
  } catch (e) {
    if (!isHushError(e)) throw e;
    return { code: e.code, message: e.message, hint: e.hint ?? "" };
  }
  throw new Error("expected a HushError, got success");
}

/** A running KMS server as the shared tests see it. */
export interface Harness {
  env: Readonly<Record<string, string>>;
  /** A role the server lets the test credentials assume, in the account of its keys. */
  role: string;
  createKey(region?: string): Promise<string>;
}

/** Registers the shared tests for the server `harness` gives. */
export function sharedBehaviour(name: string, harness: () => Promise<Harness>): void {
  describe(`${name}: shared behaviour`, () => {
    it("wraps and unwraps a 32-byte key without context", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const source = new AwsKmsKeySource({ env: h.env });
      const key = randomBytes(32);
      const entry = (await source.wrap(key, recipient(arn))) as KmsKeyEntry;
      expect(entry).toMatchObject({ kind: "kms", arn, role: "", context: {}, awsProfile: "" });
      expect(entry.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(Math.abs(Date.parse(entry.createdAt) - Date.now())).toBeLessThan(60_000);
      expect(entry.enc).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      const blob = Buffer.from(entry.enc, "base64");
      expect(blob.length).toBeGreaterThan(32);
      expect(blob.includes(key)).toBe(false);
      const out = await source.unwrap(entry);
      expect(Buffer.from(out ?? [])).toEqual(key);
      await source.close();
    });

    it("wraps and unwraps a 33-byte share with an encryption context, and a fresh source opens it", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const share = randomBytes(33);
      const context = { app: "billing", env: "prod" };
      const entry = (await new AwsKmsKeySource({ env: h.env }).wrap(share, recipient(arn, { context }))) as KmsKeyEntry;
      expect(entry.context).toEqual(context);
      const reader = new AwsKmsKeySource({ env: h.env });
      expect(Buffer.from((await reader.unwrap(entry)) ?? [])).toEqual(share);
      await reader.close();
    });

    it("fails with InvalidCiphertext when the context differs or is missing", async () => {
      const h = await harness();
      const arn = await h.createKey();
      const source = new AwsKmsKeySource({ env: h.env, maxAttempts: 1 });
      const entry = (await source.wrap(randomBytes(32), recipient(arn, { context: { env: "prod" } }))) as KmsKeyEntry;
      for (const context of [{ env: "dev" }, {}, { env: "prod", extra: "x" }]) {
        const f = await failure(source.unwrap({ ...entry, context }));
        expect(f.code).toBe("KEY_SOURCE_FAILED");
        expect(f.message).toContain(arn);
        expect(f.message).toContain("InvalidCiphertext");
        expect(f.hint).toContain("encryption context");
      }
      await source.close();
    });

    it("uses the endpoint from the environment for a key ARN of another region", async () => {
      const h = await harness();
      const arn = await h.createKey("ap-southeast-2");
      expect(arn).toContain(":ap-southeast-2:");
      // AWS_REGION says us-east-1; the region comes from the ARN, the endpoint from the environment.
      const source = new AwsKmsKeySource({ env: { ...h.env, AWS_REGION: "us-east-1" } });
      const key = randomBytes(32);
      const entry = await source.wrap(key, recipient(arn));
      expect(Buffer.from((await source.unwrap(entry)) ?? [])).toEqual(key);
      await source.close();
    });

    it("assumes the entry's role through STS at the configured endpoint", async () => {
      const h = await harness();
      const arn = await h.createKey();
      // A role named by a file is used only when the user allows it.
      const source = new AwsKmsKeySource({ env: { ...h.env, HUSH_AWS_ROLES: h.role } });
      const key = randomBytes(32);
      const entry = (await source.wrap(key, recipient(arn, { role: h.role }))) as KmsKeyEntry;
      expect(entry.role).toBe(h.role);
      expect(Buffer.from((await source.unwrap(entry)) ?? [])).toEqual(key);
      await source.close();
    });

    it("returns null for entries of other kinds", async () => {
      const source = new AwsKmsKeySource({ env: (await harness()).env });
      const age: MasterKeyEntry = { kind: "age", recipient: "age1xyz", enc: "x" };
      expect(await source.unwrap(age)).toBeNull();
      expect(await source.unwrap({ kind: "gcp_kms", fields: { resource_id: "x" } })).toBeNull();
    });
  });
}
