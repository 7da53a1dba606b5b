import { describe, expect, it } from "vitest";
import type { MasterKeyEntry } from "@hush/core";
import { mergeRecipients } from "../src/recipient-merge.ts";

/** A PGP entry as a file holds it; only the fingerprint matters to the recipient merge. */
const pgp = (fp: string): MasterKeyEntry => ({ kind: "pgp", fp, enc: "-----BEGIN PGP MESSAGE-----\nx\n-----END PGP MESSAGE-----", created_at: "2026-01-01T00:00:00Z" }) as MasterKeyEntry;

/** A KMS entry; its identity is the ARN, role, encryption context and profile. */
const kms = (context: Record<string, string>): MasterKeyEntry =>
  ({ kind: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/k", role: "", context, awsProfile: "", enc: "AQID", createdAt: "2026-01-01T00:00:00Z" }) as MasterKeyEntry;

describe("mergeRecipients", () => {
  it("takes a PGP fingerprint in another case for the same key (gpg and .sops.yaml do), not for a removal and an addition", () => {
    const fp = "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4";
    const other = "0123456789ABCDEF0123456789ABCDEF01234567";
    const notes: string[] = [];
    const merged = mergeRecipients([[pgp(fp), pgp(other)]], [[pgp(fp.toLowerCase()), pgp(other)]], [[pgp(fp), pgp(other)]], notes);
    expect(merged).toEqual([[pgp(fp), pgp(other)]]);
    expect(notes).toEqual([]);
  });

  it("tells KMS encryption contexts apart that SOPS's identity text writes alike", () => {
    const [split, joined] = [kms({ a: "b", c: "d" }), kms({ a: "b,c:d" })];
    const notes: string[] = [];
    const merged = mergeRecipients([[split]], [[joined]], [[split]], notes);
    expect(merged).toEqual([[joined]]);
    expect(notes).toEqual([
      "recipients added by their side: kms arn:aws:kms:us-east-1:111122223333:key/k|a:b,c:d",
      "recipients removed by their side: kms arn:aws:kms:us-east-1:111122223333:key/k|a:b,c:d",
    ]);
  });

  it("with Shamir groups that differ and no common ancestor, names their recipients it leaves out as listed by their side only", () => {
    const [a, b, c] = ["A".repeat(40), "B".repeat(40), "C".repeat(40)];
    const notes: string[] = [];
    const merged = mergeRecipients([[pgp(a)], [pgp(b)]], [[pgp(a)], [pgp(c)], [pgp(b)]], undefined, notes);
    expect(merged).toEqual([[pgp(a)], [pgp(b)]]);
    expect(notes).toEqual([
      "the two sides have different key groups (Shamir); the merged file keeps ours: run `hush updatekeys` to apply .sops.yaml",
      `recipients listed by their side only (the file has no encrypted common ancestor), not in the merged file (its key groups are ours): pgp ${c}`,
    ]);
  });
});
