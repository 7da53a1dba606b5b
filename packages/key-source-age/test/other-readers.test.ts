import { describe, expect, it } from "vitest";
import { armor, Encrypter } from "age-encryption";
import { generateAgeKeyPair, generateHybridAgeKeyPair } from "@hush/key-source-age";
import { ageEntryOtherReaders } from "../src/other-readers.ts";
import { randomKey } from "./tools.ts";

/** An age entry for `label` whose wrapped key is the data key encrypted (by typage) for `recipients`. */
async function entry(label: string, recipients: readonly string[]): Promise<{ kind: "age"; recipient: string; enc: string }> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return { kind: "age", recipient: label, enc: armor.encode(await e.encrypt(randomKey())) };
}

describe("ageEntryOtherReaders: what an entry's age header shows of its readers", () => {
  it("one stanza of the label's kind: nothing to say, for X25519 and post-quantum recipients", async () => {
    const x = await generateAgeKeyPair();
    const pq = await generateHybridAgeKeyPair();
    expect(ageEntryOtherReaders(await entry(x.recipient, [x.recipient]))).toBeUndefined();
    expect(ageEntryOtherReaders(await entry(pq.recipient, [pq.recipient]))).toBeUndefined();
  });

  it("a second stanza, or only a stanza of another kind, is named", async () => {
    const pq = await generateHybridAgeKeyPair();
    const other = await generateHybridAgeKeyPair();
    const x = await generateAgeKeyPair();
    expect(ageEntryOtherReaders(await entry(pq.recipient, [pq.recipient, other.recipient]))).toBe(
      "its age header wraps the data key 2 times (mlkem768x25519, mlkem768x25519), where SOPS wraps it once, for the post-quantum age key the entry names",
    );
    expect(ageEntryOtherReaders(await entry(x.recipient, [other.recipient]))).toBe("its age header wraps the data key for mlkem768x25519, not for the age key the entry names");
  });

  it("a plugin's recipient is not judged: its stanzas are the plugin's own", async () => {
    const x = await generateAgeKeyPair();
    const e = await entry(x.recipient, [x.recipient]);
    expect(ageEntryOtherReaders({ ...e, recipient: "age1yubikey1qwt50d05nh5vutpdzmlg5wn80xq5negm4uj9ghv0snvdd3yysf5yw3rhl3t" })).toBeUndefined();
  });
});
