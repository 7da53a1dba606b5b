import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { yamlStore } from "../../src/stores/yaml-store.ts";
import { scanYaml } from "../../src/stores/yaml-scan.ts";

/**
 * A YAML `sops` block holds no tag and no plain null word: SOPS's go-yaml reads each otherwise
 * than hush's reader (the end-to-end twin, test/interop/metadata-yaml-readings.test.ts, shows
 * what SOPS 3.9.2 reads).
 */

const block = (lines: string): string => `a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n${lines}    lastmodified: "2025-01-01T00:00:00Z"\n    version: 3.13.2\n`;

function refusal(text: string): string {
  try {
    yamlStore.parse(text);
  } catch (e) {
    if (isHushError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error(`expected a refusal of ${JSON.stringify(text)}`);
}

describe("tags and null words in a YAML sops block", () => {
  it.each([
    ["    kms:\n        - arn: a\n          role: !!merge arn:aws:iam::111122223333:role/x\n", "!!merge", 5],
    ["    age:\n        - recipient: !!binary YWdlMXh5eg==\n", "!!binary", 4],
    ["    age:\n        - recipient: !!str age1xyz\n", "!!str", 4],
    ["    age:\n        - recipient: !<tag:yaml.org,2002:str> age1xyz\n", "!!str", 4],
    ["    version_note: !note x\n", "!note", 3],
    ["    !!binary YWdl:\n        - recipient: age1xyz\n", "!!binary", 3],
    ["    age: !!seq\n        - recipient: age1xyz\n", "!!seq", 3],
    ["    kms:\n        - arn: a\n          context: !!set\n              ? a\n", "!!set", 5],
    ["    lastmodified_note:\n        !!timestamp 2025-01-01\n", "!!timestamp", 4],
  ])("%j: refused, naming the tag and its line", (lines, tag, line) => {
    expect(refusal(block(lines))).toBe(`METADATA_INVALID: invalid sops metadata: a tag ${tag} at line ${line}, which no tool writes there and SOPS's YAML reader reads otherwise than hush: remove it`);
  });

  it("a tag on the block itself is refused too", () => {
    expect(refusal('a: 1\nsops: !!map\n    lastmodified: "2025-01-01T00:00:00Z"\n')).toMatch(/^METADATA_INVALID: invalid sops metadata: a tag !!map at line 2,/);
  });

  it.each(["~", "null", "Null", "NULL"])("a plain %s is null to SOPS and text to hush: refused, naming its line", (word) => {
    expect(refusal(block(`    unencrypted_suffix: ${word}\n`))).toBe(
      `METADATA_INVALID: invalid sops metadata: ${word} at line 3, which SOPS reads as no value and hush as the text ${word} (no tool writes it there): write "" for no value, or quote the text`,
    );
    expect(refusal(block(`    age:\n        - ${word}\n`))).toMatch(new RegExp(`^METADATA_INVALID: invalid sops metadata: ${word} at line 4,`));
    // The span scanner leaves such a block to the parser, which refuses it.
    expect(scanYaml(block(`    unencrypted_suffix: ${word}\n`))).toBeUndefined();
  });

  it("quoted, the words are text to every reader; an empty value is no value to both; in the data, no concern of the metadata", () => {
    for (const value of ['"null"', "'~'", '""', ""]) {
      expect(() => yamlStore.parse(block(`    unencrypted_suffix: ${value}\n`))).not.toThrow();
    }
    expect(() => yamlStore.parse(`b: null\nc: !!str x\n${block("").slice(block("").indexOf("sops:"))}`)).not.toThrow();
  });
});

/**
 * SOPS 3.13 reads a YAML file's `sops` block through its tree (stores/yaml/store.go:105
 * `node.Decode(&result)`, then stores/metadata.go:87 `treeBranchToMetadata`, mapstructure with
 * WeaklyTypedInput): a plain scalar go-yaml types as a number or boolean reaches a text field as
 * Go prints that value (an int in decimal, a float with strconv.FormatFloat 'f', a boolean as 1
 * or 0). SOPS 3.9–3.12 (yaml.Unmarshal into the struct) and hush read the text as written. So
 * `key_name: 0x10` is the Vault key 16 to the next `sops rotate`, the key 0x10 to hush's review.
 */
describe("plain scalars SOPS 3.13 reads as numbers or booleans", () => {
  it.each([
    ["    hc_vault:\n        - key_name: 0x10\n", "0x10", "16", 4],
    ["    kms:\n        - arn: a\n          aws_profile: 010\n", "010", "8", 5],
    ["    kms:\n        - arn: a\n          context:\n              team: 1_000\n", "1_000", "1000", 6],
    ["    pgp:\n        - fp: 1e3\n", "1e3", "1000", 4],
    ["    pgp:\n        - fp: 1234567890123456789012345678901234567890\n", "1234567890123456789012345678901234567890", "1234567890123456800000000000000000000000", 4],
    ["    encrypted_regex: true\n", "true", "1", 3],
    ["    unencrypted_suffix: False\n", "False", "0", 3],
    ["    azure_kv:\n        - version: +7\n", "+7", "7", 4],
    ["    azure_kv:\n        - version: .inf\n", ".inf", "+Inf", 4],
    ["    azure_kv:\n        - version: 1.50\n", "1.50", "1.5", 4],
    ["    version: 3.10\n", "3.10", "3.1", 3],
  ])("%j: refused, naming the line", (lines, written, sops, line) => {
    const text = block(lines).replace("    version: 3.13.2\n", lines.startsWith("    version:") ? "" : "    version: 3.13.2\n");
    expect(refusal(text)).toBe(
      `METADATA_INVALID: invalid sops metadata: the plain ${written} at line ${line}, which SOPS 3.13 reads as the text ${sops} and hush as the text ${written} (no tool writes it there): quote it`,
    );
    expect(scanYaml(text)).toBeUndefined();
  });

  it("a number Go prints as written, the typed fields, quoted text and timestamps are read as before", () => {
    for (const lines of [
      "    kms:\n        - arn: a\n          context:\n              team: 1\n",
      "    shamir_threshold: 2\n",
      "    mac_only_encrypted: true\n",
      // A lookalike of a typed field is the lookalike check's to refuse (metadata-lookalikes.test.ts).
      "    Mac_Only_Encrypted: true\n",
      '    encrypted_regex: "true"\n',
      "    azure_kv:\n        - version: '0x10'\n",
      "    pgp:\n        - fp: 1.5\n",
      "    lastmodified_note: 2025-01-01\n",
    ]) {
      expect(() => yamlStore.parse(block(lines)), lines).not.toThrow();
    }
  });
});
