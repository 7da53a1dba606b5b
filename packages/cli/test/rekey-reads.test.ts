import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptText, storeFor, type FileFormat, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";
import { countCalls, makeTempDir } from "@hush/testkit";
import { NotEncrypted, readSecretFile } from "../src/rekey/secret-files.ts";
import type { Target } from "../src/rekey/targets.ts";

/**
 * `hush access`, `updatekeys` and `rotate` read every file's metadata first: a file the format's
 * span scanner reads whole (a YAML file without comments, a JSON file) takes no general parse,
 * which was most of `hush access`'s time on a repository; every other file is parsed by its store.
 */

const dir = makeTempDir("hush-rekey-reads-");
afterAll(() => dir.cleanup());

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  const pair = await generateAgeKeyPair();
  const source = new AgeKeySource({ identities: parseAgeIdentities(pair.identity) });
  recipient = pair.recipient;
  keys = async (kind) => (kind === "age" ? source : undefined);
});

/** A file found by a directory walk (format from its name). */
function walked(name: string, text: string, format: FileFormat): Target {
  const path = join(dir.path, name);
  writeFileSync(path, text);
  return { display: name, abs: path, path, format, explicit: false };
}

/** Calls of the format's store parser while `run` runs, and what it returned. */
async function withStoreParses<T>(format: FileFormat, run: () => Promise<T>): Promise<{ parses: number; result: T }> {
  const { calls, result } = await countCalls(await storeFor(format), "parse", run);
  return { parses: calls, result };
}

describe("reading a file's metadata for the reports and re-keying", () => {
  it("reads an encrypted YAML or JSON file the scanner reads whole without the general parser", async () => {
    const files: Array<[FileFormat, string, string]> = [
      ["yaml", "a.enc.yaml", "db:\n    password: secret\n"],
      ["json", "a.enc.json", '{\n\t"db": {\n\t\t"password": "secret"\n\t}\n}\n'],
    ];
    for (const [format, name, plain] of files) {
      const text = await encryptText(plain, { format, keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
      const read = await withStoreParses(format, () => readSecretFile(walked(name, text, format)));
      expect(read.parses, format).toBe(0);
      expect(read.result.metadata.keyGroups, format).toEqual([[expect.objectContaining({ kind: "age", recipient })]]);
      expect(read.result.text, format).toBe(text);
    }
  });

  it("reads a YAML file with a comment through the store, with the same metadata", async () => {
    const text = await encryptText("db:\n    password: secret\n", { format: "yaml", keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
    const scanned = await withStoreParses("yaml", () => readSecretFile(walked("b.enc.yaml", text, "yaml")));
    const parsed = await withStoreParses("yaml", () => readSecretFile(walked("c.enc.yaml", `# owner: the platform team\n${text}`, "yaml")));
    expect([scanned.parses, parsed.parses]).toEqual([0, 1]);
    expect(parsed.result.metadata).toEqual(scanned.result.metadata);
  });

  it("skips plain configuration found by a walk, and reports a named file without metadata", async () => {
    await expect(readSecretFile(walked("settings.yaml", "port: 8080\n", "yaml"))).rejects.toBeInstanceOf(NotEncrypted);
    await expect(readSecretFile(walked("broken.yaml", "port: [8080\n", "yaml"))).rejects.toBeInstanceOf(NotEncrypted);
    const named = { ...walked("named.yaml", "port: 8080\n", "yaml"), explicit: true };
    await expect(readSecretFile(named)).rejects.toMatchObject({ code: "METADATA_MISSING" });
  });
});
