/**
 * A YAML `sops` block that SOPS's reader (go-yaml v3 decoding into Go structs) reads otherwise than
 * hush's: tags on its nodes, the null words `~` and `null`, and `mac_only_encrypted` spelled as a
 * YAML 1.1 boolean. No tool writes any of these, and a branch without a key could add each: SOPS
 * would then read a field otherwise than hush (a role through a tag, no rule where hush read the
 * text "null"), or check the MAC over other values than hush's review says. Each case first shows
 * what real SOPS reads, then that hush refuses the file on every path and names the line or field.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsDecrypt, startKmsTestServer } from "@hush/testkit";
import { checkErrorLines, hush, hushEncrypted, makeAgeKey, type AgeKey } from "../keys/helpers.ts";

let tmp: { path: string; cleanup: () => void };
let alice: AgeKey;

beforeAll(async () => {
  tmp = makeTempDir("hush-yaml-meta-");
  alice = await makeAgeKey(tmp.path, "alice");
});

afterAll(() => tmp?.cleanup());

const encrypted = (name: string, plaintext: string): Promise<string> => hushEncrypted(tmp.path, name, plaintext, alice.recipient);

/** `hush check` (keyless) and `hush decrypt` on `text` written as `name`: both refuse it. */
async function refusals(name: string, text: string): Promise<{ check: string[]; decrypt: string }> {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  const check = await hush(["check", name], { cwd: tmp.path });
  expect(check.status, check.stdout + check.stderr).toBe(1);
  const decrypt = await hush(["decrypt", path], { env: { SOPS_AGE_KEY_FILE: alice.file } });
  expect(decrypt.stdout).toBe("");
  expect(decrypt.status, decrypt.stderr).toBe(2);
  return { check: checkErrorLines(check.stdout, name), decrypt: decrypt.stderr };
}

const ENC_BLOCK = /enc: \|\n((?: {12}.*\n)+)/;

describe.concurrent("a YAML sops block that SOPS reads otherwise than hush", () => {
  it("a tag on a field (`!!merge`, `!!binary`, `!!str`, an application's own): SOPS reads the field through it; every hush command refuses it", async () => {
    const yaml = await encrypted("t.yaml", "password: tag-secret-1\n");
    const enc = ENC_BLOCK.exec(yaml)![1]!.replace(/^ {12}/gm, "");
    const variants: Record<string, string> = {
      // go-yaml reads the text of a string field whatever its tag, and decodes `!!binary` first.
      merge: yaml.replace("enc: |", "enc: !!merge |"),
      binary: yaml.replace(ENC_BLOCK, `enc: !!binary ${Buffer.from(enc).toString("base64")}\n`),
      str: yaml.replace("enc: |", "enc: !!str |"),
      custom: yaml.replace("enc: |", "enc: !wrapped |"),
    };
    for (const [name, text] of Object.entries(variants)) {
      expect(text, name).not.toBe(yaml);
      const sops = await sopsDecrypt({ text, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(sops, name).toMatchObject({ ok: true, plaintext: expect.stringContaining("tag-secret-1") as unknown });
      const { check, decrypt } = await refusals(`t-${name}.enc.yaml`, text);
      expect(check, name).toEqual([expect.stringMatching(/:4: error: .*invalid sops metadata: a tag .* at line 4, which no tool writes there/) as unknown]);
      expect(decrypt, name).toContain("invalid sops metadata: a tag");
      expect(decrypt, name).toContain("at line 4");
    }
  });

  it("`role: !!merge …` on a KMS entry: SOPS assumes that role; hush refuses the file, naming the tag, and calls no KMS", async () => {
    const kms = await startKmsTestServer();
    try {
      const arn = kms.createKey();
      const path = join(tmp.path, "r.yaml");
      writeFileSync(path, "password: role-secret-1\n");
      const r = await hush(["encrypt", "--kms", arn, path], { env: kms.env });
      expect(r.status, r.stderr).toBe(0);
      const mallory = "arn:aws:iam::111122223333:role/mallory";
      const text = r.stdout.replace(`arn: ${arn}\n`, `arn: ${arn}\n          role: !!merge ${mallory}\n`);
      expect(text).not.toBe(r.stdout);
      kms.resetStats();
      expect(await sopsDecrypt({ text, format: "yaml", env: kms.env })).toMatchObject({ ok: true, plaintext: expect.stringContaining("role-secret-1") as unknown });
      expect(kms.calls.filter((c) => c.operation === "AssumeRole").map((c) => c.roleArn)).toEqual([mallory]);
      kms.resetStats();
      const path2 = join(tmp.path, "r.enc.yaml");
      writeFileSync(path2, text);
      const access = await hush(["access", "--json", "r.enc.yaml"], { cwd: tmp.path });
      expect(access.status, access.stdout).not.toBe(0);
      expect(access.stderr).toContain("invalid sops metadata: a tag !!merge at line");
      const decrypt = await hush(["decrypt", path2], { env: { ...kms.env, HUSH_AWS_ROLES: mallory } });
      expect(decrypt.status, decrypt.stderr).toBe(2);
      expect(decrypt.stderr).toContain("invalid sops metadata: a tag !!merge at line");
      expect(kms.callCount).toBe(0);
    } finally {
      await kms.stop();
    }
  });

  it("a tag on a key or a list: refused too", async () => {
    const yaml = await encrypted("k.yaml", "password: tag-secret-2\n");
    const key = yaml.replace("    age:\n", `    !!binary ${Buffer.from("age").toString("base64")}:\n`);
    expect(await sopsDecrypt({ text: key, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: true, plaintext: expect.stringContaining("tag-secret-2") as unknown });
    expect((await refusals("k1.enc.yaml", key)).decrypt).toContain("invalid sops metadata: a tag !!binary at line 3");
    const list = yaml.replace("    age:\n", "    age: !!seq\n");
    expect((await refusals("k2.enc.yaml", list)).decrypt).toContain("invalid sops metadata: a tag !!seq at line 3");
  });

  it("`null` and `~` are no value to SOPS and text to hush: `unencrypted_suffix: null` is SOPS's default rule; refused", async () => {
    const yaml = await encrypted("n.yaml", "password: null-secret-1\napi_unencrypted: https://ok.example\n");
    const text = yaml.replace("unencrypted_suffix: _unencrypted", "unencrypted_suffix: null");
    expect(text).not.toBe(yaml);
    // SOPS falls back to the default `_unencrypted` suffix; hush read a rule of suffix "null".
    expect(await sopsDecrypt({ text, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: true, plaintext: expect.stringContaining("null-secret-1") as unknown });
    const { check, decrypt } = await refusals("n.enc.yaml", text);
    expect(check).toEqual([expect.stringContaining("invalid sops metadata: null at line") as unknown]);
    expect(decrypt).toMatch(/invalid sops metadata: null at line \d+, which SOPS reads as no value and hush as the text null/);
    const tilde = yaml.replace(/recipient: (\S+)/, "recipient: ~");
    expect((await refusals("n2.enc.yaml", tilde)).decrypt).toContain("invalid sops metadata: ~ at line");
  });

  it("`mac_only_encrypted: yes` is true to SOPS and was false to hush (its review, its MAC): refused", async () => {
    const path = join(tmp.path, "m.yaml");
    writeFileSync(path, "password: mac-secret-1\napi_unencrypted: https://ok.example\n");
    const r = await hush(["encrypt", "--mac-only-encrypted", "--age", alice.recipient, path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("\n    mac_only_encrypted: true\n");
    for (const spelling of ["yes", "True", "on"]) {
      // Under mac_only_encrypted the clear value is outside the MAC: SOPS takes the one a branch wrote.
      const text = r.stdout.replace("mac_only_encrypted: true", `mac_only_encrypted: ${spelling}`).replace("https://ok.example", "https://evil.example");
      const sops = await sopsDecrypt({ text, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(sops, spelling).toMatchObject({ ok: true, plaintext: expect.stringContaining("https://evil.example") as unknown });
      const { check, decrypt } = await refusals(`m-${spelling}.enc.yaml`, text);
      expect(check, spelling).toEqual([expect.stringContaining("invalid sops metadata: mac_only_encrypted is neither true nor false") as unknown]);
      expect(decrypt, spelling).toContain("invalid sops metadata: mac_only_encrypted is neither true nor false");
    }
  });
});
