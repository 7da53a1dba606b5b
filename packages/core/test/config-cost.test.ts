import { describe, expect, it } from "vitest";
import { isHushError, parseSopsConfig } from "@hush/core";

/** What reading an outsider's `.sops.yaml` costs: bounded aliases, each resolved once. */

/**
 * A config whose rules name anchored path_regex values through aliases, 50 per anchor (reading
 * the config refuses a hundred aliases of one anchor).
 */
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

  it("more than 1,000 aliases are refused, naming the line of the first one over", async () => {
    const err = await parseSopsConfig(withAliases(20_000)).catch((e: unknown) => e);
    expect(isHushError(err, "CONFIG_INVALID")).toBe(true);
    // Line 1 holds the anchor, line 2 `creation_rules:`; alias number 1,001 is on line 1,003.
    expect((err as Error).message).toBe("invalid .sops.yaml: more than 1,000 aliases (line 1003); write the rules out instead");
  });
});
