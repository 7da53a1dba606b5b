import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { ageRecipientsIn, combineKeys, encValues, encryptForAge, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

const yamlDoc = (i: number): string => `db:\n    password: pw-${i} # keep\n    port: ${5000 + i}\nflags:\n    - enabled\n    - ${i % 3 === 0}\n`;
const jsonDoc = (i: number): string => `{\n\t"token": "tok-${i}",\n\t"n": ${i}.5\n}\n`;

describe("rotate over a directory of 20 files", () => {
  const tmp = makeTempDir("hush-rotate-");
  const repo = join(tmp.path, "repo");
  let A: AgeKey;
  let B: AgeKey;
  const files: Array<{ rel: string; format: "yaml" | "json"; plain: string }> = [];
  const original = new Map<string, string>();
  const read = (rel: string): string => readFileSync(join(repo, rel), "utf8");

  beforeAll(async () => {
    [A, B] = await Promise.all([makeAgeKey(tmp.path, "A"), makeAgeKey(tmp.path, "B")]);
    mkdirSync(join(repo, "deep", "er"), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const format = i % 4 === 3 ? "json" : "yaml";
      const rel = `${i < 10 ? "" : "deep/"}${i >= 15 ? "er/" : ""}f${i}.${format}`;
      const plain = format === "yaml" ? yamlDoc(i) : jsonDoc(i);
      files.push({ rel, format, plain });
      const text = await encryptForAge(plain, format, [[{ kind: "age", recipient: A.recipient }]]);
      writeFileSync(join(repo, rel), text);
      original.set(rel, text);
    }
  });
  afterAll(() => tmp.cleanup());

  it("refuses to rewrite several files without -i", async () => {
    const r = await hush(["rotate", "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.status).toBe(8);
    expect(r.stderr).toContain("pass -i");
  });

  it("--dry-run rotates in memory and changes nothing", async () => {
    const r = await hush(["rotate", "--dry-run", "--add-age", B.recipient, "--rm-age", A.recipient, "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`would rotate: f0.yaml (new data key, +age ${B.recipient}, -age ${A.recipient})\n`);
    expect(r.stdout).toContain("rotate: 20 would rotate, 0 failed\n");
    for (const f of files) expect(read(f.rel)).toBe(original.get(f.rel));
  });

  it("the warning about a key to remove that no file had escapes the key as given", async () => {
    const r = await hush(["rotate", "--dry-run", "--rm-age", "age1\u001b]0;x\u0007", "f0.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("hush: warning: no file had the key age age1\\x1b]0;x\\x07 to remove\n");
    expect(read("f0.yaml")).toBe(original.get("f0.yaml"));
  });

  it("-i with --add-age/--rm-age: every value re-encrypted, new key opens every file, old key none", async () => {
    const r = await hush(["rotate", "-i", "--add-age", B.recipient, "--rm-age", A.recipient, "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("rotate: 20 rotated, 0 failed\n");
    for (const f of files) {
      const before = original.get(f.rel)!;
      const after = read(f.rel);
      expect(ageRecipientsIn(after), f.rel).toEqual([B.recipient]);
      const [oldValues, newValues] = [encValues(before), encValues(after)];
      expect(newValues.length).toBe(oldValues.length);
      // New data key and IVs: no value (nor the MAC) keeps its ciphertext.
      for (const v of newValues) expect(oldValues).not.toContain(v);
    }
    const withB = await hush(["verify", "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(withB.stderr).toBe("");
    expect(withB.stdout).toContain("verify: 20 ok, 0 failed\n");
    const withA = await hush(["verify", "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(withA.status).toBe(128);
    expect(withA.stdout).toContain("verify: 0 ok, 20 failed\n");
    for (const f of [files[0]!, files[3]!, files[19]!]) {
      const dec = await hush(["decrypt", f.rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
      expect(dec.stdout, f.rel).toBe(f.plain);
    }
  });

  it("one file that cannot be opened fails alone and stays untouched", async () => {
    const broken = files[5]!.rel;
    const text = read(broken);
    // A changed lastmodified is caught by the MAC (exit 51).
    const tampered = text.replace(/lastmodified: "([^"]+)"/, 'lastmodified: "2001-01-01T00:00:00Z"');
    expect(tampered).not.toBe(text);
    writeFileSync(join(repo, broken), tampered);
    const snapshot = new Map(files.map((f) => [f.rel, read(f.rel)]));
    const r = await hush(["rotate", "-i", "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(r.status).toBe(51);
    expect(r.stdout).toContain("rotate: 19 rotated, 1 failed\n");
    expect(r.stderr).toBe(`hush: ${broken}: cannot decrypt MAC: the MAC, lastmodified or data key was tampered with (hint: restore the file from git, or, if the change is yours, save it with hush edit --ignore-mac for a new MAC)\n`);
    expect(read(broken)).toBe(tampered);
    for (const f of files) if (f.rel !== broken) expect(read(f.rel), f.rel).not.toBe(snapshot.get(f.rel));
    writeFileSync(join(repo, broken), text);
  });

  it("removing the last key of a group is refused with SOPS's words, file untouched", async () => {
    const rel = files[0]!.rel;
    const before = read(rel);
    const r = await hush(["rotate", "-i", "--rm-age", B.recipient, rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`hush: ${rel}: Could not generate data key: [empty key group provided] (group 0 has no keys)\n`);
    expect(read(rel)).toBe(before);
  });

  it("one file without -i goes to stdout, as in SOPS", async () => {
    const f = files[1]!;
    const before = read(f.rel);
    const r = await hush(["rotate", f.rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(r.status).toBe(0);
    expect(read(f.rel)).toBe(before);
    expect(ageRecipientsIn(r.stdout)).toEqual([B.recipient]);
    writeFileSync(join(tmp.path, "out.yaml"), r.stdout);
    expect((await hush(["decrypt", join(tmp.path, "out.yaml")], { env: { SOPS_AGE_KEY_FILE: B.file } })).stdout).toBe(f.plain);
  });

  it("--add-*/--rm-* on a missing file exits 49; a bad key is refused before any file is read", async () => {
    const missing = await hush(["rotate", "-i", "--add-age", A.recipient, "nope.yaml"], { cwd: repo });
    expect(missing.status).toBe(49);
    const badArn = await hush(["rotate", "-i", "--add-kms", "arn:aws:kms:nowhere", "."], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(badArn.status).toBe(1);
    expect(badArn.stderr).toContain("Invalid AWS KMS key ARN");
    expect(badArn.stdout).toBe("");
  });

  it("a file of two key groups keeps its groups and threshold", async () => {
    const C = await makeAgeKey(tmp.path, "C");
    const rel = "two-groups.yaml";
    writeFileSync(join(repo, rel), await encryptForAge(yamlDoc(7), "yaml", [[{ kind: "age", recipient: B.recipient }], [{ kind: "age", recipient: C.recipient }]], 2));
    const both = combineKeys(tmp.path, "BC", [B, C]);
    const r = await hush(["rotate", "-i", rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: both } });
    expect(r.stderr).toBe("");
    const text = read(rel);
    expect(text).toContain("shamir_threshold: 2");
    expect(ageRecipientsIn(text)).toEqual([B.recipient, C.recipient]);
    expect((await hush(["decrypt", rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: both } })).stdout).toBe(yamlDoc(7));
    expect((await hush(["decrypt", rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } })).status).toBe(128);
  });
});
