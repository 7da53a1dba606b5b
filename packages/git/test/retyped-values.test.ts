import { beforeAll, describe, expect, it } from "vitest";
import { decryptText, encryptText, type FileFormat, type KeySourceResolver } from "@hush/core";
import { retypedValues } from "@hush/git";
import { freshAgeKey } from "./age-keys.ts";

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  ({ recipient, keys } = await freshAgeKey());
});

const enc = (text: string, format: FileFormat): Promise<string> => encryptText(text, { format, keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
/** The envelope of the first value labelled `from`, relabelled `to`, as an edit without the key makes it. */
const relabel = (text: string, from: string, to: string): string => text.replace(`type:${from}]`, `type:${to}]`);

describe("retypedValues: a type label changed over the same ciphertext", () => {
  it.each([
    ["json", '{\n    "port": 5432,\n    "debug": false\n}\n', "int", '"port"'],
    ["yaml", "port: 5432\nratio: 0.5\n", "float", '"ratio"'],
  ] as const)("%s: found, and it decrypts without complaint, which is why it must be found", async (format, plain, from, key) => {
    const earlier = await enc(plain, format);
    const branch = relabel(earlier, from, "str");
    expect(branch).not.toBe(earlier);
    expect(await decryptText(branch, { format, keySources: keys })).not.toBe(plain);
    const found = await retypedValues(format, branch, earlier, "abc1234");
    expect(found.map((p) => [p.severity, p.code, p.keyPath])).toEqual([["error", "retyped-value", `[${key}]`]]);
    expect(found[0]!.message).toContain(`is labelled str but holds the ciphertext it had as ${from} at abc1234`);
  });

  it("toml: found too, though hush's TOML plaintext is a value's spelling (quotes included), so the label changes nothing there", async () => {
    const earlier = await enc("debug = false\nport = 5432\n", "toml");
    const branch = relabel(earlier, "int", "str");
    expect(await decryptText(branch, { format: "toml", keySources: keys })).toBe("debug = false\nport = 5432\n");
    expect((await retypedValues("toml", branch, earlier, "r")).map((p) => p.keyPath)).toEqual(['["port"]']);
  });

  it("finds nothing for a value encrypted anew, an unchanged file, or a text that does not parse", async () => {
    const earlier = await enc("port: 5432\n", "yaml");
    expect(await retypedValues("yaml", earlier, earlier, "r")).toEqual([]);
    expect(await retypedValues("yaml", await enc('port: "5432"\n', "yaml"), earlier, "r")).toEqual([]);
    expect(await retypedValues("yaml", "port: [unclosed\n", earlier, "r")).toEqual([]);
  });
});

describe("retypedValues: a value moved to a key path whose names, joined by ':', are its own", () => {
  it("is found, and named as a move (SOPS binds a value to its key names joined by ':', so it decrypts there)", async () => {
    const earlier = await enc("db:\n  pw: hunter2\nx: 1\n", "yaml");
    const pw = /pw: (ENC\[[^\]]*\])/.exec(earlier)![1]!;
    const moved = earlier.replace(/^db:\n {2}pw: ENC\[[^\]]*\]\n/, `"db:pw": ${pw}\n`);
    expect(await decryptText(moved, { format: "yaml", keySources: keys })).toBe('"db:pw": hunter2\nx: 1\n');
    const found = await retypedValues("yaml", moved, earlier, "abc1234");
    expect(found.map((p) => p.keyPath)).toEqual(['["db:pw"]']);
    expect(found[0]!.message).toContain('holds the ciphertext it had at ["db"]["pw"], moved to a key path whose names joined by \':\' are the same, at abc1234');
  });
});

describe("retypedValues: a value put into a list, or taken out of one, over the same ciphertext", () => {
  it("is found (false became [false], true to JavaScript and Python); a list item that only moved to another index is not", async () => {
    const earlier = await enc('{\n    "debug": false,\n    "hosts": [\n        "a",\n        "b"\n    ]\n}\n', "json");
    const wrapped = earlier.replace(/"debug": ("ENC\[[^"]*\]")/, '"debug": [$1]');
    expect(await decryptText(wrapped, { format: "json", keySources: keys })).toContain('"debug": [false]');
    const found = await retypedValues("json", wrapped, earlier, "abc1234");
    expect(found.map((p) => p.keyPath)).toEqual(['["debug"][0]']);
    expect(found[0]!.message).toContain('holds the ciphertext it had at ["debug"], now inside a list it was not in, at abc1234');
    // The first host deleted: the second keeps its ciphertext at index 0, as hush writes it.
    const [, second] = [...earlier.matchAll(/"(ENC\[[^"]*type:str\])"/g)].map((m) => m[1]!);
    const deleted = earlier.replace(/"hosts": \[\n\s*"ENC[^"]*",\n\s*("ENC[^"]*")\n\s*\]/, `"hosts": [\n        "${second}"\n    ]`);
    expect(deleted).not.toBe(earlier);
    expect(await retypedValues("json", deleted, earlier, "r")).toEqual([]);
  });
});

describe("retypedValues: a YAML document split in two over the same ciphertexts", () => {
  it("is found for the values now in the second document (go-yaml v2, Helm's reader, reads only the first)", async () => {
    const earlier = await enc("a: one\nb: two\n", "yaml");
    const metadata = earlier.slice(earlier.indexOf("sops:\n"));
    const [first, second] = earlier.slice(0, earlier.indexOf("sops:\n")).split(/(?<=\n)/);
    const split = `${first}${metadata}---\n${second}${metadata}`;
    expect(await decryptText(split, { format: "yaml", keySources: keys })).toBe("a: one\n---\nb: two\n");
    const found = await retypedValues("yaml", split, earlier, "abc1234");
    expect(found.map((p) => [p.keyPath, p.line])).toEqual([['["b"]', split.slice(0, split.indexOf("b: ")).split("\n").length]]);
    expect(found[0]!.message).toContain("holds the ciphertext it had in document 1, now in document 2, at abc1234");
  });
});
