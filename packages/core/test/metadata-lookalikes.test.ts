import { describe, expect, it } from "vitest";
import { decodeMetadata } from "@hush/core";

/**
 * Metadata fields SOPS reads under another spelling (core's sops-field-names.ts): every level of
 * the section is looked at, only names that fold to one of SOPS's own count, and exact names and
 * unknown fields are not lookalikes.
 */
describe("fields spelled like SOPS's", () => {
  const entry = { recipient: "age1x", enc: "x" };
  const base = { lastmodified: "2025-01-01T00:00:00Z", mac: "", version: "3.13.2" };
  const lookalikes = (raw: Record<string, unknown>): unknown => decodeMetadata({ ...base, ...raw }).unread?.lookalikeFields ?? [];

  it("finds them in the section, in key groups and in key entries, with the field SOPS reads", () => {
    expect(lookalikes({ age: [entry], AGE: [entry], Mac_Only_Encrypted: true })).toEqual([
      { where: "sops.AGE", name: "AGE", reads: "age" },
      { where: "sops.Mac_Only_Encrypted", name: "Mac_Only_Encrypted", reads: "mac_only_encrypted" },
    ]);
    expect(lookalikes({ age: [{ ...entry, Recipient: "age1y" }], pgp: [{ fp: "F", enc: "x", created_at: "2025-01-01T00:00:00Z", Fp: "G" }] })).toEqual([
      { where: "sops.pgp[0].Fp", name: "Fp", reads: "fp" },
      { where: "sops.age[0].Recipient", name: "Recipient", reads: "recipient" },
    ]);
    expect(lookalikes({ key_groups: [{ age: [entry] }, { age: [{ ...entry, ENC: "y" }], HC_VAULT: [] }] })).toEqual([
      { where: "sops.key_groups[1].HC_VAULT", name: "HC_VAULT", reads: "hc_vault" },
      { where: "sops.key_groups[1].age[0].ENC", name: "ENC", reads: "enc" },
    ]);
  });

  it("folds as Go does: the long s and the Kelvin sign are lookalikes too", () => {
    expect(lookalikes({ age: [entry], "\u017Fhamir_threshold": 1, "\u212Ams": [] })).toEqual([
      { where: "sops.\u017Fhamir_threshold", name: "\u017Fhamir_threshold", reads: "shamir_threshold" },
      { where: "sops.\u212Ams", name: "\u212Ams", reads: "kms" },
    ]);
  });

  it("leaves exact names and unknown fields alone (an unknown field stays unknownFields)", () => {
    const m = decodeMetadata({ ...base, age: [{ ...entry, note: "n" }], hckms: [], notes: "n" });
    expect(m.unread?.lookalikeFields).toEqual([]);
    expect(m.unread?.unknownFields.map((f) => f.name)).toEqual(["notes"]);
    expect(decodeMetadata({ ...base, age: [entry] }).unread).toBeUndefined();
  });

  it("names the field when the only keys sit under a lookalike", () => {
    expect(() => decodeMetadata({ ...base, Age: [entry] })).toThrow("invalid sops metadata: no keys found in file: sops.Age is not spelled age");
    expect(() => decodeMetadata({ ...base, KEY_GROUPS: [{ age: [entry] }] })).toThrow("sops.KEY_GROUPS is not spelled key_groups");
  });
});
