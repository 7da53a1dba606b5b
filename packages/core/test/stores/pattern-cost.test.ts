import { describe, expect, it } from "vitest";
import { scanYaml } from "@hush/core";
import { goValToString } from "../../src/stores/dotenv-emit.ts";
import { detectYamlIndent } from "../../src/stores/yaml-layout.ts";

/**
 * hush's own regular expressions on an outsider's text: a run of one character that does not
 * end the text (spaces inside a value, zeros inside a number, `\r` inside a line) is read once,
 * not once from each of its characters. Each input here took seconds to minutes before (a
 * pattern tried from every position of the run); the checks are on what the read gives.
 */

const RUN = 150_000;

describe("runs inside an outsider's text are read once", () => {
  it("a plain YAML value with a long run of spaces inside it (the decrypt span scanner)", () => {
    const value = `x${" ".repeat(RUN)}y`;
    const doc = scanYaml(`a_unencrypted: ${value}\nb: 1\n`);
    expect(doc?.leaves.filter((l) => l.kind === "scalar").map((l) => [l.path.join("."), l.value?.text.length])).toEqual([
      ["a_unencrypted", value.length],
      ["b", 1],
    ]);
  });

  it("a float spelled with a long run of zeros inside its digits, written into a flat file", () => {
    // About 1.0: finite, so its digits are compared with the float's (and differ: kept as spelled).
    const text = `1${"0".repeat(RUN)}1e-${RUN + 1}`;
    expect(goValToString({ type: "float", text }) === text).toBe(true);
  });

  it("a YAML text whose lines end in \\r alone, many on one \\n line", () => {
    expect(detectYamlIndent(`${"\r \u0000\r".repeat(RUN / 4)}\n -`)).toBe(1);
    expect(detectYamlIndent("a:\r\n  b: 1\r\n    - c\r\n")).toBe(2);
  });
});
