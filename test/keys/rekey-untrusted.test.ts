import { spawnSync } from "node:child_process";
import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { ageRecipientsIn, encryptForAge, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * Re-keying a file from an untrusted branch or clone. Anyone can add a recipient entry to a
 * file's `sops` metadata without a key (no MAC covers it); the next rotation by a key holder
 * would wrap the new data key to it. `.sops.yaml` says who should hold keys: a recipient it does
 * not name (and the command line does not add) is shown and asked about before anything is written.
 */

const plain = "db:\n    password: hunter2\n";

/** The age list items of a YAML file as hush writes it (between `    age:` and the next field). */
function ageItems(text: string): string {
  const start = text.indexOf("\n    age:\n") + "\n    age:\n".length;
  const end = text.indexOf("\n    lastmodified:", start);
  return text.slice(start, end + 1);
}

/** `text` with `planted`'s age entries added before its own: what a branch can do without a key. */
function plantRecipient(text: string, planted: string): string {
  const at = text.indexOf("\n    age:\n") + "\n    age:\n".length;
  return text.slice(0, at) + ageItems(planted) + text.slice(at);
}

describe("a recipient only the file names", () => {
  const tmp = makeTempDir("hush-rekey-untrusted-");
  const repo = tmp.path;
  let alice: AgeKey;
  let mallory: AgeKey;
  let bob: AgeKey;
  let tampered: string;
  const file = join(repo, "s.yaml");

  beforeAll(async () => {
    [alice, mallory, bob] = await Promise.all([makeAgeKey(tmp.path, "alice"), makeAgeKey(tmp.path, "mallory"), makeAgeKey(tmp.path, "bob")]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${alice.recipient}\n`);
    const honest = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: alice.recipient }]]);
    // Mallory's entry wraps a key of another file: she cannot open this one, yet.
    const other = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: mallory.recipient }]]);
    tampered = plantRecipient(honest, other);
    expect(ageRecipientsIn(tampered)).toEqual([mallory.recipient, alice.recipient]);
  });
  afterAll(() => tmp.cleanup());

  const reset = (): void => writeFileSync(file, tampered);
  const malloryOpens = async (path: string): Promise<boolean> => (await hush(["decrypt", path], { cwd: repo, env: { SOPS_AGE_KEY_FILE: mallory.file } })).status === 0;

  it("rotate -i without an answer writes nothing, names the recipient, and says what to do", async () => {
    reset();
    const r = await hush(["rotate", "-i", "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`s.yaml: the new data key would also go to recipients that .sops.yaml does not name for this file:\n    group 0: age ${mallory.recipient}\n`);
    expect(r.stderr).toContain("no file was changed");
    expect(r.stderr).toContain("--rm-age");
    expect(r.stderr).toContain("--yes");
    expect(readFileSync(file, "utf8")).toBe(tampered);
    expect(await malloryOpens("s.yaml")).toBe(false);
  });

  it("rotate to standard output asks too (on stderr), and an answer of n writes nothing", async () => {
    reset();
    const r = await hush(["rotate", "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file }, input: "n\n" });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`group 0: age ${mallory.recipient}`);
    expect(r.stderr).toContain("Is this okay? (y/n):");
    expect(r.stderr).toContain("No file was changed.");
    expect(readFileSync(file, "utf8")).toBe(tampered);
  });

  it("--rm-age removes it without a question; --yes keeps it after showing it", async () => {
    reset();
    const removed = await hush(["rotate", "-i", "--rm-age", mallory.recipient, "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(removed.stderr).toBe("");
    expect(removed.status).toBe(0);
    expect(ageRecipientsIn(readFileSync(file, "utf8"))).toEqual([alice.recipient]);

    reset();
    const kept = await hush(["rotate", "-i", "--yes", "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(kept.status).toBe(0);
    expect(kept.stderr).toContain(`group 0: age ${mallory.recipient}`);
    expect(await malloryOpens("s.yaml")).toBe(true);
  });

  it("a recipient added on the command line is not asked about", async () => {
    writeFileSync(file, await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: alice.recipient }]]));
    const r = await hush(["rotate", "-i", "--add-age", bob.recipient, "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(ageRecipientsIn(readFileSync(file, "utf8")).sort()).toEqual([alice.recipient, bob.recipient].sort());
  });

  it("groups add: the existing groups' planted recipient is asked about; nothing written without an answer", async () => {
    reset();
    const r = await hush(["groups", "add", "-f", "s.yaml", "-i", "--age", bob.recipient], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`group 0: age ${mallory.recipient}`);
    expect(r.stderr).not.toContain(`age ${bob.recipient}`);
    expect(readFileSync(file, "utf8")).toBe(tampered);
    const yes = await hush(["groups", "add", "-f", "s.yaml", "-i", "--yes", "--age", bob.recipient], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(yes.status).toBe(0);
    expect(ageRecipientsIn(readFileSync(file, "utf8"))).toContain(bob.recipient);
  });
});

describe("recipients shown by updatekeys", () => {
  const tmp = makeTempDir("hush-rekey-escape-");
  afterAll(() => tmp.cleanup());

  it("a recipient with terminal escapes in the file is shown escaped in the list of changes", async () => {
    const alice = await makeAgeKey(tmp.path, "alice");
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${alice.recipient}\n`);
    const honest = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: alice.recipient }]]);
    const hostile = honest.replace(`recipient: ${alice.recipient}`, `recipient: "age1\\e]0;owned\\a\\e[2J\\u202eX"`);
    writeFileSync(join(tmp.path, "s.yaml"), hostile);
    const r = await hush(["updatekeys", "--dry-run", "s.yaml"], { cwd: tmp.path, env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/[\u001b\u0007\u202e]/);
    expect(r.stdout).toContain("--- age age1\\x1b]0;owned\\x07\\x1b[2J\\u202eX\n");
    expect(r.stdout).toContain(`+++ age ${alice.recipient}\n`);
  });
});

describe("the Node API on a clone's files", () => {
  const tmp = makeTempDir("hush-node-api-links-");
  afterAll(() => tmp.cleanup());

  it("decryptFile, verifyFile and openFile refuse a file linked to /dev/zero at once, as the CLI does, instead of reading forever", () => {
    symlinkSync("/dev/zero", join(tmp.path, "app.enc.yaml"));
    // In a child process: the unfixed read never returns, and a synchronous read cannot be timed out in this one.
    const core = fileURLToPath(new URL("../../packages/core/dist/index.js", import.meta.url));
    const script = `
      const { decryptFile, verifyFile, openFile } = await import(${JSON.stringify(core)});
      const keySources = async () => undefined;
      for (const f of [decryptFile, verifyFile, openFile]) {
        try { await f("app.enc.yaml", { keySources }); console.log(f.name, "returned"); }
        catch (e) { console.log(f.name, e.code, e.location?.file, e.message); }
      }`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: tmp.path, timeout: 20_000, encoding: "utf8" });
    expect(r.signal).toBe(null);
    expect(r.stdout).toBe(["decryptFile", "verifyFile", "openFile"].map((f) => `${f} READ_FAILED app.enc.yaml not a regular file (a device or socket)\n`).join(""));
  });
});
