import { describe, expect, it, vi } from "vitest";
import { RE2JS } from "re2js";
import { findCreationRule, isHushError, parseSopsConfig } from "@hush/core";

/** What reading an outsider's `.sops.yaml` costs: bounded aliases, each resolved once. */

/** A config whose rules name anchored path_regex values through aliases, 50 per anchor. */
const withAliases = (count: number): string => {
  const anchors = Math.ceil(count / 50);
  const rules = Array.from({ length: count }, (_, i) => `  - path_regex: *p${Math.floor(i / 50)}\n`).join("");
  return `regexes: [${Array.from({ length: anchors }, (_, i) => `&p${i} ^never${i}$`).join(", ")}]\ncreation_rules:\n${rules}`;
};

describe(".sops.yaml aliases", () => {
  it("1,000 aliases are read, each to what it names", async () => {
    const config = await parseSopsConfig(withAliases(1_000));
    expect(config.creationRules).toHaveLength(1_000);
    expect(config.creationRules.map((r) => r.pathRegex).slice(49, 51)).toEqual(["^never0$", "^never1$"]);
  });

  it("one key named through an alias in 1,000 rules is read, as SOPS reads it", async () => {
    const rules = Array.from({ length: 1_000 }, (_, i) => `  - path_regex: ^app${i}/\n    age: *admin\n`).join("");
    const started = Date.now();
    const config = await parseSopsConfig(`keys: [&admin age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p]\ncreation_rules:\n${rules}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(config.creationRules).toHaveLength(1_000);
    expect(config.creationRules[999]!.keyGroups).toEqual([[{ kind: "age", recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p" }]]);
  });

  it("more than 1,000 aliases are refused, naming the line of the first one over", async () => {
    const err = await parseSopsConfig(withAliases(20_000)).catch((e: unknown) => e);
    expect(isHushError(err, "CONFIG_INVALID")).toBe(true);
    // Line 1 holds the anchor, line 2 `creation_rules:`; alias number 1,001 is on line 1,003.
    expect((err as Error).message).toBe("invalid .sops.yaml: more than 1,000 aliases (line 1003); write the rules out instead");
  });
});

describe(".sops.yaml aliases that copy aliases", () => {
  it("are refused before they are expanded, naming the line where the copies go past the limit", async () => {
    // Each level names the one before nine times: 9^11 copies of a recipient from a dozen lines.
    const levels = ["a0: &a0 [age1x]", ...Array.from({ length: 11 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(", ")}]`)];
    const err = await parseSopsConfig(`${levels.join("\n")}\ncreation_rules:\n  - age: *a11\n`).catch((e: unknown) => e);
    expect(isHushError(err, "CONFIG_INVALID")).toBe(true);
    expect((err as Error).message).toBe(
      "invalid .sops.yaml: YAML aliases expand to too many values at line 6 (more than 10,000 copies or 100,000 values); write the values out instead of aliasing them",
    );
  });
});

describe("matching many files against .sops.yaml", () => {
  it("compiles each path_regex once, however many files are matched (a report over a repository matches thousands)", async () => {
    const config = await parseSopsConfig("creation_rules:\n  - path_regex: ^cost-prod/.*\\.yaml$\n    age: age1x\n  - path_regex: ^cost-staging/.*\\.yaml$\n    age: age1x\n  - path_regex: \\.cost\\.yaml$\n    age: age1x\n");
    const compile = vi.spyOn(RE2JS, "compile");
    try {
      const matched = [];
      for (let i = 0; i < 200; i++) matched.push((await findCreationRule(config, `app${i}/secrets.cost.yaml`))?.pathRegex);
      expect(matched.every((rx) => rx === "\\.cost\\.yaml$")).toBe(true);
      expect(compile.mock.calls.map(([pattern]) => pattern).sort()).toEqual(["\\.cost\\.yaml$", "^cost-prod/.*\\.yaml$", "^cost-staging/.*\\.yaml$"]);
    } finally {
      compile.mockRestore();
    }
  });

  it("an invalid path_regex is refused on every match, naming the rule each time", async () => {
    const config = await parseSopsConfig("creation_rules:\n  - path_regex: ^cost-(unclosed\n    age: age1x\n");
    for (let i = 0; i < 2; i++) {
      const err = await findCreationRule(config, "a.yaml").catch((e: unknown) => e);
      expect(isHushError(err, "CONFIG_INVALID")).toBe(true);
      expect((err as Error).message).toBe("creation_rules[0].path_regex: invalid regular expression");
    }
  });
});
