import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";
import { makeTempDir } from "@hush/testkit";
import { randomKey, requireTool, sshKeygen } from "./tools.ts";

// The Debian age CLI (1.1.1) is an independent implementation: X25519, SSH and scrypt, no PQ.
const age = requireTool("age", "age");
const tmp = makeTempDir("hush-age-cli-");
afterAll(() => tmp.cleanup());

const ARMOR = /^-----BEGIN AGE ENCRYPTED FILE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{4,64}\n-----END AGE ENCRYPTED FILE-----\n$/;

function ageDecrypt(enc: string, identityFile: string): Uint8Array {
  return new Uint8Array(execFileSync(age, ["-d", "-i", identityFile], { input: enc, stdio: ["pipe", "pipe", "inherit"] }));
}

function ageEncrypt(plain: Uint8Array, recipient: string): string {
  return execFileSync(age, ["-e", "-a", "-r", recipient], { input: plain, encoding: "utf8", stdio: ["pipe", "pipe", "inherit"] });
}

const ssh = {
  ed25519: sshKeygen(tmp.path, "id_ed25519", ["-t", "ed25519"]),
  rsa: sshKeygen(tmp.path, "id_rsa", ["-t", "rsa", "-b", "2048"]),
};

describe("interop with the age CLI", () => {
  it("age -d opens what hush wraps to an X25519 recipient, giving the 32 raw bytes", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const keyFile = join(tmp.path, "keys.txt");
    writeFileSync(keyFile, `# test key\n${identity}\n`, { mode: 0o600 });
    const dataKey = randomKey();
    const entry = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
    expect(entry.enc).toMatch(ARMOR);
    expect(ageDecrypt(entry.enc, keyFile)).toEqual(dataKey);
  });

  for (const [name, key] of Object.entries(ssh)) {
    it(`age -d -i <${name} key> opens what hush wraps to the ssh public key`, async () => {
      const dataKey = randomKey();
      const entry = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient: key.publicKey });
      expect(entry.enc).toMatch(ARMOR);
      expect(ageDecrypt(entry.enc, key.path)).toEqual(dataKey);
    });

    it(`hush opens what age -e -a -r '<${name} public key>' writes`, async () => {
      const dataKey = randomKey();
      const enc = ageEncrypt(dataKey, key.publicKey);
      const source = new AgeKeySource({ identities: parseAgeIdentities(readFileSync(key.path, "utf8"), { source: key.path }) });
      expect(await source.unwrap({ kind: "age", recipient: key.publicKey, enc })).toEqual(dataKey);
    });
  }

  it("hush opens what age -e -a -r <age1…> writes", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const dataKey = randomKey();
    const enc = ageEncrypt(dataKey, recipient);
    const source = new AgeKeySource({ identities: parseAgeIdentities(identity) });
    expect(await source.unwrap({ kind: "age", recipient, enc })).toEqual(dataKey);
  });

  it("hush armor has exactly the line layout of age's armor", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const keyFile = join(tmp.path, "armor-keys.txt");
    writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
    const entry = await new AgeKeySource().wrap(randomKey(), { kind: "age", recipient });
    // Two files to one X25519 recipient with 32-byte payloads have the same length, so age's
    // armor of one must break lines exactly where hush's armor of the other does.
    const fromAge = ageEncrypt(randomKey(), recipient);
    expect(entry.enc.split("\n").map((l) => l.length)).toEqual(fromAge.split("\n").map((l) => l.length));
    expect(ageDecrypt(entry.enc, keyFile)).toHaveLength(32);
  });
});
