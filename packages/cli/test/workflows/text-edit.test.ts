import { describe, expect, it } from "vitest";
import { editPlaintext, parseTreePath, storeFor, type FileFormat } from "@hush/core";
import { parseJsonValue } from "../../src/workflows/set-value.ts";

async function set(text: string, format: FileFormat, path: string, value: string): Promise<{ text: string; reformatted: boolean; changed: boolean }> {
  return editPlaintext(text, format, { kind: "set", path: parseTreePath(path), value: await parseJsonValue(value) });
}
async function unset(text: string, format: FileFormat, path: string): Promise<{ text: string; reformatted: boolean }> {
  return editPlaintext(text, format, { kind: "unset", path: parseTreePath(path) });
}

const YAML = `# top comment
a: 1 # trailing
b:
    c: x
    d:
      - 1
      - two: 2
        three: 3
    # inside b

e: [1, 2]
f: {g: h}
l:
- x
- y
z: |
    multi
    line
`;

describe("set/unset on YAML text: only the changed entry's lines change", () => {
  it.each([
    ['["a"]', '"new"', YAML.replace("a: 1 # trailing", "a: new # trailing")],
    ['["b"]["c"]', "5", YAML.replace("    c: x", "    c: 5")],
    ['["b"]["c"]', '"multi\\nline"', YAML.replace("    c: x\n", "    c: |-\n        multi\n        line\n")],
    ['["a"]', '{"x": [1, {"y": "z"}]}', YAML.replace("a: 1 # trailing\n", 'a:\n    x:\n        - 1\n        - "y": z\n')],
    ['["b"]["new"]["deep"][0]', "5", YAML.replace("        three: 3\n", "        three: 3\n    new:\n        deep:\n            - 5\n")],
    ['["b"]["d"][9]', '{"k": "v"}', YAML.replace("        three: 3\n", "        three: 3\n      - k: v\n")],
    ['["b"]["d"][1]["four"]', "4", YAML.replace("        three: 3\n", "        three: 3\n        four: 4\n")],
    ['["e"][5]', '"a, b"', YAML.replace("e: [1, 2]", 'e: [1, 2, "a, b"]')],
    ['["f"]["g"]', '"x"', YAML.replace("f: {g: h}", "f: {g: x}")],
    ['["e"]', '[3]', YAML.replace("e: [1, 2]", "e: [3]")],
    ['["l"][0]', "null", YAML.replace("- x\n", "- null\n")],
    ['["z"]', '"short"', YAML.replace("z: |\n    multi\n    line\n", "z: short\n")],
    ['["new"]', '"v"', `${YAML}new: v\n`],
  ])("set %s %s", async (path, value, expected) => {
    const r = await set(YAML, "yaml", path, value);
    expect(r.reformatted).toBe(false);
    expect(r.text).toBe(expected);
  });

  it.each([
    ['["b"]', YAML.replace(/b:\n[\s\S]*# inside b\n/, "")],
    ['["a"]', YAML.replace("a: 1 # trailing\n", "")],
    ['["b"]["d"][1]["two"]', YAML.replace("      - two: 2\n        three: 3\n", "      - three: 3\n")],
    ['["b"]["d"][0]', YAML.replace("      - 1\n", "")],
    ['["e"][0]', YAML.replace("e: [1, 2]", "e: [2]")],
    ['["z"]', YAML.replace("z: |\n    multi\n    line\n", "")],
    ['["l"][1]', YAML.replace("- y\n", "")],
  ])("unset %s", async (path, expected) => {
    const r = await unset(YAML, "yaml", path);
    expect(r.reformatted).toBe(false);
    expect(r.text).toBe(expected);
  });

  it("edge documents: last key removed, empty flow map, empty document, no final newline, streams", async () => {
    expect((await unset("a: 1\n", "yaml", '["a"]')).text).toBe("{}\n");
    expect((await unset("x:\n    a: 1\n", "yaml", '["x"]["a"]')).text).toBe("x: {}\n");
    expect((await set("a: {}\n", "yaml", '["a"]["b"]', "1")).text).toBe("a:\n    b: 1\n");
    expect((await set("{}\n", "yaml", '["a"]["b"]', "1")).text).toBe("a:\n    b: 1\n");
    expect((await set("", "yaml", '["a"]', "1")).text).toBe("a: 1\n");
    expect((await set("a: 1", "yaml", '["b"]', "2")).text).toBe("a: 1\nb: 2");
    expect((await set("a: 1\n---\nb: 2\n", "yaml", '["c"]', "3")).text).toBe("a: 1\nc: 3\n---\nb: 2\n");
    expect((await set("k:\n  - a: 1\n    b: 2\n", "yaml", '["k"][0]["c"]', "3")).text).toBe("k:\n  - a: 1\n    b: 2\n    c: 3\n");
    expect((await unset("k:\n  - a: 1\n    b: 2\n", "yaml", '["k"][0]["a"]')).text).toBe("k:\n  - b: 2\n");
  });

  it("new nested content uses the file's own indentation", async () => {
    expect((await storeFor("yaml")).layout("a:\n  b: 1\n").indent).toBe(2);
    expect((await set("a:\n  b: 1\n", "yaml", '["a"]["c"]', '{"d": 1}')).text).toBe("a:\n  b: 1\n  c:\n    d: 1\n");
  });

  it("an equal value is reported unchanged (for --idempotent)", async () => {
    const r = await set("a: 1.50\n", "yaml", '["a"]', "1.5");
    expect(r.changed).toBe(false);
    expect(r.text).toBe("a: 1.50\n");
    expect((await set("a: 1\n", "yaml", '["a"]', "1.0")).changed).toBe(true);
  });

  it("errors: unset of a missing path, a key on a list, an index on a map", async () => {
    await expect(unset(YAML, "yaml", '["nope"]')).rejects.toThrow(/Key not found: \["nope"\]/);
    await expect(unset(YAML, "yaml", '["l"][5]')).rejects.toThrow(/Index 5 out of bounds/);
    await expect(set(YAML, "yaml", '["l"]["k"]', "1")).rejects.toThrow(/key \["k"\] needs a map, but \["l"\] is a list/);
    await expect(set(YAML, "yaml", '["b"][0]', "1")).rejects.toThrow(/index \[0\] needs a list, but \["b"\] is a map/);
  });

  it("a scalar in the way is replaced by the new structure (as SOPS does)", async () => {
    expect((await set("a: 1\n", "yaml", '["a"]["b"]', "2")).text).toBe("a:\n    b: 2\n");
  });
});

const JSON_DOC = '{\n\t"a": 1,\n\t"b": {\n\t\t"c": [1, 2]\n\t},\n\t"e": {}\n}\n';

describe("set/unset on JSON text", () => {
  it.each([
    ['["a"]', '{"x": [1, 2]}', JSON_DOC.replace('"a": 1', '"a": {\n\t\t"x": [\n\t\t\t1,\n\t\t\t2\n\t\t]\n\t}')],
    ['["b"]["c"][9]', '"x"', JSON_DOC.replace("[1, 2]", '[1, 2, "x"]')],
    ['["e"]["n"]', "12345678901234567890", JSON_DOC.replace('"e": {}', '"e": {\n\t\t"n": 12345678901234567890\n\t}')],
    ['["z"]', "1.50", JSON_DOC.replace('"e": {}\n', '"e": {},\n\t"z": 1.50\n')],
    ['["a"]["q"]', "1", JSON_DOC.replace('"a": 1', '"a": {\n\t\t"q": 1\n\t}')],
  ])("set %s %s", async (path, value, expected) => {
    const r = await set(JSON_DOC, "json", path, value);
    expect(r.reformatted).toBe(false);
    expect(r.text).toBe(expected);
  });

  it.each([
    ['["a"]', JSON_DOC.replace('\t"a": 1,\n', "")],
    ['["e"]', JSON_DOC.replace(',\n\t"e": {}', "")],
    ['["b"]["c"][1]', JSON_DOC.replace("[1, 2]", "[1]")],
    ['["b"]["c"][0]', JSON_DOC.replace("[1, 2]", "[2]")],
  ])("unset %s", async (path, expected) => {
    const r = await unset(JSON_DOC, "json", path);
    expect(r.reformatted).toBe(false);
    expect(r.text).toBe(expected);
  });

  it("keeps spaces when the file uses them, and one-line objects on one line", async () => {
    expect((await set('{\n  "a": 1\n}\n', "json", '["b"]', '{"c": 2}')).text).toBe('{\n  "a": 1,\n  "b": {\n    "c": 2\n  }\n}\n');
    expect((await set('{"a": {"x": 1}}\n', "json", '["a"]["y"]', '"s,t"')).text).toBe('{"a": {"x": 1, "y": "s,t"}}\n');
    expect((await unset('{"a": 1}\n', "json", '["a"]')).text).toBe("{}\n");
  });
});

describe("set/unset on dotenv, INI and TOML text", () => {
  it("dotenv: in place, appended, line removed", async () => {
    const env = "# c\nA=1\nB=x\n";
    expect((await set(env, "dotenv", '["B"]', '"y"')).text).toBe("# c\nA=1\nB=y\n");
    expect((await set(env, "dotenv", '["N"]', '"n"')).text).toBe("# c\nA=1\nB=x\nN=n\n");
    expect((await unset(env, "dotenv", '["A"]')).text).toBe("# c\nB=x\n");
  });

  it("INI: a new key goes to the end of its section", async () => {
    const ini = "; top\n[sec]\na = 1\n\n[other]\nc = 3\nd = 4\n";
    const r = await set(ini, "ini", '["sec"]["n"]', '"new"');
    expect(r.reformatted).toBe(false);
    expect(r.text).toBe("; top\n[sec]\na = 1\nn = new\n\n[other]\nc = 3\nd = 4\n");
    expect((await unset(ini, "ini", '["other"]["c"]')).text).toBe("; top\n[sec]\na = 1\n\n[other]\nd = 4\n");
  });

  it("TOML: top-level keys before the first table, multi-line arrays removed whole", async () => {
    const toml = '# top\ntitle = "x"\n[server]\nport = 80\nlist = [\n  1,\n  2,\n]\n\n[other]\nx = 1\n';
    expect((await set(toml, "toml", '["top2"]', "1")).text).toBe('# top\ntitle = "x"\ntop2 = 1\n[server]\nport = 80\nlist = [\n  1,\n  2,\n]\n\n[other]\nx = 1\n');
    expect((await set(toml, "toml", '["server"]["new"]', '"n"')).text).toBe('# top\ntitle = "x"\n[server]\nport = 80\nlist = [\n  1,\n  2,\n]\nnew = "n"\n\n[other]\nx = 1\n');
    expect((await unset(toml, "toml", '["server"]["list"]')).text).toBe('# top\ntitle = "x"\n[server]\nport = 80\n\n[other]\nx = 1\n');
    expect((await set(toml, "toml", '["server"]["port"]', "8080")).text).toBe(toml.replace("port = 80", "port = 8080"));
  });
});
