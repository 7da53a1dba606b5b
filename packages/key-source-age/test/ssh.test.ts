import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { AgeKeySource, ageRecipientOf, normalizeAgeRecipient, parseAgeIdentities } from "@hush/key-source-age";
import { decodeMetadata } from "@hush/core";
import { makeTempDir } from "@hush/testkit";
import { EDWARDS_D } from "../src/curve25519.ts";
import { randomKey, sshKeygen } from "./tools.ts";

const tmp = makeTempDir("hush-age-ssh-");
afterAll(() => tmp.cleanup());

const keys = {
  ed25519: sshKeygen(tmp.path, "id_ed25519", ["-t", "ed25519"]),
  rsa: sshKeygen(tmp.path, "id_rsa", ["-t", "rsa", "-b", "3072"]),
  rsaPem: sshKeygen(tmp.path, "id_rsa_pem", ["-t", "rsa", "-b", "2048", "-m", "PEM"]),
  rsaPkcs8: sshKeygen(tmp.path, "id_rsa_pkcs8", ["-t", "rsa", "-b", "2048", "-m", "PKCS8"]),
};
const identitiesOf = (path: string) => parseAgeIdentities(readFileSync(path, "utf8"), { source: path });

describe("SSH recipients", () => {
  it("uses Ed25519's d, -121665/121666 mod p", () => {
    const p = 2n ** 255n - 19n;
    expect((EDWARDS_D * 121666n + 121665n) % p).toBe(0n);
    expect(EDWARDS_D > 0n && EDWARDS_D < p).toBe(true);
  });

  for (const [name, key] of Object.entries(keys)) {
    it(`wraps to a ${name} public key and unwraps with its private key`, async () => {
      const dataKey = randomKey();
      const copy = Uint8Array.from(dataKey);
      const wrapped = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient: `  ${key.publicKey}\n` });
      expect(dataKey).toEqual(copy);
      // Stored trimmed, comment included, as SOPS does.
      expect(wrapped.recipient).toBe(key.publicKey);
      const stanza = key.publicKey.split(" ")[0];
      expect(Buffer.from(wrapped.enc.split("\n").slice(1, -2).join(""), "base64").toString("latin1")).toContain(`\n-> ${stanza} `);
      expect(await new AgeKeySource({ identities: identitiesOf(key.path) }).unwrap(wrapped)).toEqual(dataKey);
    });
  }

  it("reads PKCS#8 Ed25519 private keys (as written by node:crypto or openssl)", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), raw]);
    const recipient = `ssh-ed25519 ${wire.toString("base64")}`;
    const dataKey = randomKey();
    const wrapped = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
    const pem = privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    expect(await new AgeKeySource({ identities: parseAgeIdentities(pem) }).unwrap(wrapped)).toEqual(dataKey);
  });

  it("an SSH key does not open an entry for another SSH key", async () => {
    const wrapped = await new AgeKeySource().wrap(randomKey(), { kind: "age", recipient: keys.ed25519.publicKey });
    const others = [...identitiesOf(keys.rsa.path), ...identitiesOf(keys.rsaPem.path)];
    expect(await new AgeKeySource({ identities: others }).unwrap(wrapped)).toBeNull();
    const other = sshKeygen(tmp.path, "other_ed25519", ["-t", "ed25519"]);
    expect(await new AgeKeySource({ identities: identitiesOf(other.path) }).unwrap(wrapped)).toBeNull();
  });

  it("derives the public key line of an OpenSSH private key", async () => {
    expect(await ageRecipientOf(readFileSync(keys.ed25519.path, "utf8"))).toBe(keys.ed25519.publicKey);
    expect(await ageRecipientOf(readFileSync(keys.rsa.path, "utf8"))).toBe(keys.rsa.publicKey);
  });

  it("refuses RSA keys shorter than 2048 bits, as age does", () => {
    const small = sshKeygen(tmp.path, "small_rsa", ["-t", "rsa", "-b", "1024"]);
    expect(() => normalizeAgeRecipient(small.publicKey)).toThrow(/shorter than 2048 bits/);
    expect(() => identitiesOf(small.path)).toThrow(/shorter than 2048 bits/);
  });

  it("refuses unsupported SSH key types by name", () => {
    const ecdsa = sshKeygen(tmp.path, "id_ecdsa", ["-t", "ecdsa"]);
    expect(() => normalizeAgeRecipient(ecdsa.publicKey)).toThrow(/expected age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …/);
    expect(() => normalizeAgeRecipient("ssh-dss AAAAB3NzaC1kc3MAAACBAP test")).toThrow(/only ssh-ed25519 and ssh-rsa/);
    expect(() => identitiesOf(ecdsa.path)).toThrow(/unsupported SSH key type/);
  });

  it("reports a passphrase-protected OpenSSH key clearly", () => {
    const locked = sshKeygen(tmp.path, "locked", ["-t", "ed25519", "-N", "correct horse"]);
    expect(() => identitiesOf(locked.path)).toThrow(/passphrase-protected OpenSSH keys are not supported/);
  });

  it("opens a passphrase-protected PEM RSA key, asking only when an ssh stanza is tried", async () => {
    const locked = sshKeygen(tmp.path, "locked_pem", ["-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "correct horse"]);
    const asked: string[] = [];
    const identities = parseAgeIdentities(readFileSync(locked.path, "utf8"), {
      source: locked.path,
      passphrase: (what) => {
        asked.push(what);
        return Promise.resolve("correct horse");
      },
    });
    expect(identities[0]?.needsPassphrase).toBe(true);
    const source = new AgeKeySource({ identities });
    const x25519Entry = await new AgeKeySource().wrap(randomKey(), {
      kind: "age",
      recipient: "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun",
    });
    expect(await source.unwrap(x25519Entry)).toBeNull();
    expect(asked).toEqual([]);
    const dataKey = randomKey();
    const wrapped = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient: locked.publicKey });
    expect(await source.unwrap(wrapped)).toEqual(dataKey);
    expect(asked).toEqual([`SSH key ${locked.path}`]);
  });
});

/**
 * SOPS 3.10+ reads an `ssh-` recipient of a file's metadata with Go's authorized_keys reader
 * (v3.13.2 age/keysource.go:165 and :512, agessh.ParseRecipient → ssh.ParseAuthorizedKey): it
 * takes a leading options field, the first line of several that parses, and the key type the
 * encoded key names, whatever the line's first word says. hush reads the line's first two words.
 * So `ssh-rsa,x ssh-ed25519 <key B>` is key B to `sops rotate` and an unusable recipient to hush.
 * No tool writes such a line: hush refuses it where it reads the metadata.
 */
describe("SSH recipients in a file's metadata", () => {
  const base = { lastmodified: "2025-01-01T00:00:00Z", mac: "", version: "3.13.2" };
  const decode = (recipient: string): unknown => decodeMetadata({ ...base, age: [{ recipient, enc: "x" }] });
  const [, ed25519Blob] = keys.ed25519.publicKey.split(" ") as [string, string];
  const [, rsaBlob] = keys.rsa.publicKey.split(" ") as [string, string];

  it.each([
    ["an options field", `ssh-rsa,no-pty ssh-ed25519 ${ed25519Blob}`],
    ["a second line", `ssh-rsa x\nssh-ed25519 ${ed25519Blob}`],
    ["a line after a comment line", `ssh-ed25519 #\n# c\nssh-ed25519 ${ed25519Blob}`],
    ["a carriage return", `ssh-ed25519 ${ed25519Blob}\rssh-rsa ${rsaBlob}`],
    ["a type that is not the encoded key's", `ssh-rsa ${ed25519Blob}`],
    ["a type that is not the encoded key's", `ssh-ed25519 ${rsaBlob} x`],
  ])("refuses %s", (_, recipient) => {
    expect(() => decode(recipient)).toThrow(
      "invalid sops metadata: sops.age[0].recipient is an SSH key line that SOPS reads otherwise than hush (an options field, several lines, or a key type the encoded key does not have); no tool writes it: write the key as ssh-keygen prints it",
    );
  });

  it("reads a key line as ssh-keygen writes it, comment included", () => {
    for (const recipient of [keys.ed25519.publicKey, keys.rsa.publicKey, `ssh-ed25519\t${ed25519Blob}`, `ssh-rsa ${rsaBlob} a comment, with spaces`]) {
      expect(() => decode(recipient), recipient).not.toThrow();
    }
  });
});
