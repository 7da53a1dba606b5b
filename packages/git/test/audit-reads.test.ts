import { beforeAll, describe, expect, it } from "vitest";
import { encryptText, storeFor, type FileFormat, type KeySourceResolver } from "@hush/core";
import { summarizeVersion, versionKind } from "@hush/git/report";
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
