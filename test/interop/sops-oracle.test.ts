/**
 * Real SOPS (3.9.2, see @hush/testkit's sops-oracle) decrypts what the real hush CLI writes:
 * formats × key types × workflows. Each case compares SOPS's plaintext with `hush decrypt`'s,
 * values and types; INI gives only SOPS's verdict.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, sopsDecrypt, startKmsTestServer, type GnupgHome, type KmsTestServer, type SopsOracleFormat } from "@hush/testkit";
import { combineKeys, hush, makeAgeKey, type AgeKey } from "../keys/helpers.ts";
import { edited, PATHS, PLAINTEXT } from "./fixtures.ts";
import { runCase, type CaseEnv, type OracleCase } from "./oracle-case.ts";

const FORMATS: readonly SopsOracleFormat[] = ["yaml", "json", "dotenv", "ini", "binary"];
const PGP = SOPS_TEST_PGP_KEYS.key1;
const ROLE = "arn:aws:iam::111122223333:role/hush-oracle";

let tmp: { path: string; cleanup: () => void };
let gpg: GnupgHome;
let kms: KmsTestServer;
let age: AgeKey[];
let k: CaseEnv;
let arn1 = "";
let arn2 = "";

beforeAll(async () => {
  tmp = makeTempDir("hush-sops-oracle-");
  gpg = makeGnupgHome();
  kms = await startKmsTestServer();
  arn1 = kms.createKey();
  arn2 = kms.createKey();
  age = await Promise.all([makeAgeKey(tmp.path, "a1"), makeAgeKey(tmp.path, "a2"), makeAgeKey(tmp.path, "a3")]);
  k = {
    dir: tmp.path,
    env: { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all-age", age), GNUPGHOME: gpg.home, ...kms.env },
  };
});

afterAll(async () => {
  await kms?.stop();
  gpg?.cleanup();
  tmp?.cleanup();
});

const a = (i: number): string => age[i]!.recipient;

/** Key setups: `hush encrypt` flags, or a .sops.yaml with key groups. */
function keySetups(): Record<string, Pick<OracleCase, "encrypt" | "config" | "sopsEnv">> {
  return {
    age: { encrypt: ["--age", a(0)] },
    "age, two recipients": { encrypt: ["--age", `${a(0)},${a(1)}`] },
    "AWS KMS": { encrypt: ["--kms", arn1] },
    "AWS KMS with encryption context": { encrypt: ["--kms", arn1, "--encryption-context", "app:hush,stage:oracle test"] },
    "AWS KMS with role": { encrypt: ["--kms", `${arn1}+${ROLE}`] },
    PGP: { encrypt: ["--pgp", PGP] },
    "mixed key groups": {
      encrypt: [],
      config: `creation_rules:\n  - key_groups:\n      - age: [${a(0)}]\n        pgp: [${PGP}]\n      - kms:\n          - arn: ${arn2}\n            role: ${ROLE}\n            context: {app: hush}\n        age: [${a(1)}]\n`,
    },
    "Shamir 2 of 2": { encrypt: [], config: `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a(0)}]\n      - age: [${a(1)}]\n` },
    "Shamir 2 of 3, opened without KMS": {
      encrypt: [],
      config: `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a(2)}]\n      - pgp: [${PGP}]\n      - kms:\n          - arn: ${arn1}\n`,
      // Only the age and PGP groups' keys: SOPS must reach the threshold without KMS.
      sopsEnv: { SOPS_AGE_KEY_FILE: age[2]!.file, GNUPGHOME: gpg.home },
    },
  };
}

async function expectAgreement(c: OracleCase): Promise<void> {
  const outcome = await runCase(c, k);
  expect(outcome.problem, `${c.name}:\n${outcome.encrypted}`).toBeUndefined();
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, "-");

describe.concurrent("SOPS 3.9.2 decrypts what hush encrypts: formats × key types", () => {
  for (const format of FORMATS) {
    for (const keyName of ["age", "age, two recipients", "AWS KMS", "AWS KMS with encryption context", "AWS KMS with role", "PGP", "mixed key groups", "Shamir 2 of 2", "Shamir 2 of 3, opened without KMS"]) {
      it(`${format}, ${keyName}`, async () => {
        const setup = keySetups()[keyName]!;
        await expectAgreement({ name: slug(`${format}-${keyName}`), format, plaintext: PLAINTEXT[format], ...setup });
      });
    }
  }
});

describe.concurrent("SOPS 3.9.2 decrypts what hush's workflows leave behind", () => {
  const ageOnly = (): readonly string[] => ["--age", a(0)];
  for (const format of FORMATS) {
    const base = { format, plaintext: PLAINTEXT[format] };
    if (format !== "binary") {
      const p = PATHS[format];
      it(`${format}: set (changed and new value)`, async () => {
        const newValue = format === "yaml" || format === "json" ? '{"x": [1, "two", null], "y": 9007199254740993}' : '"new: välue"';
        const newPath = format === "ini" ? '["database"]["added"]' : format === "dotenv" ? '["ADDED"]' : '["added"]';
        await expectAgreement({ ...base, name: `${format}-set`, encrypt: ageOnly(), steps: [["set", "{}", p.set, '"changed ✓"'], ["set", "{}", newPath, newValue]] });
      });
      it(`${format}: unset`, async () => {
        await expectAgreement({ ...base, name: `${format}-unset`, encrypt: ageOnly(), steps: [["unset", "{}", p.unset]] });
      });
    }
    it(`${format}: rotate, adding and removing keys`, async () => {
      await expectAgreement({
        ...base,
        name: `${format}-rotate`,
        encrypt: ageOnly(),
        steps: [["rotate", "-i", "{}"], ["rotate", "-i", "--add-kms", arn1, "--add-pgp", PGP, "--rm-age", a(0), "{}"]],
        sopsEnv: { ...kms.env, GNUPGHOME: gpg.home },
      });
    });
    it(`${format}: updatekeys to a new rule`, async () => {
      await expectAgreement({
        ...base,
        name: `${format}-updatekeys`,
        encrypt: [],
        config: `creation_rules:\n  - age: ${a(0)}\n`,
        configAfter: `creation_rules:\n  - pgp: ${PGP}\n    age: ${a(1)}\n`,
        steps: [["updatekeys", "-y", "{}"]],
        sopsEnv: { SOPS_AGE_KEY_FILE: age[1]!.file },
      });
    });
    it(`${format}: groups add and delete`, async () => {
      const type = format === "binary" ? ["--input-type", "binary"] : [];
      await expectAgreement({
        ...base,
        name: `${format}-groups`,
        encrypt: ageOnly(),
        steps: [
          ["groups", "add", "-f", "{}", "-i", ...type, "--pgp", PGP, "--kms", arn2],
          ["groups", "add", "-f", "{}", "-i", ...type, "--age", a(2), "--shamir-secret-sharing-threshold", "2"],
          ["groups", "delete", "-f", "{}", "-i", ...type, "0"],
        ],
        sopsEnv: { GNUPGHOME: gpg.home, SOPS_AGE_KEY_FILE: age[2]!.file },
      });
    });
    it(`${format}: encrypt --reuse of an earlier version`, async () => {
      const type = format === "binary" ? ["--input-type", "binary"] : [];
      await expectAgreement({
        ...base,
        name: `${format}-reuse`,
        encrypt: ageOnly(),
        nextPlaintext: edited(format, PLAINTEXT[format]),
        steps: [["encrypt", ...type, "--reuse", "{}", "--output", "{}", "{plain}"]],
      });
    });
  }
});

describe.concurrent("SOPS 3.9.2 decrypts files written under hush's rule flags", () => {
  const rules: Record<string, { formats: readonly SopsOracleFormat[]; flags: readonly string[] }> = {
    "--encrypted-regex": { formats: ["yaml", "json", "dotenv", "ini"], flags: ["--encrypted-regex", "^(password|PASSWORD|DB_PASSWORD|deeper|nested|list)$"] },
    "--unencrypted-suffix": { formats: ["yaml", "json", "dotenv", "ini"], flags: ["--unencrypted-suffix", "_unencrypted"] },
    "--unencrypted-regex": { formats: ["yaml", "json", "dotenv", "ini"], flags: ["--unencrypted-regex", "^(service|count|DB_HOST|host)$"] },
    "--encrypted-comment-regex (comments above keys)": { formats: ["yaml"], flags: ["--encrypted-comment-regex", "before a scalar"] },
    "--unencrypted-comment-regex (comments above keys)": { formats: ["yaml"], flags: ["--unencrypted-comment-regex", "inside a nested map"] },
    "--mac-only-encrypted with --encrypted-regex": {
      formats: ["yaml", "json", "dotenv", "ini"],
      flags: ["--mac-only-encrypted", "--encrypted-regex", "^(password|PASSWORD|DB_PASSWORD|deeper)$"],
    },
  };
  for (const [rule, { formats, flags }] of Object.entries(rules)) {
    for (const format of formats) {
      it(`${format}: ${rule}`, async () => {
        await expectAgreement({ name: slug(`${format}-${rule}`), format, plaintext: PLAINTEXT[format], encrypt: ["--age", a(0), ...flags] });
      });
    }
  }
  it("yaml: --mac-only-encrypted, then set of an unencrypted value", async () => {
    await expectAgreement({
      name: "yaml-mac-only-set",
      format: "yaml",
      plaintext: PLAINTEXT.yaml,
      encrypt: ["--age", a(0), "--mac-only-encrypted", "--encrypted-regex", "^password$"],
      steps: [["set", "{}", '["service"]', '"renamed"']],
    });
  });
});

// Files SOPS 3.9.2 refuses when hush writes them as it did before these rows were added.
describe.concurrent("files SOPS refused: hush must write what SOPS reads, or refuse itself", () => {
  it("INI: comment rule over a comment line", async () => {
    for (const flag of ["--unencrypted-comment-regex", "--encrypted-comment-regex"]) {
      await expectAgreement({ name: `ini-comment-rule${flag}`, format: "ini", plaintext: "[s]\n; public\na = visible\nb = hidden\n", encrypt: ["--age", a(0), flag, "public"] });
    }
  });
  it("YAML: line-end comment under a comment rule", async () => {
    await expectAgreement({ name: "yaml-line-end-comment-rule", format: "yaml", plaintext: "a: visible # public\nb: hidden\n", encrypt: ["--age", a(0), "--unencrypted-comment-regex", "public"] });
  });
  it("dotenv: indented comment", async () => {
    await expectAgreement({ name: "dotenv-indented-comment", format: "dotenv", plaintext: "  # indented\nA=1\n", encrypt: ["--age", a(0)] });
  });
  it("YAML: anchors and merge keys that reach encrypted values", async () => {
    const plaintext = "defaults: &defaults\n  user: app\n  password: s3cret\nprod:\n  <<: *defaults\n  host: prod.internal\nalias_value: *defaults\n";
    await expectAgreement({ name: "yaml-anchors", format: "yaml", plaintext, encrypt: ["--age", a(0)] });
  });
  it("YAML: non-string keys are refused by hush encrypt, naming the line", async () => {
    const file = join(tmp.path, "non-string-keys.yaml");
    writeFileSync(file, "1: one\ntrue: x\nname: y\n");
    const r = await hush(["encrypt", "--age", a(0), file], { cwd: tmp.path, env: k.env });
    let sopsVerdict = "";
    if (r.status === 0) {
      const sops = await sopsDecrypt({ text: r.stdout, format: "yaml", env: k.env }).catch((e: unknown) => ({ ok: false as const, error: String(e) }));
      sopsVerdict = sops.ok ? "SOPS read it" : `SOPS: ${sops.error}`;
    }
    rmSync(file);
    expect(r.status, `hush encrypt wrote a file SOPS cannot use (${sopsVerdict})`).not.toBe(0);
    expect(r.stderr).toMatch(/line 1/);
  });
});
