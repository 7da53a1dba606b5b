import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HUSH_SCRIPT, makeTempDir } from "@hush/testkit";
import { ageRecipientsIn, combineKeys, dataPart, encryptForAge, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

const yamlDoc = (i: number): string => `# service ${i}\ndb:\n    user: app${i}\n    password: pw-${i}-secret # rotate yearly\nreplicas: ${i}\n`;
const jsonDoc = (i: number): string => `{\n\t"token": "tok-${i}",\n\t"list": [\n\t\t"a${i}",\n\t\t2\n\t]\n}\n`;

interface Fixture {
  readonly rel: string;
  readonly format: "yaml" | "json";
  readonly plain: string;
}

describe("updatekeys over a directory of 20 files", () => {
  const tmp = makeTempDir("hush-updatekeys-");
  const repo = join(tmp.path, "repo");
  let A: AgeKey;
  let B: AgeKey;
  let C: AgeKey;
  const files: Fixture[] = [];
  const original = new Map<string, string>();
  const read = (rel: string): string => readFileSync(join(repo, rel), "utf8");
  const idsFile = (name: string, ks: AgeKey[]): string => combineKeys(tmp.path, name, ks);

  beforeAll(async () => {
    [A, B, C] = await Promise.all([makeAgeKey(tmp.path, "A"), makeAgeKey(tmp.path, "B"), makeAgeKey(tmp.path, "C")]);
    mkdirSync(join(repo, "secrets", "sub"), { recursive: true });
    for (let i = 0; i < 20; i++) {
      const format = i % 2 === 0 ? "yaml" : "json";
      const rel = `secrets/${i >= 14 ? "sub/" : ""}s${String(i).padStart(2, "0")}.${format}`;
      files.push({ rel, format, plain: format === "yaml" ? yamlDoc(i) : jsonDoc(i) });
    }
    for (const [i, f] of files.entries()) {
      // Two files already have the keys the new config names: they must stay byte for byte.
      const recipient = i === 0 || i === 1 ? B.recipient : A.recipient;
      const text = await encryptForAge(f.plain, f.format, [[{ kind: "age", recipient }]]);
      writeFileSync(join(repo, f.rel), text);
      original.set(f.rel, text);
    }
    writeFileSync(join(repo, "secrets", "plain.yaml"), "not: encrypted\n");
    writeFileSync(join(repo, "secrets", "README.md"), "# docs\n");
    writeFileSync(
      join(repo, ".sops.yaml"),
      [
        "creation_rules:",
        "  - path_regex: ^secrets/sub/",
        "    shamir_threshold: 2",
        "    key_groups:",
        `      - age: [${B.recipient}]`,
        `      - age: [${C.recipient}]`,
        "  - path_regex: ^secrets/",
        `    age: ${B.recipient}`,
        "",
      ].join("\n"),
    );
  });
  afterAll(() => tmp.cleanup());

  it("--dry-run shows the changes, checks the keys and changes nothing", async () => {
    const r = await hush(["updatekeys", "--dry-run", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("updatekeys: 18 would update, 2 up to date, 1 skipped (not encrypted), 0 failed\n");
    expect(r.stdout).toContain(`secrets/s02.yaml: would change to the key groups:\nGroup 1\n+++ age ${B.recipient}\n--- age ${A.recipient}\n`);
    expect(r.stdout).toContain(`secrets/sub/s14.yaml: would change to the key groups:\nGroup 1\n+++ age ${B.recipient}\n--- age ${A.recipient}\nGroup 2\n+++ age ${C.recipient}\nshamir_threshold: unset -> 2\n`);
    for (const f of files) expect(read(f.rel)).toBe(original.get(f.rel));
  });

  it("asks before writing; an answer of n changes nothing", async () => {
    const r = await hush(["updatekeys", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file }, input: "n\n" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Is this okay? (y/n):\n");
    expect(r.stdout).toContain("No file was changed.");
    expect(r.stdout).toContain("18 left unchanged (not confirmed)");
    for (const f of files) expect(read(f.rel)).toBe(original.get(f.rel));
  });

  it("no answer (a script without -y, no terminal) changes nothing and exits non-zero, saying to pass -y", async () => {
    const r = await hush(["updatekeys", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file }, input: "" });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('hush: no answer to "Is this okay?" (input ended): no file was changed (18 need new keys)\n  next: pass -y (--yes) to apply the changes without asking, or --dry-run to only see them\n');
    for (const f of files) expect(read(f.rel)).toBe(original.get(f.rel));
  });

  it("an endless input gives no answer at once, changing nothing: /dev/zero crashed hush (Invalid string length), `yes x` was asked forever", async () => {
    const zero = openSync("/dev/zero", "r");
    const endless = spawnSync(process.execPath, [HUSH_SCRIPT, "updatekeys", "secrets"], {
      cwd: repo,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", SOPS_AGE_KEY_FILE: A.file },
      stdio: [zero, "pipe", "pipe"],
      encoding: "utf8",
      timeout: 30_000,
    });
    closeSync(zero);
    expect(endless.stderr).toBe('hush: no answer to "Is this okay?" (an answer longer than 1000 characters): no file was changed (18 need new keys)\n  next: pass -y (--yes) to apply the changes without asking, or --dry-run to only see them\n');
    expect(endless.status).toBe(1);
    const wrong = await hush(["updatekeys", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file }, input: "x\n".repeat(25) });
    expect(wrong.stdout.match(/Is this okay\?/g)).toHaveLength(20);
    expect(wrong.stderr).toContain('(20 answers that were neither y nor n): no file was changed');
    expect(wrong.status).toBe(1);
    for (const f of files) expect(read(f.rel)).toBe(original.get(f.rel));
  });

  it("--keep-data-key re-wraps exactly the key entries: values, MAC and lastmodified untouched; new keys open, the old one does not", async () => {
    // A is removed, which by default means a new data key (test/keys/rollover.test.ts); SOPS's way is kept on request.
    const r = await hush(["updatekeys", "--keep-data-key", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: A.file }, input: "maybe\ny\n" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("updatekeys: 18 updated, 2 up to date, 1 skipped (not encrypted), 0 failed\n");
    expect(read("secrets/plain.yaml")).toBe("not: encrypted\n");

    for (const [i, f] of files.entries()) {
      const before = original.get(f.rel)!;
      const after = read(f.rel);
      if (i < 2) {
        expect(after).toBe(before);
        continue;
      }
      expect(dataPart(after, f.format)).toBe(dataPart(before, f.format));
      for (const field of [/lastmodified"?: "?([^"\n]+)/, /mac"?: "?(ENC\[[^\]]+\])/]) expect(after.match(field)?.[1]).toBe(before.match(field)?.[1]);
      const sub = f.rel.startsWith("secrets/sub/");
      expect(ageRecipientsIn(after)).toEqual(sub ? [B.recipient, C.recipient] : [B.recipient]);
    }
    // Every file opens (data key, values, MAC) with the new keys, in one process.
    const verify = (keys: AgeKey[], path = "secrets") =>
      hush(["verify", path], { cwd: repo, env: { SOPS_AGE_KEY_FILE: idsFile(keys.map((k) => k.recipient.slice(-6)).join("-"), keys) } });
    const ok = await verify([B, C]);
    expect(ok.stderr).toBe("");
    expect(ok.stdout).toContain("verify: 20 ok, 1 skipped (not encrypted), 0 failed\n");
    // The old key opens none of them; B alone no longer opens the two-group files.
    const old = await verify([A]);
    expect(old.status).toBe(128);
    expect(old.stdout).toContain("verify: 0 ok, 1 skipped (not encrypted), 20 failed\n");
    for (const f of files) expect(old.stderr).toContain(`hush: ${f.rel}: could not decrypt the data key`);
    const partial = await verify([B], "secrets/sub");
    expect(partial.stdout).toContain("verify: 0 ok, 6 failed\n");
    expect(partial.stderr).toContain("1 of 2 key groups opened, 2 needed");
    // And the plaintext is the original, byte for byte.
    for (const f of [files[2]!, files[3]!, files[14]!, files[15]!]) {
      const dec = await hush(["decrypt", f.rel], { cwd: repo, env: { SOPS_AGE_KEY_FILE: idsFile("BC", [B, C]) } });
      expect(dec.stdout, f.rel).toBe(f.plain);
    }
  });

  it("a second run finds everything up to date and writes nothing", async () => {
    const mtimes = files.map((f) => statSync(join(repo, f.rel)).mtimeMs);
    const r = await hush(["updatekeys", "-y", "secrets"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: B.file } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^up to date: secrets\/s00\.yaml\n/);
    expect(r.stdout).toContain("\nupdatekeys: 0 updated, 20 up to date, 1 skipped (not encrypted), 0 failed\n");
    expect(files.map((f) => statSync(join(repo, f.rel)).mtimeMs)).toEqual(mtimes);
  });

  it("a file whose key cannot be recovered fails alone and stays untouched", async () => {
    const dir = join(tmp.path, "partial");
    mkdirSync(dir, { recursive: true });
    const X = await makeAgeKey(tmp.path, "X");
    const texts: Record<string, string> = {};
    for (const [name, key] of [["a.yaml", A], ["b.yaml", X], ["c.yaml", A]] as const) {
      texts[name] = await encryptForAge(yamlDoc(1), "yaml", [[{ kind: "age", recipient: key.recipient }]]);
      writeFileSync(join(dir, name), texts[name]!);
    }
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${B.recipient}\n`);
    const r = await hush(["updatekeys", "-y", "."], { cwd: dir, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.status).toBe(128);
    expect(r.stdout).toContain("updatekeys: 2 updated, 1 failed\n");
    expect(r.stderr).toMatch(/^hush: b\.yaml: could not decrypt the data key: group 0: age age1/);
    expect(readFileSync(join(dir, "b.yaml"), "utf8")).toBe(texts["b.yaml"]);
    expect(ageRecipientsIn(readFileSync(join(dir, "a.yaml"), "utf8"))).toEqual([B.recipient]);
    expect(ageRecipientsIn(readFileSync(join(dir, "c.yaml"), "utf8"))).toEqual([B.recipient]);
  });

  it("refuses an empty key group in the rule with SOPS's words, changing nothing", async () => {
    const dir = join(tmp.path, "empty");
    mkdirSync(dir, { recursive: true });
    const text = await encryptForAge(yamlDoc(2), "yaml", [[{ kind: "age", recipient: A.recipient }]]);
    writeFileSync(join(dir, "a.yaml"), text);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${B.recipient}]\n      - {}\n`);
    const r = await hush(["updatekeys", "-y", "a.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: A.file } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("hush: a.yaml: Could not generate data key: [empty key group provided] (group 1 has no keys)\n");
    expect(readFileSync(join(dir, "a.yaml"), "utf8")).toBe(text);
  });

  it("needs a config, and a named file must be encrypted", async () => {
    const dir = join(tmp.path, "noconfig");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "p.yaml"), "a: b\n");
    const none = await hush(["updatekeys", "-y", "p.yaml"], { cwd: dir });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("no config with creation rules was found");
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${B.recipient}\n`);
    const plain = await hush(["updatekeys", "-y", "p.yaml"], { cwd: dir });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toBe("hush: p.yaml: sops metadata not found\n");
  });
});
