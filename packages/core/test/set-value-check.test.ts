import { describe, expect, it } from "vitest";
import { editPlaintext, HushError, parseSetValue, type TreeMap, type TreeNode } from "../src/index.ts";

/**
 * `set` checks a value built by a program as a whole before editing: a scalar whose text SOPS
 * reads as another value than its type says is refused, not written to decrypt as something
 * else; a tree that is inside itself is refused at once; what hush reads from files passes.
 */

const scalar = (type: "str" | "int" | "float" | "bool" | "time", text: string): TreeNode => ({ kind: "scalar", value: { type, text } });

async function refusal(value: unknown, path: readonly (string | number)[] = ["v"]): Promise<HushError> {
  const err = await editPlaintext("a: 1\n", "yaml", { kind: "set", path, value: value as TreeNode }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HushError);
  return err as HushError;
}

describe("set of a value given as JSON text", () => {
  it("says why valid JSON is refused (too deep, a key twice, a lone surrogate, a number past a float), naming keys, not the text", async () => {
    const cases: Array<[string, string]> = [
      [`${"[".repeat(250)}1${"]".repeat(250)}`, "invalid value: nesting deeper than 200 levels"],
      ['{"pass": "hunter2", "pass": "hunter3"}', 'invalid value: duplicate key ["pass"]'],
      ['{"db": {\n"pw": 1,\n"pw": 2}}', 'invalid value: duplicate key ["db"]["pw"]'],
      ['"\\ud800"', "invalid value: the string holds a lone surrogate"],
      ["1e400", "invalid value: the number is beyond the range of a 64-bit float"],
      // Not JSON at all: the general hint, as before.
      ["hunter2", "invalid value: it must be a JSON value (strings in double quotes, e.g. '\"secret\"')"],
    ];
    for (const [text, message] of cases) {
      const err = await parseSetValue(text).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, text).toBeInstanceOf(HushError);
      expect((err as HushError).code).toBe("INVALID_SET_VALUE");
      expect((err as HushError).message.startsWith(message), (err as HushError).message).toBe(true);
      expect((err as HushError).message).not.toContain("hunter");
    }
  });
});

describe("set of a value a program built", () => {
  it("refuses a scalar whose text its type does not read (bool yes decrypted as false), naming the place and what to write", async () => {
    const cases: Array<[TreeNode, RegExp]> = [
      [scalar("bool", "yes"), /^the value is a bool scalar whose text SOPS does not read as a bool \(it would decrypt as another value\): write true or false/],
      [scalar("int", "5k"), /^the value is an int scalar whose text SOPS does not read as an int .*: write a decimal 64-bit integer/],
      [scalar("int", "9223372036854775808"), /SOPS does not read as an int/],
      [scalar("float", "1,5"), /SOPS does not read as a float/],
      [scalar("time", "yesterday"), /write an RFC 3339 time/],
      [{ kind: "map", entries: [{ kind: "entry", key: "db", value: { kind: "list", items: [scalar("str", "x"), scalar("bool", "on")] } }] }, /^the value's \["db"\]\[1\] is a bool scalar/],
    ];
    for (const [value, message] of cases) {
      const err = await refusal(value);
      expect(err.code).toBe("INVALID_SET_VALUE");
      expect(err.message).toMatch(message);
      // The message says where, never the text given.
      for (const text of ["yes", "5k", "1,5", "yesterday", "on"]) expect(err.message).not.toContain(` ${text}`);
    }
  });

  it("refuses a map or list that is inside itself at once, and one given in two places", async () => {
    const loop: { kind: "map"; entries: unknown[] } = { kind: "map", entries: [] };
    loop.entries.push({ kind: "entry", key: "self", value: loop });
    expect((await refusal(loop)).message).toBe('the value\'s ["self"] is a map met before (inside itself, or in two places): give each place a map of its own');
    const shared: TreeNode = { kind: "list", items: [scalar("str", "x")] };
    expect((await refusal({ kind: "map", entries: [{ kind: "entry", key: "a", value: shared }, { kind: "entry", key: "b", value: shared }] })).code).toBe("INVALID_SET_VALUE");
  });

  it("sets well-formed values, a scalar used twice, and every scalar as hush reads it from a file", async () => {
    const one = scalar("str", "x");
    const value: TreeMap = {
      kind: "map",
      entries: [
        { kind: "entry", key: "a", value: one },
        { kind: "entry", key: "b", value: one },
        { kind: "entry", key: "i", value: scalar("int", "-16") },
        { kind: "entry", key: "f", value: scalar("float", "+Inf") },
        { kind: "entry", key: "t", value: scalar("time", "2001-12-14T21:59:43.1-05:00") },
        { kind: "entry", key: "ok", value: scalar("bool", "True") },
        { kind: "entry", key: "none", value: { kind: "null" } },
        { kind: "entry", key: "l", value: { kind: "list", items: [] } },
      ],
    };
    const r = await editPlaintext("a: 1\n", "yaml", { kind: "set", path: ["v"], value });
    expect(r.text).toBe("a: 1\nv:\n    a: x\n    b: x\n    i: -16\n    f: .inf\n    t: 2001-12-14T21:59:43.1-05:00\n    ok: true\n    none: null\n    l: []\n");
  });
});

describe("set of a value typed on the command line (parseSetValue)", () => {
  it("says why valid JSON hush refuses is refused, naming no value; text that is not JSON gets the usage hint", async () => {
    const reason = (text: string): Promise<string> =>
      parseSetValue(text).then(
        () => "accepted",
        (e: unknown) => (e instanceof HushError ? `${e.code}: ${e.message}` : String(e)),
      );
    // "it must be a JSON value" was said of these too, which are JSON.
    expect(await reason('"\\ud800"')).toMatch(/^INVALID_SET_VALUE: invalid value: the string holds a lone surrogate/);
    expect(await reason("1e400")).toMatch(/^INVALID_SET_VALUE: invalid value: the number is beyond the range of a 64-bit float/);
    expect(await reason('{"k": 1, "k": 2}')).toBe('INVALID_SET_VALUE: invalid value: duplicate key ["k"]');
    expect(await reason("{")).toMatch(/^INVALID_SET_VALUE: invalid value: it must be a JSON value/);
    expect(await reason("secret")).toMatch(/^INVALID_SET_VALUE: invalid value: it must be a JSON value/);
  });
});
