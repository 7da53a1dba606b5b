/**
 * Real SOPS (3.9.2, see @hush/testkit's sops-oracle) decrypts what the real hush CLI writes:
 * formats × key types × workflows. Each case compares SOPS's plaintext with `hush decrypt`'s,
 * values and types; INI gives only SOPS's verdict. This is the full matrix, run by `pnpm test:all`;
 * sops-oracle-smoke.test.ts (one case per format) is the part everyday `pnpm test` runs.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, sopsDecrypt, startKmsTestServer, type GnupgHome, type KmsTestServer, type SopsOracleFormat } from "@hush/testkit";
import { combineKeys, hush, makeAgeKey, type AgeKey } from "../keys/helpers.ts";
import { edited, PATHS, PLAINTEXT } from "./fixtures.ts";
import { hushView, runCase, sopsAgrees, writeCase, type CaseEnv, type OracleCase } from "./oracle-case.ts";

const FORMATS: readonly SopsOracleFormat[] = ["yaml", "json", "dotenv", "ini", "binary"];
const PGP = SOPS_TEST_PGP_KEYS.key1;
const ROLE = "arn:aws:iam::111122223333:role/hush-oracle";
/** A case that runs hush ten times or more: each run is a Node start-up (~0.6 s of CPU when idle). */
const SLOW_CASE_TIMEOUT_MS = 300_000;

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
    // hush assumes a role named by a file only when allowed (README, Security); the files here are ours.
    env: { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all-age", age), GNUPGHOME: gpg.home, HUSH_AWS_ROLES: ROLE, ...kms.env },
  };
});

afterAll(async () => {
  await kms?.stop();
  gpg?.cleanup();
  tmp?.cleanup();
});

const a = (i: number): string => age[i]!.recipient;

// The harness proves itself on SOPS-written files first, in sops-oracle-smoke.test.ts.

/** Key setups: `hush encrypt` flags, or a .sops.yaml with key groups. */
function keySetups(): Record<string, Pick<OracleCase, "encrypt" | "config" | "sopsEnv">> {
  return {
    // SOPS opens it with the second recipient's key only.
    "age, two recipients": { encrypt: ["--age", `${a(0)},${a(1)}`], sopsEnv: { SOPS_AGE_KEY_FILE: age[1]!.file } },
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
    it(`${format}: age (two recipients), AWS KMS (encryption context; role), PGP, mixed groups, Shamir 2 of 2 and 2 of 3`, async () => {
      const problems: string[] = [];
      const written: { keyName: string; file: string; encrypted: string; sopsEnv?: Readonly<Record<string, string>> }[] = [];
      // Binary files keep their metadata in the JSON store: two setups cover what the JSON row does not.
      const setups = Object.entries(keySetups()).filter(([name]) => format !== "binary" || name === "age, two recipients" || name === "mixed key groups");
      for (const [keyName, setup] of setups) {
        const w = await writeCase({ name: slug(`${format}-${keyName}`), format, plaintext: PLAINTEXT[format], ...setup }, k);
        if (w.problem !== undefined) problems.push(`${keyName}: ${w.problem}`);
        else written.push({ keyName, file: w.file, encrypted: w.encrypted, ...(setup.sopsEnv !== undefined ? { sopsEnv: setup.sopsEnv } : {}) });
      }
      // The plaintext is the same under every key setup: hush checks every file (data key, every
      // value, MAC) in one process and shows one; SOPS reads each.
      const type = format === "binary" ? ["--input-type", "binary"] : [];
      const verify = await hush(["verify", ...type, ...written.map((w) => w.file)], { cwd: tmp.path, env: k.env });
      if (verify.status !== 0) problems.push(`hush verify exited ${verify.status}: ${verify.stdout}${verify.stderr}`);
      const view = format === "ini" ? { text: "" } : await hushView(format, written[0]!.file, k);
      if (view.text === undefined) throw new Error(view.problem);
      for (const w of written) {
        const agreed = await sopsAgrees(format, w.encrypted, view.text, w.sopsEnv ?? k.env);
        if (agreed.problem !== undefined) problems.push(`${w.keyName}: ${agreed.problem}\n${w.encrypted}`);
      }
      expect(problems).toEqual([]);
    }, SLOW_CASE_TIMEOUT_MS);
  }
});

// One file per format goes through every workflow in turn (each hush run costs a Node start-up);
// SOPS gives its verdict after every step and its plaintext is compared with hush's at the end.
describe.concurrent("SOPS 3.9.2 decrypts what hush's workflows leave behind", () => {
  for (const format of FORMATS) {
    const type = format === "binary" ? ["--input-type", "binary"] : [];
    it(`${format}: encrypt --reuse, ${format === "binary" ? "" : "set, unset, "}updatekeys, rotate (adding and removing keys), groups add and delete`, async () => {
      const edits: string[][] = [];
      if (format !== "binary") {
        const p = PATHS[format];
        const newValue = format === "yaml" || format === "json" ? '{"x": [1, "two", null, true], "y": 9007199254740993, "z": ""}' : '"new: välue ✓"';
        const newPath = format === "ini" ? '["database"]["added"]' : format === "dotenv" ? '["ADDED_BY_SET"]' : '["added_by_set"]';
        edits.push(["set", "--yes", "{}", p.set, '"changed ✓"'], ["set", "--yes", "{}", newPath, newValue], ["unset", "{}", p.unset]);
      }
      await expectAgreement({
        format,
        name: `${format}-workflows`,
        plaintext: PLAINTEXT[format],
        nextPlaintext: edited(format, PLAINTEXT[format]),
        encrypt: [],
        config: `creation_rules:\n  - age: ${a(0)}\n`,
        configAfter: `creation_rules:\n  - pgp: ${PGP}\n    age: ${a(1)}\n`,
        verdictAfterEachStep: true,
        // configAfter holds from the first step: until updatekeys, the file's age key is one
        // .sops.yaml does not name, so reuse and set (which write values it can read) are told --yes.
        steps: [
          ["encrypt", ...type, "--reuse", "{}", "--yes", "--output", "{}", "{plain}"],
          ...edits,
          ["updatekeys", "-y", "{}"],
          ["rotate", "-i", "{}"],
          ["rotate", "-i", "--add-kms", arn1, "--rm-age", a(1), "{}"],
          // From here the file has keys .sops.yaml does not name (the KMS key added by rotate): --yes.
          ["groups", "add", "-f", "{}", "-i", "--yes", ...type, "--age", a(2), "--shamir-secret-sharing-threshold", "2"],
          ["groups", "add", "-f", "{}", "-i", "--yes", ...type, "--kms", arn2, "--encryption-context", "app:hush"],
          ["groups", "delete", "-f", "{}", "-i", "--yes", ...type, "0"],
        ],
        // Left: two groups of which both are needed, the age key a3 and a KMS key with context.
        sopsEnv: { SOPS_AGE_KEY_FILE: age[2]!.file, ...kms.env },
      });
    }, SLOW_CASE_TIMEOUT_MS);
  }
});

describe.concurrent("SOPS 3.9.2 decrypts files written under hush's rule flags", () => {
  const rules: Record<string, { formats: readonly SopsOracleFormat[]; flags: readonly string[] }> = {
    "--encrypted-regex": { formats: ["yaml", "json", "dotenv", "ini"], flags: ["--encrypted-regex", "^(password|PASSWORD|DB_PASSWORD|deeper|nested|list|big)$"] },
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
    const problems: string[] = [];
    for (const flag of ["--unencrypted-comment-regex", "--encrypted-comment-regex"]) {
      const c = { name: `ini-comment-rule${flag}`, format: "ini", plaintext: "[s]\n; public\na = visible\nb = hidden\n", encrypt: ["--age", a(0), flag, "public"] } as const;
      const outcome = await runCase(c, k);
      if (outcome.problem !== undefined) problems.push(`${flag}: ${outcome.problem}`);
    }
    expect(problems).toEqual([]);
  });
  it("YAML: an empty mapping ({}), and a file whose last key was unset", async () => {
    // `{}` cannot take the block key `sops:` after it; hush refused both files before.
    await expectAgreement({ name: "yaml-empty-mapping", format: "yaml", plaintext: "# nothing yet\n{}\n", encrypt: ["--age", a(0)] });
    await expectAgreement({ name: "yaml-last-key-unset", format: "yaml", plaintext: "only: 1\n", encrypt: ["--age", a(0)], verdictAfterEachStep: true, steps: [["unset", "{}", '["only"]']] });
  });
  it("YAML: an empty mapping, and a file whose last key was unset, before a document end (...)", async () => {
    await expectAgreement({ name: "yaml-empty-mapping-document-end", format: "yaml", plaintext: "{}\n...\n", encrypt: ["--age", a(0)] });
    await expectAgreement({ name: "yaml-last-key-unset-document-end", format: "yaml", plaintext: "only: 1\n...\n", encrypt: ["--age", a(0)], verdictAfterEachStep: true, steps: [["unset", "{}", '["only"]']] });
  });
  it("YAML: streams with an empty document (a trailing ---, as Kubernetes tools write them)", async () => {
    // hush refused these ("sequences or single values are not supported"); SOPS reads an empty
    // document as an empty mapping with its own metadata block.
    for (const [i, plaintext] of ["a: 1\nb: two\n---\n", "a: 1\n---\n---\nb: two\n", "a: 1\n---\n# only a comment\n"].entries()) {
      const file = join(tmp.path, `yaml-empty-document-${i}.yaml`);
      writeFileSync(file, plaintext);
      const enc = await hush(["encrypt", "--age", a(0), file], { cwd: tmp.path, env: k.env });
      expect(enc.status, enc.stderr).toBe(0);
      const encrypted = join(tmp.path, `yaml-empty-document-${i}.enc.yaml`);
      writeFileSync(encrypted, enc.stdout);
      expect((await hush(["decrypt", encrypted], { cwd: tmp.path, env: k.env })).stdout).toBe(plaintext);
      // The oracle shows the first document; SOPS checks the MAC over all of them.
      const sops = await sopsDecrypt({ text: enc.stdout, format: "yaml", env: k.env });
      expect(sops.ok ? (JSON.parse(sops.plaintext ?? "") as unknown) : sops.error).toEqual({ a: 1, ...(i === 0 ? { b: "two" } : {}) });
    }
  });
  it("YAML: line-end comment under a comment rule", async () => {
    await expectAgreement({ name: "yaml-line-end-comment-rule", format: "yaml", plaintext: "a: visible # public\nb: hidden\n", encrypt: ["--age", a(0), "--unencrypted-comment-regex", "public"] });
  });
  it("dotenv: indented comment", async () => {
    // SOPS reads and writes comments in column 0 only: it opens the file and gives the comment
    // back unindented; hush keeps the indentation in a marker and gives back the original bytes.
    const plaintext = "  # indented\nA=1\n";
    const file = join(tmp.path, "dotenv-indented-comment.env");
    writeFileSync(file, plaintext);
    const enc = await hush(["encrypt", "--age", a(0), file], { cwd: tmp.path, env: k.env });
    expect(enc.status, enc.stderr).toBe(0);
    const encrypted = join(tmp.path, "dotenv-indented-comment.enc.env");
    writeFileSync(encrypted, enc.stdout);
    expect((await hush(["decrypt", encrypted], { cwd: tmp.path, env: k.env })).stdout).toBe(plaintext);
    expect(await sopsDecrypt({ text: enc.stdout, format: "dotenv", env: k.env })).toEqual({ ok: true, plaintext: "# indented\nA=1\n", warnings: [] });
  });
  it("YAML: anchors, aliases and merge keys (<<: *defaults) that reach encrypted values", async () => {
    // hush refuses an alias whose place must be encrypted; these put the alias where values stay
    // plain, so the alias reaches encrypted values. Either hush refuses them too or SOPS reads them as hush does.
    const plaintexts = [
      "defaults: &defaults\n  user: app\n  password: s3cret\nprod_unencrypted:\n  <<: *defaults\n  host: prod.internal\n",
      "secret: &s s3cret\npublic_unencrypted: *s\n",
    ];
    const problems: string[] = [];
    for (const [i, plaintext] of plaintexts.entries()) {
      const file = join(tmp.path, `anchors-${i}.yaml`);
      writeFileSync(file, plaintext);
      const refused = await hush(["encrypt", "--age", a(0), file], { cwd: tmp.path, env: k.env });
      if (refused.status !== 0) {
        expect(refused.stderr).toMatch(/alias/);
        continue;
      }
      const outcome = await runCase({ name: `yaml-anchors-${i}`, format: "yaml", plaintext, encrypt: ["--age", a(0)] }, k);
      if (outcome.problem !== undefined) problems.push(`${JSON.stringify(plaintext)}: ${outcome.problem}`);
    }
    expect(problems).toEqual([]);
  });
  it("JSON: an unencrypted integer past 2^53 is a documented difference between SOPS versions", async () => {
    // SOPS 3.9.2's JSON store reads every number as float64, so its MAC covers 9007199254740992;
    // SOPS 3.13 (stores/json normalizeJSONNumber) keeps int64 values as integers, as hush does.
    // hush follows the current format; docs/formats.md ("JSON numbers") tells users to quote such numbers.
    const plaintext = '{"big": 9007199254740993, "password": "x"}\n';
    const file = join(tmp.path, "json-big-unencrypted.json");
    writeFileSync(file, plaintext);
    const enc = await hush(["encrypt", "--age", a(0), "--encrypted-regex", "^password$", file], { cwd: tmp.path, env: k.env });
    expect(enc.status).toBe(0);
    const encrypted = join(tmp.path, "json-big-unencrypted.enc.json");
    writeFileSync(encrypted, enc.stdout);
    const back = await hush(["decrypt", encrypted], { cwd: tmp.path, env: k.env });
    expect(back.stdout).toBe(plaintext);
    const sops = await sopsDecrypt({ text: enc.stdout, format: "json", env: k.env });
    expect(sops.ok).toBe(false);
    expect(sops.ok ? "" : sops.error).toMatch(/Failed to verify data integrity/);
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
