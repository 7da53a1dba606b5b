import { describe, expect, it } from "vitest";
import { decodeMetadata } from "@hush/core";

/**
 * `shamir_threshold` and `mac_only_encrypted` are read only as tools write them: SOPS reads other
 * spellings otherwise than hush would (go-yaml and mapstructure parse integers with Go's base
 * prefixes, so `010` is 8; go-yaml takes `yes`, `on` and `True` for true, mapstructure `1`, `t`
 * and `True`), and hush's review, `hush access` and its MAC would not show what SOPS uses.
 */
describe("the threshold and mac_only_encrypted as tools write them", () => {
  const base = { age: [{ recipient: "age1x", enc: "x" }], lastmodified: "2025-01-01T00:00:00Z", mac: "", version: "3.13.2" };
  const decode = (raw: Record<string, unknown>): ReturnType<typeof decodeMetadata> => decodeMetadata({ ...base, ...raw });

  it("reads a decimal threshold, as a number (JSON) or text (YAML, dotenv, INI), and none as 0", () => {
    for (const v of [2, "2", "0", 0, 255, "255"]) expect(decode({ shamir_threshold: v }).shamirThreshold).toBe(Number(v));
    for (const v of [undefined, null, ""]) expect(decode({ shamir_threshold: v }).shamirThreshold).toBe(0);
  });

  it.each(["010", "02", "0x2", "0o2", "0b10", "+2", "2.0", "1e1", "1_0", " 2", "two", "-1", "256"])("refuses the threshold %j", (v) => {
    expect(() => decode({ shamir_threshold: v })).toThrow(/^invalid sops metadata: shamir_threshold is not (a small integer|written as a decimal integer)/);
  });

  it("refuses a threshold number that is not a small integer", () => {
    for (const v of [2.5, -1, 256, true]) expect(() => decode({ shamir_threshold: v })).toThrow(/^invalid sops metadata: shamir_threshold is not (a small integer|written as a decimal integer)/);
  });

  it("reads mac_only_encrypted as true or false, as a boolean (JSON) or text", () => {
    for (const v of [true, "true"]) expect(decode({ mac_only_encrypted: v }).macOnlyEncrypted).toBe(true);
    for (const v of [false, "false", undefined, null, ""]) expect(decode({ mac_only_encrypted: v }).macOnlyEncrypted).toBe(false);
  });

  it("refuses every other mac_only_encrypted", () => {
    for (const v of ["yes", "on", "y", "True", "TRUE", "t", "1", 1, 0, "no", "False", "off", [true], {}]) {
      expect(() => decode({ mac_only_encrypted: v }), JSON.stringify(v)).toThrow("invalid sops metadata: mac_only_encrypted is neither true nor false (SOPS reads yes, on, True, 1 and t as true)");
    }
  });
});
