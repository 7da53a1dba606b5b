import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openText, readMetadata, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, parseAgeIdentities, type AgeKeyEntry } from "@hush/key-source-age";
import { commitAll, createAgeKey, createRepo, createSandbox, editEncrypted, findPlaintext, git, hush, hushLines, writeEncrypted, setupDrivers, type Sandbox } from "./helpers.ts";

/**
 * The merge driver and the other side's key entries: a branch is untrusted input, so its
 * `sops` key entries and data key are never adopted. The merged file opens through its own
 * entries, or the merge stops with a conflict on ciphertext.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

function keysFrom(keyFile: string): KeySourceResolver {
  const source = new AgeKeySource({ identities: parseAgeIdentities(readFileSync(keyFile, "utf8")) });
  return async (kind) => (kind === "age" ? source : undefined);
}

async function dataKeyOf(text: string, keyFile: string): Promise<Buffer<ArrayBufferLike>> {
  return Buffer.from((await openText(text, { format: "yaml", keySources: keysFrom(keyFile) })).dataKey);
}

async function ageEntriesOf(text: string): Promise<AgeKeyEntry[]> {
  const meta = await readMetadata(text, "yaml");
  return (meta?.keyGroups.flat() ?? []).filter((e): e is AgeKeyEntry => e.kind === "age");
}

/** A file someone else encrypted for `recipient`: its entry wraps a data key unrelated to ours. */
async function foreignEntry(recipient: string): Promise<AgeKeyEntry> {
  writeFileSync(join(sb.dir, "foreign.yaml"), "x: 1\n");
  const r = hush(sb, ["encrypt", "--age", recipient, "foreign.yaml"], { cwd: sb.dir });
  expect(r.status, r.stderr).toBe(0);
  return (await ageEntriesOf(r.stdout))[0]!;
}

/** Rewrites the `sops.age` list as text, as anyone can on a branch without any key. */
function replaceAgeEntries(text: string, entries: ReadonlyArray<{ recipient: string; enc: string }>): string {
  const block = entries
    .map((e) => `        - recipient: ${JSON.stringify(e.recipient)}\n          enc: |\n${e.enc.trimEnd().split("\n").map((l) => `            ${l}\n`).join("")}`)
    .join("");
  const out = text.replace(/^ {4}age:\n(?: {8}.*\n)+/m, `    age:\n${block}`);
  expect(out).not.toBe(text);
  return out;
}

/** base → branch `theirs` changed by `onTheirs` → main adds a secret → `git merge theirs`. */
async function mergeAfter(repo: string, file: string, onTheirs: () => Promise<void> | void, oursPlaintext: string, env = sb.env): Promise<ReturnType<typeof git>> {
  git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
  await onTheirs();
  commitAll(sb, repo, "theirs");
  git(sb, repo, ["checkout", "-q", "main"]);
  await editEncrypted(sb, repo, file, "yaml", oursPlaintext);
  commitAll(sb, repo, "ours");
  return git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true, env });
}

describe("key entries rewritten on a branch", () => {
  it("a branch that swaps your key entry for another: the merge stops with a conflict on ciphertext, and resolve says why", async () => {
    const mallory = createAgeKey(sb, "mallory-swap");
    const repo = createRepo(sb, "swap-entry");
    const secrets = ["base-secret-51c0", "ours-secret-a2f9"];
    writeEncrypted(sb, repo, "app.enc.yaml", `db_password: ${secrets[0]}\nport: 5432\n`);
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const file = join(repo, "app.enc.yaml");
    const swapped = await foreignEntry(mallory.recipient);
    const merge = await mergeAfter(repo, "app.enc.yaml", () => writeFileSync(file, replaceAgeEntries(readFileSync(file, "utf8"), [swapped])), `db_password: ${secrets[0]}\nport: 5432\nnew_token: ${secrets[1]}\n`);
    expect(merge.status, merge.stderr).not.toBe(0);
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toMatch(/cannot merge by key path: .*would not open with your keys/);
    expect(said).toContain(mallory.recipient);
    const conflicted = readFileSync(file, "utf8");
    expect(conflicted).toMatch(/^<<<<<<< ours$/m);
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);

    const resolve = hush(sb, ["git", "resolve", "app.enc.yaml"], { cwd: repo });
    expect(resolve.status).not.toBe(0);
    expect(resolve.stderr).toMatch(/would not open with your keys/);
    expect(readFileSync(file, "utf8")).toBe(conflicted);
    expect(git(sb, repo, ["ls-files", "-u"]).stdout).toContain("app.enc.yaml");
    expect(findPlaintext(sb, repo, secrets)).toEqual([]);
  });

  it("an entry a branch adds is carried as written and never wrapped to: neither the name on it nor whoever holds it reads the merge", async () => {
    const bob = createAgeKey(sb, "bob-added");
    const mallory = createAgeKey(sb, "mallory-added");
    const repo = createRepo(sb, "added-entry");
    writeEncrypted(sb, repo, "app.enc.yaml", "db_password: base-pw\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const file = join(repo, "app.enc.yaml");
    const baseText = readFileSync(file, "utf8");
    // bob's name over an entry wrapped for mallory, made without the file's key.
    const bogus = { recipient: bob.recipient, enc: (await foreignEntry(mallory.recipient)).enc };
    const merge = await mergeAfter(
      repo,
      "app.enc.yaml",
      async () => writeFileSync(file, replaceAgeEntries(baseText, [...(await ageEntriesOf(baseText)), bogus])),
      "db_password: base-pw\nnew_token: ours-token\n",
    );
    expect(merge.status, merge.stderr).toBe(0);
    const team = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo });
    expect(team.stdout, team.stderr).toBe("db_password: base-pw\nnew_token: ours-token\n");
    for (const env of [bob.env, mallory.env]) {
      const dec = hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo, env });
      expect(dec.status).not.toBe(0);
      expect(dec.stdout).toBe("");
    }
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toContain(`age ${bob.recipient}, added since the common ancestor, keeps the key entry its side wrote`);
    expect(said).not.toMatch(/fresh data key/);
    const merged = readFileSync(file, "utf8");
    expect(merged).toContain(bogus.enc.split("\n")[1]!);
    expect((await dataKeyOf(merged, sb.keyFile)).equals(await dataKeyOf(baseText, sb.keyFile))).toBe(true);
  });
});

describe("a data key introduced by one side", () => {
  it("an insider's re-encryption under a key they know is not adopted: your new secret gets a fresh data key", async () => {
    const mallory = createAgeKey(sb, "mallory-insider");
    const repo = createRepo(sb, "insider");
    const bothRule = `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${mallory.recipient}\n`;
    writeFileSync(join(repo, ".sops.yaml"), bothRule);
    writeEncrypted(sb, repo, "app.enc.yaml", "db_password: base-pw\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const file = join(repo, "app.enc.yaml");
    let malloryKey: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    const merge = await mergeAfter(
      repo,
      "app.enc.yaml",
      async () => {
        // Mallory draws a data key she can read, then drops her own entry so nothing shows her.
        expect(hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo, env: mallory.env }).status).toBe(0);
        malloryKey = await dataKeyOf(readFileSync(file, "utf8"), mallory.keyFile);
        writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n`);
        // --keep-data-key: what SOPS's updatekeys does (hush's default would draw a new data key).
        const up = hush(sb, ["updatekeys", "-y", "--keep-data-key", "app.enc.yaml"], { cwd: repo, env: mallory.env });
        expect(up.status, up.stderr).toBe(0);
        writeFileSync(join(repo, ".sops.yaml"), bothRule);
      },
      "db_password: base-pw\nnew_secret: victim-new-secret-4c1d\n",
    );
    expect(merge.status, merge.stderr).toBe(0);
    const merged = readFileSync(file, "utf8");
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("db_password: base-pw\nnew_secret: victim-new-secret-4c1d\n");
    // Mallory's key opens nothing in the merged file.
    expect((await dataKeyOf(merged, sb.keyFile)).equals(malloryKey)).toBe(false);
    await expect(openText(merged, { format: "yaml", keySources: async () => undefined, dataKey: malloryKey })).rejects.toThrow();
    expect(hushLines(merge.stderr).join("\n")).toMatch(/fresh data key/);
    expect((await ageEntriesOf(merged)).map((e) => e.recipient)).toEqual([sb.recipient]);
  });

  it("a data key rotated on their side (hush rotate) is replaced by a fresh one", async () => {
    const repo = createRepo(sb, "rotated");
    writeEncrypted(sb, repo, "app.enc.yaml", "a: 1\nb: 2\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const file = join(repo, "app.enc.yaml");
    const baseKey = await dataKeyOf(readFileSync(file, "utf8"), sb.keyFile);
    let theirsKey: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    const merge = await mergeAfter(
      repo,
      "app.enc.yaml",
      async () => {
        expect(hush(sb, ["rotate", "-i", "app.enc.yaml"], { cwd: repo }).status).toBe(0);
        await editEncrypted(sb, repo, "app.enc.yaml", "yaml", "a: 1\nb: 20\n");
        theirsKey = await dataKeyOf(readFileSync(file, "utf8"), sb.keyFile);
      },
      "a: 10\nb: 2\n",
    );
    expect(merge.status, merge.stderr).toBe(0);
    const mergedKey = await dataKeyOf(readFileSync(file, "utf8"), sb.keyFile);
    expect(mergedKey.equals(baseKey) || mergedKey.equals(theirsKey)).toBe(false);
    expect(hush(sb, ["decrypt", "app.enc.yaml"], { cwd: repo }).stdout).toBe("a: 10\nb: 20\n");
  });
});

describe("minimal diffs when nothing about the keys changed", () => {
  it("entries unchanged since the common ancestor (another person's included) keep the data key and every unchanged ciphertext", async () => {
    const bob = createAgeKey(sb, "bob-unchanged");
    const repo = createRepo(sb, "unchanged-keys");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient},${bob.recipient}\n`);
    writeEncrypted(sb, repo, "app.enc.yaml", "a: 1\nb: 2\nkeep: same\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const file = join(repo, "app.enc.yaml");
    const baseText = readFileSync(file, "utf8");
    const merge = await mergeAfter(repo, "app.enc.yaml", () => editEncrypted(sb, repo, "app.enc.yaml", "yaml", "a: 1\nb: 20\nkeep: same\n"), "a: 10\nb: 2\nkeep: same\n");
    expect(merge.status, merge.stderr).toBe(0);
    expect(merge.stderr).not.toMatch(/fresh data key/);
    const merged = readFileSync(file, "utf8");
    expect((await dataKeyOf(merged, bob.keyFile)).equals(await dataKeyOf(baseText, sb.keyFile))).toBe(true);
    const keep = /^keep: (ENC\[[^\n]+)$/m.exec(baseText)![1]!;
    expect(merged).toContain(`keep: ${keep}`);
    expect(await ageEntriesOf(merged)).toEqual(await ageEntriesOf(baseText));
  });
});

describe("untrusted names in the driver's messages", () => {
  it("control characters in the file name (git's %P) are escaped", async () => {
    const repo = createRepo(sb, "escapes");
    const name = "red\u001b[31m.enc.yaml";
    writeEncrypted(sb, repo, name, "a: 1\nb: 2\n");
    commitAll(sb, repo, "base");
    setupDrivers(sb, repo);
    const clean = await mergeAfter(repo, name, () => editEncrypted(sb, repo, name, "yaml", "a: 1\nb: 20\n"), "a: 10\nb: 2\n");
    expect(clean.status, clean.stderr).toBe(0);
    const cleanLines = hushLines(clean.stderr);
    expect(cleanLines.join("\n")).toContain("red\\x1b[31m.enc.yaml: merged by key path");
    expect(cleanLines.join("\n")).not.toContain("\u001b");
  });

  it("control characters in a recipient another branch added are escaped", async () => {
    const repo2 = createRepo(sb, "escapes-recipient");
    writeEncrypted(sb, repo2, "app.enc.yaml", "a: 1\n");
    commitAll(sb, repo2, "base");
    setupDrivers(sb, repo2);
    const file = join(repo2, "app.enc.yaml");
    const baseText = readFileSync(file, "utf8");
    const hostile = { recipient: "age1evil\u001b]0;owned\u0007\u001b[2J", enc: (await foreignEntry(createAgeKey(sb, "evil").recipient)).enc };
    const merge = await mergeAfter(repo2, "app.enc.yaml", async () => writeFileSync(file, replaceAgeEntries(baseText, [...(await ageEntriesOf(baseText)), hostile])), "a: 10\n");
    expect(merge.status, merge.stderr).toBe(0);
    const said = hushLines(merge.stderr).join("\n");
    expect(said).toContain("recipients added by their side: age age1evil\\x1b]0;owned\\x07\\x1b[2J");
    expect(said).toContain("age age1evil\\x1b]0;owned\\x07\\x1b[2J, added since the common ancestor, keeps the key entry its side wrote");
    expect(merge.stderr).not.toMatch(/[\u0007\u001b]/);
  });
});
