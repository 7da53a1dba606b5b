import { describe, expect, it } from "vitest";
import { encryptText } from "@hush/core";
import { dataKey, decYaml as dec, encYaml as enc, ivSource, noKeys, now, wrappedKeys, yamlReading as reading } from "../store-harness.ts";

/**
 * `<<` is an ordinary key for SOPS and hush, and a merge for the readers of hush's output. go-yaml
 * v2 (Helm, kubectl and Flux through sigs.k8s.io/yaml) and Ruby's Psych merge a `<<` where it
 * stands, over the keys written before it; go-yaml v3, PyYAML and the `yaml` package keep the keys
 * written. A null or an empty collection adds nothing to the MAC, so a branch could add
 * `<<: {password: }` after a password's envelope and null it for Helm.
 */
describe("YAML merge keys that readers merge over a key written before them", () => {
  it("refuses a plaintext where a merge would replace an earlier key for some readers, naming the key path and lines", async () => {
    expect(await reading("db:\n  password: x\n  <<: {password: }\n")).toBe(
      'PARSE_FAILED: the merge key << at line 3 merges ["db"]["password"], which the mapping sets before it (line 2): go-yaml v2 (Helm, kubectl) and Ruby read the merged value there, PyYAML, go-yaml v3 and SOPS the one written; put the << line first in its mapping',
    );
    // Through an alias, a list of maps, a quoted << (Ruby merges it too) and a nested merge.
    expect(await reading("base: &b {password: x}\ndb:\n  password: y\n  <<: *b\n")).toMatch(/^PARSE_FAILED: the merge key << at line 4 merges \["db"\]\["password"\], which the mapping sets before it \(line 3\)/);
    expect(await reading("db:\n  password: y\n  <<: [{a: 1}, {password: }]\n")).toMatch(/^PARSE_FAILED: the merge key << at line 3 merges \["db"\]\["password"\]/);
    expect(await reading("db:\n  password: y\n  '<<': {password: }\n")).toMatch(/^PARSE_FAILED: the merge key << at line 3 merges \["db"\]\["password"\]/);
    expect(await reading("db:\n  password: y\n  <<: {<<: {password: }}\n")).toMatch(/^PARSE_FAILED: the merge key << at line 3 merges \["db"\]\["password"\]/);
    expect(await reading("data:\n  password: y\n<<:\n  data:\n")).toMatch(/^PARSE_FAILED: the merge key << at line 3 merges \["data"\], which the mapping sets before it \(line 1\)/);
    // A merged key that YAML 1.1 readers read as the one written (both false).
    expect(await reading("regions:\n  NO: x\n  <<: {no: }\n")).toMatch(/^PARSE_FAILED: the merge key << at line 3 merges \["regions"\]\["NO"\], which the mapping sets before it \(line 2\)/);
  });

  it("keeps merges that every reader reads alike: a merge first, keys it does not set, keys written after it", async () => {
    for (const text of ["base: &b {password: x, user: u}\ndb:\n  <<: *b\n  password: y\n", "db:\n  password: y\n  <<: {user: u}\n", "db:\n  <<: [{a: 1}, {a: 2}]\n", "db:\n  <<:\n", "db:\n  <<: x\n  a: 1\n", '"<<<": {a: 1}\na: 2\n']) {
      expect(await reading(text), text).toBe("ok");
    }
    const plain = "base: &b\n  user: u\ndb:\n  <<: *b\n  password: pw\n";
    const encrypted = await enc(plain);
    expect(await dec(encrypted)).toBe("base: &b\n  user: u\ndb:\n  <<:\n    user: u\n  password: pw\n");
  });

  it("refuses a merge a branch added after an envelope as tampering (exit 25's code), on every reading path", async () => {
    const encrypted = await enc("db:\n  password: hunter2\n  user: admin\n");
    const branch = encrypted.replace(/^( {2}user: ENC\[[^\n]*\n)/m, "$1  <<: {password: }\n");
    expect(branch).not.toBe(encrypted);
    const message = 'VALUE_TAMPERED: the merge key << at line 4 merges ["db"]["password"], which the mapping sets before it (line 2): go-yaml v2 (Helm, kubectl) and Ruby read the merged value there, PyYAML, go-yaml v3 and SOPS the one written, and no MAC covers merge keys';
    expect(await reading(branch)).toBe(message);
    for (const generalParser of [false, true]) await expect(dec(branch, generalParser)).rejects.toMatchObject({ code: "VALUE_TAMPERED", message: message.slice("VALUE_TAMPERED: ".length) });
    // An empty string adds nothing to the MAC either.
    await expect(dec(encrypted.replace(/^( {2}user: ENC\[[^\n]*\n)/m, `$1  <<: {password: ""}\n`))).rejects.toMatchObject({ code: "VALUE_TAMPERED" });
    // In block style too, quoted (which the span scanner reads as a key like any other).
    const block = encrypted.replace(/^( {2}user: ENC\[[^\n]*\n)/m, `$1  "<<":\n    password:\n`);
    await expect(dec(block)).rejects.toMatchObject({ code: "VALUE_TAMPERED" });
  });

  it("an encrypted file whose merge brings in values the MAC covers over earlier keys was written so by its owner (SOPS writes it): it still decrypts", async () => {
    // SOPS encrypts such a plaintext as written; a rule leaves the merged values in clear, where
    // the key above them is in neither their AAD nor the MAC, so its spelling can be made `<<` here.
    const rule = { kind: "unencrypted_regex" as const, value: "^(base|<<)$" };
    const encrypted = await encryptText("prod:\n  replicas: 3\n  base:\n    replicas: 1\n", { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource, rule });
    const merged = encrypted.replace(/^ {2}base:$/m, "  <<:");
    expect(merged).not.toBe(encrypted);
    expect(await dec(merged)).toBe("prod:\n  replicas: 3\n  <<:\n    replicas: 1\n");
    // The same with a null, which a branch could have added, is refused.
    await expect(dec(merged.replace(/^ {4}replicas: 1$/m, "    replicas:"))).rejects.toMatchObject({ code: "VALUE_TAMPERED" });
  });
});

/**
 * SOPS reads its metadata with go-yaml v3, which merges a `<<` there into the metadata; hush read
 * `<<` as a field no tool reads. A branch could so hide a key group's entry (an `hc_vault`
 * address SOPS sends its token to) from `hush check`, the review and `hush access`.
 */
describe("a YAML merge key in the sops metadata", () => {
  it("is refused wherever it stands in the block, naming its line, on every reading path", async () => {
    const encrypted = await enc("a: x\n");
    const extra = "    <<:\n        hc_vault:\n            - vault_address: https://vault.attacker.example\n              engine_path: transit\n              key_name: k\n              created_at: \"2025-01-02T03:04:05Z\"\n              enc: vault:v1:x\n";
    const branch = encrypted.replace(/^sops:\n/m, `sops:\n${extra}`);
    expect(branch).not.toBe(encrypted);
    const message = "invalid sops metadata: a merge key << at line 3, which SOPS's YAML reader merges into the metadata and hush does not (an entry there would reach SOPS unseen): remove it";
    expect(await reading(branch)).toBe(`METADATA_INVALID: ${message}`);
    for (const generalParser of [false, true]) await expect(dec(branch, generalParser)).rejects.toMatchObject({ code: "METADATA_INVALID", message });
    // Deeper in the block, and quoted, too.
    const nested = encrypted.replace(/^( {10}recipient: [^\n]*\n)/m, `$1          "<<": {recipient: other}\n`);
    expect(nested).not.toBe(encrypted);
    expect(await reading(nested)).toMatch(/^METADATA_INVALID: invalid sops metadata: a merge key << at line \d+/);
  });
});
