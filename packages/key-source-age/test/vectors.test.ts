import { describe, expect, it } from "vitest";
import { AgeKeySource, ageRecipientOf, parseAgeIdentities } from "@hush/key-source-age";
import { ageVectors, randomKey } from "./tools.ts";

const v = ageVectors();
const entry = (recipient: string, enc: string) => ({ kind: "age" as const, recipient, enc });
const source = (identities: string, passphrase?: (what: string) => Promise<string>) =>
  new AgeKeySource({ identities: parseAgeIdentities(identities, passphrase === undefined ? {} : { passphrase }) });

describe("SOPS age test vectors", () => {
  it("mockIdentity opens mockEncryptedKey to the bytes `data`", async () => {
    const out = await source(v.mockIdentity).unwrap(entry(v.mockRecipient, v.mockEncryptedKey));
    expect(Buffer.from(out!).toString("utf8")).toBe(v.mockEncryptedKeyPlain);
    expect(v.mockEncryptedKeyPlain).toBe("data");
  });

  it("mockOtherIdentity does not open mockEncryptedKey", async () => {
    expect(await source(v.mockOtherIdentity).unwrap(entry(v.mockRecipient, v.mockEncryptedKey))).toBeNull();
  });

  it("mockIdentity derives mockRecipient", async () => {
    expect(await ageRecipientOf(v.mockIdentity)).toBe(v.mockRecipient);
  });

  it("mockSshIdentity (OpenSSH ed25519) opens mockEncryptedSshKey", async () => {
    const out = await source(v.mockSshIdentity).unwrap(entry(v.mockSshRecipient, v.mockEncryptedSshKey));
    expect(Buffer.from(out!).toString("utf8")).toBe("data");
  });

  it("mockSshIdentity derives the mockSshRecipient public key, comment included", async () => {
    expect(await ageRecipientOf(v.mockSshIdentity)).toBe(v.mockSshRecipient);
  });

  it("an X25519 identity does not open the SSH vector and vice versa", async () => {
    expect(await source(v.mockIdentity).unwrap(entry(v.mockSshRecipient, v.mockEncryptedSshKey))).toBeNull();
    expect(await source(v.mockSshIdentity).unwrap(entry(v.mockRecipient, v.mockEncryptedKey))).toBeNull();
  });

  it("the passphrase-protected identity file opens mockEncryptedKey with passphrase `passphrase`", async () => {
    const asked: string[] = [];
    const src = source(v.mockEncryptedIdentity, (what) => {
      asked.push(what);
      return Promise.resolve(v.mockIdentityPassphrase);
    });
    const out = await src.unwrap(entry(v.mockRecipient, v.mockEncryptedKey));
    expect(Buffer.from(out!).toString("utf8")).toBe("data");
    // Asked once, naming the file, and remembered for later entries.
    await src.unwrap(entry(v.mockRecipient, v.mockEncryptedKey));
    expect(asked).toEqual(["age identity file age identities"]);
  });

  it("a wrong passphrase opens nothing and is reported by describeSearch", async () => {
    const src = source(v.mockEncryptedIdentity, () => Promise.resolve("wrong"));
    expect(await src.unwrap(entry(v.mockRecipient, v.mockEncryptedKey))).toBeNull();
    expect(src.describeSearch().join("\n")).toMatch(/cannot decrypt the age identity file \(wrong passphrase\?\)/);
  });

  it("the hybrid identity derives an age1pq1 recipient and round-trips a 32-byte key", async () => {
    const recipient = await ageRecipientOf(v.mockHybridIdentity);
    expect(recipient.startsWith("age1pq1")).toBe(true);
    expect(recipient.length).toBe(1959);
    const key = randomKey();
    const src = source(v.mockHybridIdentity);
    const wrapped = await src.wrap(key, { kind: "age", recipient });
    expect(wrapped.recipient).toBe(recipient);
    expect(await src.unwrap(wrapped)).toEqual(key);
    expect(await source(v.mockIdentity).unwrap(wrapped)).toBeNull();
  });
});
