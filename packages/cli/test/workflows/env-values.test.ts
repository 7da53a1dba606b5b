import { describe, expect, it } from "vitest";
import { mergeEnvFiles } from "../../src/workflows/env-files.ts";
import { envFromPlaintext } from "../../src/workflows/env-values.ts";

const names = async (text: string, shape = {}) => (await envFromPlaintext(text, "yaml", shape)).map((e) => [e.name, e.value]);

describe("envFromPlaintext", () => {
  it("writes scalars as SOPS does and skips nulls", async () => {
    expect(await names("A: 1.50\nB: True\nC: null\nD: 0x1F\n")).toEqual([["A", "1.5"], ["B", "true"], ["D", "31"]]);
  });

  it("refuses nested values without flatten, naming the key as SOPS does", async () => {
    await expect(names("db:\n  password: secret-value\n")).rejects.toThrow(/^cannot use complex value in environment; offending key db \(use --flatten/);
  });

  it("flattens maps and lists with the separator, keeping case", async () => {
    expect(await names("Db:\n  Pass: x\nhosts: [a, b]\n", { flatten: true })).toEqual([["Db__Pass", "x"], ["hosts__0", "a"], ["hosts__1", "b"]]);
    expect(await names("db:\n  pass: x\n", { flatten: true, separator: "." })).toEqual([["db.pass", "x"]]);
  });

  it("refuses two paths that flatten to one name, naming both and no value", async () => {
    const err = await envFromPlaintext("db__pass: secret-one\ndb:\n  pass: secret-two\n", "yaml", { flatten: true }).catch((e: Error) => e);
    expect(String(err)).toMatch(/\["db__pass"\] and \["db"\]\["pass"\] both become the variable db__pass/);
    expect(String(err)).not.toMatch(/secret-/);
  });

  it("on Windows, whose environment ignores case, refuses two names that differ only in case: an empty `token=` a branch adds (no key needed) before `TOKEN` would blank it", async () => {
    const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
    Object.defineProperty(process, "platform", { ...platform, value: "win32" });
    try {
      const err = await envFromPlaintext("token=\nTOKEN=secret-value-w1\n", "dotenv").catch((e: unknown) => e);
      expect(String(err)).toMatch(/\["token"\] and \["TOKEN"\] both become the variable TOKEN/);
      expect(String(err)).not.toContain("secret-value-w1");
    } finally {
      Object.defineProperty(process, "platform", platform);
    }
    expect(await names("token: a\nTOKEN: b\n")).toEqual([["token", "a"], ["TOKEN", "b"]]);
  });

  it("refuses names an environment cannot hold and an empty separator", async () => {
    await expect(names("'a=b': 1\n")).rejects.toThrow(/as an environment variable name/);
    await expect(names("a: 1\n", { flatten: true, separator: "" })).rejects.toThrow(/separator cannot be empty/);
  });

  it("refuses a name with a line break or another control character: `env` would print `X` and a line `NODE_OPTIONS=…` of its own, which whatever reads that output back (an env file, $GITHUB_ENV) would set", async () => {
    for (const key of ["X\nNODE_OPTIONS", "X\rY", "TAB\tNAME", "ESC\u001bNAME", "DEL\u007fNAME", "NEL\u0085NAME", "CSI\u009bNAME"]) {
      await expect(names(`${JSON.stringify(key)}: --require ./evil.js\n`), JSON.stringify(key)).rejects.toThrow(/^cannot use key "[^\n]*" at .* as an environment variable name \(it holds a control character\)$/);
    }
    await expect(names("db:\n  \"a\\nb\": x\n", { flatten: true })).rejects.toThrow(/as an environment variable name/);
    expect(await names("'sp ace': 1\n\u00e9t\u00e9: 2\n")).toEqual([["sp ace", "1"], ["\u00e9t\u00e9", "2"]]);
  });

  it("refuses a flattened name longer than 4096 bytes, naming its path shortened and no value", async () => {
    const key = "k".repeat(1000);
    const nested = (depth: number) => `${Array.from({ length: depth }, (_, d) => `${"  ".repeat(d)}${key}${d}:\n`).join("")}${"  ".repeat(depth)}leaf: secret-value-n1\n`;
    expect((await names(nested(3), { flatten: true }))[0]![0]).toHaveLength(3 * 1001 + 3 * 2 + 4);
    const err = await envFromPlaintext(nested(5), "yaml", { flatten: true }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/^HushError: the key path \["k+[^\n]{0,200} gives a variable name of 5013 bytes, more than the 4096 a name may have/);
    expect(String(err)).not.toContain("secret-value-n1");
  });
});

describe("mergeEnvFiles", () => {
  const file = (name: string, text: string) => ({ file: name, text, format: "yaml" as const, unauthenticated: [] });
  const merge = (...files: ReturnType<typeof file>[]) => mergeEnvFiles(files, { flatten: true, allowed: new Set(), baseEnv: {} });

  it("takes 10,000 variables and refuses one more, naming the file that brings it", async () => {
    const keys = (from: number, count: number) => Array.from({ length: count }, (_, i) => `v${from + i}: ''\n`).join("");
    expect((await merge(file("a.yaml", keys(0, 6000)), file("b.yaml", keys(6000, 4000)))).vars.size).toBe(10_000);
    const err = await merge(file("a.yaml", keys(0, 6000)), file("b.yaml", keys(6000, 4001))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", location: { file: "b.yaml" }, message: expect.stringMatching(/^the files give more than 10000 variables/) });
    // A name the files give twice counts once.
    expect((await merge(file("a.yaml", keys(0, 10_000)), file("b.yaml", keys(0, 10_000)))).vars.size).toBe(10_000);
  });

  it("refuses names of more than 256 KiB in all", async () => {
    // Names of about 3 KB each: three nested keys of 1,000 characters and the leaf's.
    const prefix = ["a", "b", "c"].map((c, d) => `${"  ".repeat(d)}${c.repeat(1000)}:\n`).join("");
    const leaves = (count: number) => prefix + Array.from({ length: count }, (_, i) => `      leaf${i}: x\n`).join("");
    expect((await merge(file("a.yaml", leaves(80)))).vars.size).toBe(80);
    await expect(merge(file("a.yaml", leaves(100)))).rejects.toThrow(/^the files give names of more than 262144 bytes in all/);
  });
});
