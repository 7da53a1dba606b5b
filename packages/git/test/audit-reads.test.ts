import { beforeAll, describe, expect, it } from "vitest";
import { encryptText, storeFor, type FileFormat, type KeySourceResolver } from "@hush/core";
import { auditFile, summarizeVersion, versionKind } from "@hush/git/report";
import { countCalls } from "@hush/testkit";
import { freshAgeKey } from "./age-keys.ts";

/**
 * hush audit reads every version of every encrypted file in history: a version the format's span
 * scanner reads whole (a YAML file without comments, a JSON file) takes no general parse, which
 * was most of an audit's time; every other version is parsed by its store, with the same summary.
 */

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  ({ recipient, keys } = await freshAgeKey());
});

async function enc(text: string, format: FileFormat): Promise<string> {
  return encryptText(text, { format, keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
}

/** Calls of the format's store parser while `run` runs, and what it returned. */
async function withStoreParses<T>(format: FileFormat, run: () => Promise<T>): Promise<{ parses: number; result: T }> {
  const { calls, result } = await countCalls(await storeFor(format), "parse", run);
  return { parses: calls, result };
}

/** The summary as plain data: value paths and ciphertexts, recipients. */
function plain(summary: Awaited<ReturnType<typeof summarizeVersion>>): unknown {
  return typeof summary === "string" ? summary : { values: [...summary.values], recipients: [...summary.recipients.keys()] };
}

describe("hush audit's reads of a version", () => {
  it("summarizes a YAML or JSON version the scanner reads whole without the general parser", async () => {
    const files: Array<[FileFormat, string, string[]]> = [
      ["yaml", "db:\n    user: app\n    password: secret\nlist:\n    - a\n    - b\n", ['["db"]["user"]', '["db"]["password"]', '["list"][0]', '["list"][1]']],
      ["json", '{\n\t"db": {\n\t\t"password": "secret"\n\t},\n\t"n": 1\n}\n', ['["db"]["password"]', '["n"]']],
    ];
    for (const [format, text, paths] of files) {
      const encrypted = await enc(text, format);
      const read = await withStoreParses(format, () => summarizeVersion(encrypted, format));
      expect(read.parses, format).toBe(0);
      const summary = plain(read.result) as { values: Array<[string, string]>; recipients: string[] };
      expect(summary.values.map(([path]) => path), format).toEqual(paths);
      for (const [, ciphertext] of summary.values) expect(encrypted).toContain(ciphertext);
      expect(summary.recipients, format).toHaveLength(1);
      const kind = await withStoreParses(format, () => versionKind(encrypted, format));
      expect([kind.parses, kind.result], format).toEqual([0, "encrypted"]);
    }
  });

  it("reads a YAML version with a comment through the store, with the same summary", async () => {
    const encrypted = await enc("db:\n    user: app\n    password: secret\n", "yaml");
    const commented = `# owner: the platform team\n${encrypted}`;
    const scanned = await withStoreParses("yaml", () => summarizeVersion(encrypted, "yaml"));
    const parsed = await withStoreParses("yaml", () => summarizeVersion(commented, "yaml"));
    expect([scanned.parses, parsed.parses]).toEqual([0, 1]);
    expect(plain(parsed.result)).toEqual(plain(scanned.result));
  });

  it("tells clear and unreadable versions apart as before", async () => {
    expect(await summarizeVersion("db:\n    password: secret\n", "yaml")).toBe("clear");
    expect(await versionKind('{"a": 1}', "json")).toBe("clear");
    expect(await summarizeVersion("db: [unclosed\nsops: {}\n", "yaml")).toBe("unreadable");
    expect(await versionKind('{"sops": ', "json")).toBe("unreadable");
  });
});

describe("hush audit's readers", () => {
  /** `encrypted` with one more key group: a KMS entry with `profile` as its aws_profile. */
  function withKmsEntry(encrypted: string, profile: string): string {
    const entry = [
      "    kms:",
      "        - arn: arn:aws:kms:eu-west-1:111122223333:key/k",
      `          aws_profile: ${profile}`,
      "          created_at: \"2026-01-01T00:00:00Z\"",
      "          enc: AQICAHh0ZXN0",
      "",
    ].join("\n");
    return encrypted.replace("\nsops:\n", `\nsops:\n${entry}`);
  }

  it("does not count a KMS entry whose aws_profile alone changed as a reader removed", async () => {
    const encrypted = await enc("token: secret\n", "yaml");
    const at = (n: number) => ({ commit: `${n}`.repeat(40), date: `2026-0${n}-01T00:00:00Z`, author: "A", subject: `v${n}` });
    const versions = [];
    for (const [n, profile] of [[1, "old-team"], [2, "new-team"]] as const) {
      const summary = await summarizeVersion(withKmsEntry(encrypted, profile), "yaml");
      if (typeof summary === "string") throw new Error(`version ${n} is ${summary}`);
      expect(summary.recipients.size).toBe(2);
      versions.push({ commit: at(n), summary });
    }
    const audit = auditFile("app.yaml", versions, { asOf: new Date("2026-06-01T00:00:00Z"), maxAgeDays: undefined, names: undefined });
    expect(audit.removals).toEqual([]);
    // Another key, role or context is another reader.
    const otherKey = await summarizeVersion(withKmsEntry(encrypted, "new-team").replace("key/k", "key/other"), "yaml");
    if (typeof otherKey === "string") throw new Error(otherKey);
    const moved = auditFile("app.yaml", [...versions, { commit: at(3), summary: otherKey }], { asOf: new Date("2026-06-01T00:00:00Z"), maxAgeDays: undefined, names: undefined });
    expect(moved.removals.map((r) => r.removed.map((x) => x.identity))).toEqual([["arn:aws:kms:eu-west-1:111122223333:key/k||new-team"]]);
  });
});
