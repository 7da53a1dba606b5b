import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
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

describe("new values written where a recipient only the file names can read them", () => {
  // Mallory made the whole file: her own data key, wrapped to alice's public age key and to hers.
  // It opens for alice (the MAC is right), and whatever alice writes into it, Mallory reads.
  const tmp = makeTempDir("hush-write-untrusted-");
  const repo = tmp.path;
  let alice: AgeKey;
  let mallory: AgeKey;
  let crafted: string;
  const file = join(repo, "s.yaml");
  const newValue = "fresh-secret-4a1f";

  beforeAll(async () => {
    [alice, mallory] = await Promise.all([makeAgeKey(tmp.path, "alice"), makeAgeKey(tmp.path, "mallory")]);
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${alice.recipient}\n`);
    crafted = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: alice.recipient }, { kind: "age", recipient: mallory.recipient }]]);
  });
  afterAll(() => tmp.cleanup());

  const asAlice = (args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    hush(args, { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) });
  const malloryReads = async (): Promise<string> => (await hush(["decrypt", "s.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: mallory.file } })).stdout;
  const listed = (): string => `s.yaml: what you write would also be readable by recipients that .sops.yaml does not name for this file:\n    group 0: age ${mallory.recipient}\n`;

  it.each([
    ["set", ["set", "s.yaml", '["db"]["password"]', JSON.stringify(newValue)]],
    ["the SOPS form of set", ["--set", `["db"]["password"] ${JSON.stringify(newValue)}`, "s.yaml"]],
  ])("%s without an answer writes nothing, names the recipient and says what to do", async (_name, args) => {
    writeFileSync(file, crafted);
    const r = await asAlice(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(listed());
    expect(r.stderr).toContain("hush updatekeys s.yaml");
    expect(r.stderr).toContain("--yes");
    expect(readFileSync(file, "utf8")).toBe(crafted);
    expect(await malloryReads()).not.toContain(newValue);
  });

  it("set: an answer of n writes nothing; y and --yes write, after the listing", async () => {
    writeFileSync(file, crafted);
    const no = await asAlice(["set", "s.yaml", '["db"]["password"]', JSON.stringify(newValue)], { input: "n\n" });
    expect(no.status).toBe(1);
    expect(no.stderr).toContain("Is this okay? (y/n):");
    expect(readFileSync(file, "utf8")).toBe(crafted);
    const yes = await asAlice(["set", "s.yaml", '["db"]["password"]', JSON.stringify(newValue)], { input: "y\n" });
    expect(yes.status).toBe(0);
    expect(await malloryReads()).toContain(newValue);
    writeFileSync(file, crafted);
    const flag = await asAlice(["set", "--yes", "s.yaml", '["db"]["password"]', JSON.stringify(newValue)]);
    expect(flag.status).toBe(0);
    expect(flag.stderr).toContain(listed());
  });

  // One write that finds several things asks one question, listing them all: a script pipes one answer.
  it("set that finds other readers and a value in clear asks one question listing both: n writes nothing, y writes", async () => {
    writeFileSync(join(repo, "plain.yml"), "password: a\n");
    const made = await asAlice(["encrypt", "--config", "/dev/null", "--encrypted-regex", "^password$", "--age", `${alice.recipient},${mallory.recipient}`, "--input-type", "yaml", "plain.yml"]);
    expect(made.status, made.stderr).toBe(0);
    writeFileSync(file, made.stdout);
    const setToken = ["set", "s.yaml", '["token"]', JSON.stringify(newValue)];
    const refused = await asAlice(setToken, { input: "n\n" });
    expect(refused.status).toBe(1);
    expect(refused.stderr.match(/Is this okay\? \(y\/n\):/g)).toHaveLength(1);
    const readers = refused.stderr.indexOf("what you write would also be readable by recipients that .sops.yaml does not name");
    const clear = refused.stderr.indexOf("the file's own encryption rule would write these in clear");
    const question = refused.stderr.indexOf("Is this okay?");
    expect(readers).toBeGreaterThan(-1);
    expect(clear).toBeGreaterThan(readers);
    expect(question).toBeGreaterThan(clear);
    expect(readFileSync(file, "utf8")).toBe(made.stdout);
    // No answer names the way out of each finding.
    const unanswered = await asAlice(setToken, { input: "" });
    expect(unanswered.status).not.toBe(0);
    expect(unanswered.stderr).toContain('no answer to "Is this okay?" (input ended)');
    expect(unanswered.stderr).toContain("check who these recipients are");
    expect(unanswered.stderr).toContain("check why the file's rule is not .sops.yaml's");
    expect(readFileSync(file, "utf8")).toBe(made.stdout);
    const yes = await asAlice(setToken, { input: "y\n" });
    expect(yes.stderr.match(/Is this okay\? \(y\/n\):/g)).toHaveLength(1);
    expect(yes.status, yes.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(`token: ${newValue}`);
  });

  it("the SOPS flag form takes -y (hush's own) for --set and -r, as the subcommands take --yes", async () => {
    writeFileSync(file, crafted);
    const set = await asAlice(["-y", "--set", `["db"]["password"] ${JSON.stringify(newValue)}`, "s.yaml"]);
    expect(set.status).toBe(0);
    expect(set.stderr).toContain(listed());
    const rotate = await asAlice(["-r", "-i", "-y", "s.yaml"]);
    expect(rotate.status).toBe(0);
    expect(rotate.stderr).toContain(`group 0: age ${mallory.recipient}`);
  });

  it("edit asks before the editor opens: without an answer the editor never runs", async () => {
    writeFileSync(file, crafted);
    const ran = join(repo, "editor-ran");
    const editor = join(repo, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\ntouch '${ran}'\nprintf 'db:\\n    password: ${newValue}\\n' > "$1"\n`, { mode: 0o755 });
    const r = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(listed());
    expect(existsSync(ran)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe(crafted);
    const yes = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor }, input: "y\n" });
    expect(yes.status).toBe(0);
    expect(await malloryReads()).toContain(newValue);
  });

  it("encrypt --reuse asks about the reused file's recipients", async () => {
    writeFileSync(file, crafted);
    writeFileSync(join(repo, "next.yaml"), `db:\n    password: ${newValue}\n`);
    const r = await asAlice(["encrypt", "--reuse", "s.yaml", "next.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(listed().replace("s.yaml:", "next.yaml:"));
  });

  it("unset adds no value and is not asked about; nor is a file whose rule names all its recipients", async () => {
    writeFileSync(file, crafted);
    const unset = await asAlice(["unset", "s.yaml", '["db"]["password"]']);
    expect(unset.stderr).toBe("");
    expect(unset.status).toBe(0);
    writeFileSync(file, await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: alice.recipient }]]));
    const honest = await asAlice(["set", "s.yaml", '["db"]["password"]', JSON.stringify(newValue)]);
    expect(honest.stderr).toBe("");
    expect(honest.status).toBe(0);
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
