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

/**
 * A JSON number or boolean where SOPS reads text: every SOPS version reads it otherwise. 3.9–3.12
 * refuse it (encoding/json into a string field); 3.13 types it in its tree and prints it into the
 * field (stores/metadata.go:87, mapstructure WeaklyTypedInput: a boolean as 1 or 0, a float with
 * FormatFloat 'f'); 3.13.2 keeps integers in int64 exactly (stores/json/store.go
 * `normalizeJSONNumber`) where JavaScript rounds them. hush refuses it, naming the field.
 */
describe("numbers and booleans where SOPS reads text", () => {
  const base = { lastmodified: "2025-01-01T00:00:00Z", mac: "", version: "3.13.2" };
  const age = [{ recipient: "age1x", enc: "x" }];
  it.each([
    [{ age, encrypted_regex: true }, "encrypted_regex"],
    [{ age, unencrypted_suffix: 1e21 }, "unencrypted_suffix"],
    [{ age: [{ recipient: "age1x", enc: "x" }], hc_vault: [{ vault_address: "https://v", engine_path: "transit", key_name: 1234567890123456789, created_at: "2025-01-01T00:00:00Z", enc: "x" }] }, "sops.hc_vault[0].key_name"],
    [{ kms: [{ arn: "arn:aws:kms:us-east-1:111122223333:key/k", aws_profile: false, created_at: "2025-01-01T00:00:00Z", enc: "x" }] }, "sops.kms[0].aws_profile"],
    [{ kms: [{ arn: "arn:aws:kms:us-east-1:111122223333:key/k", context: { team: 1 }, created_at: "2025-01-01T00:00:00Z", enc: "x" }] }, "sops.kms[0].context"],
    [{ age, version: 3.1 }, "version"],
  ])("%j: refused, naming %s", (raw, field) => {
    expect(() => decodeMetadata({ ...base, ...raw })).toThrow(`invalid sops metadata: ${field} is not a string`);
  });
});
