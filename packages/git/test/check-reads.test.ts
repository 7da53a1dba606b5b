import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encryptText, storeFor, type FileFormat, type KeySourceResolver } from "@hush/core";
import { checkFile } from "@hush/git";
import { freshAgeKey } from "./age-keys.ts";

/**
 * hush check reads each file once, and needs every leaf (a plaintext comment added by hand
 * included): a file the format's span scanner reads whole (a YAML file without comments, a JSON
 * file) takes no general parse, which was most of the time of `hush check` on a repository; every
 * other file is parsed once by its store, whose reading also finds the format.
 */

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  ({ recipient, keys } = await freshAgeKey());
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function enc(text: string, format: FileFormat): Promise<string> {
  return encryptText(text, { format, keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
}

/** Calls of the format's store parser while `run` runs. */
async function storeParses(format: FileFormat, run: () => Promise<unknown>): Promise<number> {
  const parse = vi.spyOn(await storeFor(format), "parse");
  await run();
  return parse.mock.calls.length;
}

describe("hush check's reads of a file", () => {
  it("reads an encrypted YAML or JSON file the scanner reads whole without the general parser", async () => {
    const yaml = await enc("db:\n    user: app\n    password: secret\nlist:\n    - a\n    - b\n", "yaml");
    let result;
    expect(await storeParses("yaml", async () => (result = await checkFile({ path: "a.yaml", text: yaml })))).toBe(0);
    expect(result).toEqual({ path: "a.yaml", format: "yaml", covered: false, encrypted: true, problems: [] });
    const json = await enc('{\n\t"db": {\n\t\t"password": "secret"\n\t},\n\t"n": 1\n}\n', "json");
    expect(await storeParses("json", async () => (result = await checkFile({ path: "a.json", text: json })))).toBe(0);
    expect(result).toEqual({ path: "a.json", format: "json", covered: false, encrypted: true, problems: [] });
  });

  it("reads a YAML file with a comment through the store, and finds a plaintext comment added by hand", async () => {
    const yaml = await enc("db:\n    user: app\n    password: secret\n", "yaml");
    const added = yaml.replace(/^db:\n/m, "db:\n    # password: hunter2\n");
    let result: Awaited<ReturnType<typeof checkFile>> | undefined;
    expect(await storeParses("yaml", async () => (result = await checkFile({ path: "a.yaml", text: added })))).toBe(1);
    expect(result!.problems).toEqual([expect.objectContaining({ severity: "warning", code: "plaintext-comment", line: 2 })]);
  });

  it("parses a dotenv, INI or TOML file once", async () => {
    const files: Array<[FileFormat, string, string]> = [
      ["dotenv", "a.env", "USER=app\nPASSWORD=secret\n"],
      ["ini", "a.ini", "[db]\nuser = app\npassword = secret\n"],
      ["toml", "a.toml", '[db]\nuser = "app"\npassword = "secret"\n'],
    ];
    for (const [format, path, plain] of files) {
      const text = await enc(plain, format);
      let result: Awaited<ReturnType<typeof checkFile>> | undefined;
      expect(await storeParses(format, async () => (result = await checkFile({ path, text }))), format).toBe(1);
      expect(result, format).toEqual({ path, format, covered: false, encrypted: true, problems: [] });
      vi.restoreAllMocks();
    }
  });
});
