import { describe, expect, it } from "vitest";
import { envelopeFields, parseEnvelope } from "@hush/core";

const DATA = "3q2+7w==";
const IV = "AAECAwQFBgcICQoLDA0ODw==";
const TAG = "EBESExQVFhcYGRobHB0eHw==";
const envelope = (type: string, data = DATA): string => `ENC[AES256_GCM,data:${data},iv:${IV},tag:${TAG},type:${type}]`;

describe("envelopeFields: one ciphertext, one spelling, without decoding it", () => {
  it("gives the data, IV and tag as written and the type, as parseEnvelope reads them", () => {
    const fields = envelopeFields(envelope("int"));
    expect(fields).toEqual({ ciphertext: `${DATA},${IV},${TAG}`, type: "int" });
    const parsed = parseEnvelope(envelope("int"));
    expect([parsed.data, parsed.iv, parsed.tag].map((b) => b.toString("base64")).join(",")).toBe(fields!.ciphertext);
  });

  it("gives the same ciphertext under another type label (what a relabel keeps)", () => {
    expect(envelopeFields(envelope("str"))!.ciphertext).toBe(envelopeFields(envelope("bool"))!.ciphertext);
    expect(envelopeFields(`${envelope("float")}\n`)?.type).toBe("float");
  });

  it("gives nothing for what is not an envelope: another cipher, an unknown type, text around it, no text", () => {
    for (const text of [envelope("date"), envelope("str").replace("AES256_GCM", "AES128_GCM"), `x${envelope("str")}`, `${envelope("str")}x`, "ENC[AES256_GCM,", "", 5, null]) {
      expect(envelopeFields(text as string)).toBeUndefined();
    }
  });
});
