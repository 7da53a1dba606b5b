import { describe, expect, it } from "vitest";
import { decryptText, encryptText, isHushError, type FileFormat } from "@hush/core";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * With `mac_only_encrypted: true` (Kubernetes secrets kept with `encrypted_regex:
 * ^(data|stringData)$`, their other fields editable), the MAC covers the encrypted values alone:
 * a value in clear is as open to a branch without the key as an empty one. The checks on what
 * such a branch could add weigh it so. `StringData` escapes the case-sensitive rule, so a branch
 * could add it in clear after the encrypted `stringData`, and Go's readers (encoding/json,
 * viper, sigs.k8s.io/yaml) would take its password for the secret.
 */

const RULE = { kind: "encrypted_regex", value: "^(data|stringData)$" } as const;
const encrypt = (text: string, format: FileFormat, macOnlyEncrypted: boolean): Promise<string> =>
  encryptText(text, { format, rule: RULE, macOnlyEncrypted, keySources: noKeys, wrappedKeys, dataKey, now, ivSource });

async function outcome(text: string, format: FileFormat): Promise<string> {
  try {
    await decryptText(text, { format, keySources: noKeys, dataKey });
    return "decrypted";
  } catch (err) {
    if (!isHushError(err)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

const CASES: ReadonlyArray<{ format: FileFormat; plain: string; add: (encrypted: string) => string; refusal: RegExp }> = [
  {
    format: "yaml",
    plain: "kind: Secret\nstringData:\n    password: hunter2\n",
    add: (t) => t.replace("\nsops:", "\nStringData:\n    password: attacker\nsops:"),
    refusal: /^PARSE_FAILED: invalid YAML: the keys \["stringData"\] \(line 2\) and \["StringData"\] differ only in case: .*the one outside the MAC \(empty, or in clear where the MAC covers only encrypted values\).* at line 4$/,
  },
  {
    format: "json",
    plain: '{"kind": "Secret", "stringData": {"password": "hunter2"}}\n',
    add: (t) => t.replace('"sops":', '"StringData": {"password": "attacker"},\n\t"sops":'),
    refusal: /^PARSE_FAILED: invalid JSON: the keys \["stringData"\] \(line \d+\) and \["StringData"\] differ only in case/,
  },
  {
    format: "toml",
    plain: '[stringData]\npassword = "hunter2"\n',
    add: (t) => t.replace("\n[sops]", '\n[StringData]\npassword = "attacker"\n\n[sops]'),
    refusal: /^PARSE_FAILED: invalid TOML: the keys \["stringData"\] \(line 1\) and \["StringData"\] differ only in case/,
  },
  {
    format: "ini",
    plain: "[stringData]\npassword = hunter2\n",
    add: (t) => t.replace("\n[sops]", "\n[StringData]\npassword = attacker\n\n[sops]"),
    refusal: /^PARSE_FAILED: invalid INI: the keys \["stringData"\] \(line 1\) and \["StringData"\] differ only in case/,
  },
];

describe("mac_only_encrypted: a value in clear counts as nothing the MAC covers", () => {
  it.each(CASES)("$format: a branch's `StringData` in clear after the encrypted `stringData` is refused", async ({ format, plain, add, refusal }) => {
    const encrypted = await encrypt(plain, format, true);
    expect(encrypted).toMatch(/mac_only_encrypted/);
    const branch = add(encrypted);
    expect(branch).not.toBe(encrypted);
    expect(await outcome(branch, format)).toMatch(refusal);
  });

  it.each(CASES)("$format: without mac_only_encrypted the value added is in the MAC, which fails", async ({ format, plain, add }) => {
    expect(await outcome(add(await encrypt(plain, format, false)), format)).toMatch(/^MAC_MISMATCH/);
  });

  it.each([
    { format: "yaml", plain: "stringData:\n    password: hunter2\nStringData:\n    password: clear-7f3a\n" },
    { format: "json", plain: '{"stringData": {"password": "hunter2"}, "StringData": {"password": "clear-7f3a"}}\n' },
    { format: "toml", plain: '[stringData]\npassword = "hunter2"\n\n[StringData]\npassword = "clear-7f3a"\n' },
    { format: "ini", plain: "[stringData]\npassword = hunter2\n\n[StringData]\npassword = clear-7f3a\n" },
  ] as const)("$format: encrypting such a pair says which keys hush would refuse, not only that the file would not read back", async ({ format, plain }) => {
    // The plaintext read cannot know that the rule leaves `StringData` outside the MAC; the read back does.
    const refused = await encrypt(plain, format, true).then(
      () => "written",
      (err: unknown) => (isHushError(err) ? `${err.code}: ${err.message}` : String(err)),
    );
    expect(refused).toMatch(/^ENCRYPT_FAILED: the encrypted file would not read back \(invalid [A-Z]+: the keys \["stringData"\] \(line \d+\) and \["StringData"\] differ only in case: .*, in the encrypted text\); nothing was written$/);
    expect(refused).not.toMatch(/hunter2|clear-7f3a/);
  });

  it.each([
    { format: "yaml", plain: "Accept: text/plain\naccept: json\npassword: hunter2\n" },
    { format: "json", plain: '{"Accept": "text/plain", "accept": "json", "password": "hunter2"}\n' },
    { format: "toml", plain: 'Accept = "text/plain"\naccept = "json"\npassword = "hunter2"\n' },
    { format: "ini", plain: "[http]\nAccept = text/plain\naccept = json\npassword = hunter2\n" },
  ] as const)("$format: two keys in clear that differ only in case, as SOPS writes them, still encrypt and decrypt (anyone could change either already)", async ({ format, plain }) => {
    const rule = { kind: "encrypted_regex", value: "^password$" } as const;
    const encrypted = await encryptText(plain, { format, rule, macOnlyEncrypted: true, keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
    expect(encrypted).toMatch(/mac_only_encrypted/);
    expect(await decryptText(encrypted, { format, keySources: noKeys, dataKey })).toBe(plain);
  });

  it("yaml: a branch's merge in clear over a key written before it is refused (go-yaml v2 merges it over the key)", async () => {
    const rule = { kind: "encrypted_regex", value: "^password$" } as const;
    const enc = (text: string): Promise<string> => encryptText(text, { format: "yaml", rule, macOnlyEncrypted: true, keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
    // `Password` escapes the case-sensitive rule: its value and the merge's are outside the MAC.
    const encrypted = await enc("db:\n    Password: x\n    host: db.local\n");
    const branch = encrypted.replace("    host: db.local\n", "    host: db.local\n    <<: {Password: attacker}\n");
    expect(await outcome(branch, "yaml")).toMatch(/^VALUE_TAMPERED: .*<</);
    expect(await outcome(encrypted, "yaml")).toBe("decrypted");
  });
});
