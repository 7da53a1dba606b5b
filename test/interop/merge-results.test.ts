import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sopsDecrypt, type SopsOracleFormat } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, git, hush, setupDrivers, writeEncrypted, type Sandbox } from "../git/helpers.ts";

/**
 * What the merge driver writes opens with real SOPS: a clean merge by key path in each format
 * SOPS 3.9 reads, whether the text came from a line merge or from ours edited key by key (INI:
 * both branches add keys to one new section), and a merge that draws a fresh data key.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

interface MergeCase {
  readonly format: SopsOracleFormat;
  readonly file: string;
  readonly plaintext: string;
  /** `hush set` arguments (path, JSON value) of each side. */
  readonly theirs: readonly [string, string];
  readonly ours: readonly [string, string];
  /** What SOPS decrypts the merged file to (its JSON for YAML and JSON, the text for dotenv; INI: the verdict only). */
  readonly expected: string | undefined;
}

const CASES: MergeCase[] = [
  { format: "yaml", file: "app.enc.yaml", plaintext: "# top\na: 1 # why\nn:\n  b: 2\nl:\n  - q\n", theirs: ['["a"]', "5"], ours: ['["n"]["c"]', "3"], expected: '{\n  "a": 5,\n  "l": [\n    "q"\n  ],\n  "n": {\n    "b": 2,\n    "c": 3\n  }\n}' },
  { format: "json", file: "app.enc.json", plaintext: '{"a": 1, "n": {"b": 2}}\n', theirs: ['["a"]', "5"], ours: ['["n"]["c"]', "3"], expected: '{\n  "a": 5,\n  "n": {\n    "b": 2,\n    "c": 3\n  }\n}' },
  { format: "dotenv", file: "app.enc.env", plaintext: "# c\nA=1\nB=2\n", theirs: ['["A"]', '"5"'], ours: ['["C"]', '"3"'], expected: "# c\nA=5\nB=2\nC=3\n" },
  { format: "ini", file: "app.enc.ini", plaintext: "; c\n[s]\na = 1\n", theirs: ['["n"]["t"]', '"T"'], ours: ['["n"]["o"]', '"O"'], expected: undefined },
];

/** The file after `git merge theirs`, each side having set one value (the merge must be clean), and what git printed. */
function mergedFile(c: MergeCase, name: string, before?: (repo: string) => void): { text: string; said: string } {
  const repo = createRepo(sb, name);
  writeEncrypted(sb, repo, c.file, c.plaintext);
  commitAll(sb, repo, "start");
  setupDrivers(sb, repo);
  git(sb, repo, ["checkout", "-q", "-b", "theirs"]);
  expect(hush(sb, ["set", c.file, ...c.theirs], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "theirs");
  git(sb, repo, ["checkout", "-q", "main"]);
  before?.(repo);
  expect(hush(sb, ["set", c.file, ...c.ours], { cwd: repo }).status).toBe(0);
  commitAll(sb, repo, "ours");
  const merge = git(sb, repo, ["merge", "--no-edit", "theirs"], { allowFail: true });
  expect(merge.status, merge.stderr).toBe(0);
  return { text: readFileSync(join(repo, c.file), "utf8"), said: merge.stderr };
}

describe("merged files open with real SOPS", () => {
  it.each(CASES)("$format", async (c) => {
    const r = await sopsDecrypt({ text: mergedFile(c, `oracle-${c.format}`).text, format: c.format, env: { SOPS_AGE_KEY_FILE: sb.keyFile } });
    expect(r).toEqual({ ok: true, plaintext: c.expected, warnings: [] });
  });

  it("with a fresh data key (ours rotated it)", async () => {
    const c = CASES[0]!;
    const merged = mergedFile(c, "oracle-fresh-key", (repo) => expect(hush(sb, ["rotate", "-i", c.file], { cwd: repo }).status).toBe(0));
    expect(merged.said).toContain("a fresh data key was drawn and every value re-encrypted");
    const r = await sopsDecrypt({ text: merged.text, format: "yaml", env: { SOPS_AGE_KEY_FILE: sb.keyFile } });
    expect(r).toEqual({ ok: true, plaintext: c.expected, warnings: [] });
  });
});
