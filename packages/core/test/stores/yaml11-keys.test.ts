import { describe, expect, it } from "vitest";
import { decYaml as dec, encYaml as enc, yamlReading as reading } from "../store-harness.ts";

/**
 * Keys that go-yaml v3 (SOPS) and hush read as two strings and YAML 1.1 readers (PyYAML, go-yaml
 * v2) as one key (`on` and `yes` are both true, `1:30` and `90` both 90): those keep the last
 * one's value, and a null under it adds nothing to the MAC.
 */
describe("YAML keys that YAML 1.1 readers read as one key", () => {
  it("refuses a plaintext with two such keys in a mapping, naming both and the fix", async () => {
    expect(await reading("db:\n  on: x\n  yes: y\n")).toBe(
      'PARSE_FAILED: the keys on (line 2) and yes (line 3) in the mapping at ["db"] are one key to YAML 1.1 readers (PyYAML, go-yaml v2), which keep only one of their values, while SOPS and hush read two keys: quote them ("on": …)',
    );
    // PyYAML's readings, then go-yaml v2's as sigs.k8s.io/yaml names them in JSON (a quoted key is its text).
    for (const text of ["n: 1\nOFF: 2\n", "a:\n  '1': 0\n  1:30: 1\n  90: 2\n", "017: 1\n0xf: 2\n", "~: 1\nnull: 2\n", "1.0: a\n1: b\n", "true: a\n1: b\n", "0o17: 1\n15: 2\n", '"1": a\n01: b\n', '01: a\n"1": b\n', '"true": a\nyes: b\n', "y: 1\nYes: 2\n"]) {
      expect(await reading(text), text).toMatch(/^PARSE_FAILED: the keys .* are one key to YAML 1\.1 readers/);
    }
  });

  it("keeps keys that every reader reads apart, or alike", async () => {
    for (const text of ['on: 1\n"yes": 2\n', "on: 1\n!!str yes: 2\n", "on: 1\noff: 2\n", "1e9: 1\n1000000000: 2\n", '"0o17": 1\n"15": 2\n', "a:\n  on: 1\nb:\n  yes: 2\n", "y: 1\nyy: 2\n"]) {
      expect(await reading(text), text).toBe("ok");
    }
  });

  it("refuses a twin a branch added with a null after an encrypted key as tampering (exit 25's code), on every reading path", async () => {
    const encrypted = await enc("regions:\n  NO: oslo-key\n  SE: stockholm-key\n");
    for (const twin of ["no:", "n: {}", "No: []", "OFF: ''"]) {
      const branch = encrypted.replace(/^( {2}SE: ENC\[[^\n]*\n)/m, `$1  ${twin}\n`);
      expect(branch).not.toBe(encrypted);
      const message = `VALUE_TAMPERED: the keys NO (line 2) and ${twin.replace(/:.*/, "")} (line 4) in the mapping at ["regions"] are one key to YAML 1.1 readers (PyYAML, go-yaml v2), which keep only one of their values, and one of them holds nothing the MAC covers; SOPS and hush read two keys, and no MAC covers a key's spelling`;
      expect(await reading(branch)).toBe(message);
      for (const generalParser of [false, true]) await expect(dec(branch, generalParser)).rejects.toMatchObject({ code: "VALUE_TAMPERED", message: message.slice("VALUE_TAMPERED: ".length) });
    }
    // sigs.k8s.io/yaml keeps either twin in no set order: a null before the encrypted key nulls it too.
    const before = encrypted.replace(/^( {2}NO: ENC)/m, `  "false":\n$1`);
    await expect(dec(before)).rejects.toMatchObject({ code: "VALUE_TAMPERED", message: expect.stringMatching(/^the keys false \(line 2\) and NO \(line 3\) in the mapping at \["regions"\]/) });
    // Twins whose values the MAC covers were written so by their owner (SOPS writes them): they still decrypt.
    const both = await enc('regions:\n  "NO": oslo-key\n  "no": other\n');
    expect(await dec(both.replace(/"(NO|no)"/g, "$1"))).toBe("regions:\n  NO: oslo-key\n  no: other\n");
  });
});
