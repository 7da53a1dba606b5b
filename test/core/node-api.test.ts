import { readFileSync, writeFileSync } from "node:fs";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { decryptFile, encryptForPath, encryptText, isHushError, openFile, openText, readMetadata, resolveCreation, parseSopsConfig, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { changedLines, keyedDir, nextSecond } from "../workflows/helpers.ts";

/** The Node API: a program encrypts per .sops.yaml, sets one value, decrypts, without the CLI. */

const k = keyedDir();
afterAll(() => k.cleanup());
const age = new AgeKeySource({ identities: parseAgeIdentities(k.keyText) });
const keySources: KeySourceResolver = async (kind) => (kind === "age" ? age : undefined);

describe("Node API", () => {
  it("encrypts a new file per .sops.yaml, sets one value with a three-line diff, and the CLI decrypts it", async () => {
    writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${k.recipient}\n    encrypted_regex: ^(password|token)$\n`);
    const file = k.path("app.yaml");
    const plain = "# app settings\nhost: db.local\npassword: hunter2\ntoken: abc\n";
    writeFileSync(file, await encryptForPath(plain, file, { keySources }));
    const before = readFileSync(file, "utf8");
    expect(before).toContain("host: db.local");
    expect(before).not.toContain("hunter2");
    expect((await readMetadata(before, "yaml"))?.keyGroups[0]?.[0]).toMatchObject({ kind: "age", recipient: k.recipient });

    await nextSecond();
    const doc = await openFile(file, { keySources });
    const result = await doc.set(["password"], { kind: "scalar", value: { type: "str", text: "correct horse" } });
    expect(result).toEqual(expect.objectContaining({ changed: true, reformatted: false }));
    writeFileSync(file, await doc.toText());
    const after = readFileSync(file, "utf8");
    expect(changedLines(before, after)).toHaveLength(3);

    expect(await decryptFile(file, { keySources })).toBe(plain.replace("hunter2", "correct horse"));
    const r = k.hush(["decrypt", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(plain.replace("hunter2", "correct horse"));
  });

  it("creation rules: keys given replace the rule's groups; a threshold given wins; no matching rule is an error", async () => {
    const config = await parseSopsConfig(`creation_rules:\n  - path_regex: ^prod/\n    key_groups:\n      - age: [${k.recipient}]\n      - age: [${k.recipient}]\n    shamir_threshold: 2\n    mac_only_encrypted: true\n`);
    const fromRule = await resolveCreation(config, "prod/a.yaml");
    expect(fromRule.keyGroups).toHaveLength(2);
    expect(fromRule.shamirThreshold).toBe(2);
    expect(fromRule.macOnlyEncrypted).toBe(true);
    const overridden = await resolveCreation(config, "prod/a.yaml", { keys: [{ kind: "age", recipient: k.recipient }], shamirThreshold: 1, rule: { kind: "encrypted_suffix", value: "_secret" } });
    expect(overridden.keyGroups).toEqual([[{ kind: "age", recipient: k.recipient }]]);
    expect(overridden.shamirThreshold).toBe(0);
    expect(overridden.rule).toEqual({ kind: "encrypted_suffix", value: "_secret" });
    const err = await resolveCreation(config, "dev/a.yaml").catch((e: unknown) => e);
    expect(isHushError(err, "CONFIG_NO_MATCH")).toBe(true);
    const none = await resolveCreation(undefined, "a.yaml").catch((e: unknown) => e);
    expect(isHushError(none, "CONFIG_NO_MATCH")).toBe(true);
  });

  it("an opened file or document logged while debugging shows its values but never its data key, which opens every later version", async () => {
    const file = k.path("logged.yaml");
    writeFileSync(file, await encryptText("password: hunter2\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }]] }));
    const doc = await openFile(file, { keySources });
    const opened = await openText(readFileSync(file, "utf8"), { format: "yaml", keySources });
    const key = [...opened.dataKey];
    expect(key).toHaveLength(32);
    // The key's bytes as inspect prints a Uint8Array (decimal, comma-separated) and as JSON.stringify does.
    const asJson = JSON.stringify(Object.fromEntries(key.map((byte, i) => [String(i), byte])));
    for (const shown of [inspect(doc, { depth: 10 }), inspect(opened, { depth: 10 }), JSON.stringify(doc), JSON.stringify(opened), `${inspect(opened.dataKey)}`]) {
      expect(shown).toContain("[data key: 32 bytes, not shown]");
      expect(shown).not.toContain("Uint8Array");
      expect(shown).not.toContain(asJson.slice(1, -1));
      expect(shown.replace(/\s+/g, "")).not.toContain(key.slice(0, 8).join(","));
    }
    expect(inspect(doc, { depth: 10 })).toContain("hunter2");
    // The concealed key still opens and writes the file.
    await doc.set(["password"], { kind: "scalar", value: { type: "str", text: "correct horse" } });
    writeFileSync(file, await doc.toText());
    expect(await decryptFile(file, { keySources })).toBe("password: correct horse\n");
    expect(Buffer.from(opened.dataKey).equals(Buffer.from((await openText(readFileSync(file, "utf8"), { format: "yaml", keySources })).dataKey))).toBe(true);
  });
});
