import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHushError, openText, type FileFormat, type KeySource, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, parseAgeIdentities } from "@hush/key-source-age";
import { makeTempDir } from "@hush/testkit";
import { ageRecipientsIn, combineKeys, encValues, encryptForAge, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * Removing a recipient gives a file a new data key (updatekeys, groups delete; rotate always
 * does): the removed party may have kept the old data key, and with it they must not open the
 * new file. `--keep-data-key` keeps SOPS's behaviour. And the documented rollover from one age
 * key to another: add the new key, check both open every file, remove the old one.
 */

const tmp = makeTempDir("hush-rollover-");
let OLD: AgeKey;
let NEW: AgeKey;
let BOB: AgeKey;

function keysOf(...keys: AgeKey[]): KeySourceResolver {
  const source = new AgeKeySource({ identities: parseAgeIdentities(keys.map((k) => readFileSync(k.file, "utf8")).join("")) });
  return async (kind): Promise<KeySource | undefined> => (kind === "age" ? source : undefined);
}
const noKeys: KeySourceResolver = async () => undefined;

/** The data key of a file, as someone holding `keys` can take it out. */
async function dataKeyOf(text: string, format: FileFormat, ...keys: AgeKey[]): Promise<Uint8Array> {
  return Uint8Array.from((await openText(text, { format, keySources: keysOf(...keys) })).dataKey);
}

/** What opening `text` with `dataKey` (and no key source) fails with, or "opened". */
async function openWithDataKey(text: string, format: FileFormat, dataKey: Uint8Array, ignoreMac = false): Promise<string> {
  try {
    await openText(text, { format, keySources: noKeys, dataKey, ignoreMac });
    return "opened";
  } catch (err) {
    return isHushError(err) ? err.code : String(err);
  }
}

beforeAll(async () => {
  [OLD, NEW, BOB] = await Promise.all([makeAgeKey(tmp.path, "old"), makeAgeKey(tmp.path, "new"), makeAgeKey(tmp.path, "bob")]);
});
afterAll(() => tmp.cleanup());

const plain = "db:\n    password: s3cret\n    port: 5432\napi_key: k-1\n";

describe("removing a recipient makes a new data key", () => {
  it("updatekeys: every value re-encrypted; the removed key cannot open the new file, not even with the old data key", async () => {
    const dir = join(tmp.path, "updatekeys");
    const file = join(dir, "app.yaml");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${OLD.recipient},${BOB.recipient}\n`);
    const before = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: OLD.recipient }, { kind: "age", recipient: BOB.recipient }]]);
    writeFileSync(file, before);
    const bobsCopy = await dataKeyOf(before, "yaml", BOB);

    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${OLD.recipient}\n`);
    const r = await hush(["updatekeys", "-y", "app.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: OLD.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`--- age ${BOB.recipient}\nnew data key: a recipient is removed and may hold the old one, so every value is re-encrypted (--keep-data-key keeps it, as SOPS does)\n`);
    expect(r.stdout).toContain("updated: app.yaml (0 key(s) added, 1 removed in 1 group(s), new data key)");

    const after = readFileSync(file, "utf8");
    expect(ageRecipientsIn(after)).toEqual([OLD.recipient]);
    const [oldValues, newValues] = [encValues(before), encValues(after)];
    expect(newValues.length).toBe(oldValues.length);
    for (const v of newValues) expect(oldValues).not.toContain(v);
    expect((await openText(after, { format: "yaml", keySources: keysOf(OLD) })).plaintext).toBe(plain);
    await expect(openText(after, { format: "yaml", keySources: keysOf(BOB) })).rejects.toMatchObject({ code: "NO_MATCHING_KEY" });
    // Bob kept the old data key: it opens neither the MAC nor any value of the new file.
    expect(await openWithDataKey(after, "yaml", bobsCopy)).toMatch(/^(MAC_MISMATCH|VALUE_TAMPERED)$/);
    expect(await openWithDataKey(after, "yaml", bobsCopy, true)).toBe("VALUE_TAMPERED");
    expect(await openWithDataKey(before, "yaml", bobsCopy)).toBe("opened");
  });

  it("updatekeys --keep-data-key keeps SOPS's behaviour: the old data key still opens the file", async () => {
    const dir = join(tmp.path, "keep");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${OLD.recipient}\n`);
    const before = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: OLD.recipient }, { kind: "age", recipient: BOB.recipient }]]);
    writeFileSync(join(dir, "app.yaml"), before);
    const bobsCopy = await dataKeyOf(before, "yaml", BOB);
    const r = await hush(["updatekeys", "-y", "--keep-data-key", "app.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: OLD.file } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("new data key");
    const after = readFileSync(join(dir, "app.yaml"), "utf8");
    expect(ageRecipientsIn(after)).toEqual([OLD.recipient]);
    expect(encValues(after)).toEqual(encValues(before));
    expect(await openWithDataKey(after, "yaml", bobsCopy)).toBe("opened");
  });

  it("groups delete: the deleted group's members cannot open the new file with the old data key", async () => {
    const dir = join(tmp.path, "groups");
    mkdirSync(dir);
    const before = await encryptForAge(plain, "yaml", [[{ kind: "age", recipient: OLD.recipient }], [{ kind: "age", recipient: BOB.recipient }], [{ kind: "age", recipient: NEW.recipient }]], 2);
    writeFileSync(join(dir, "app.yaml"), before);
    const oldKey = await dataKeyOf(before, "yaml", OLD, BOB);
    const both = combineKeys(tmp.path, "old-and-new", [OLD, NEW]);
    const r = await hush(["groups", "delete", "-f", "app.yaml", "-i", "1"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: both } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const after = readFileSync(join(dir, "app.yaml"), "utf8");
    expect(ageRecipientsIn(after)).toEqual([OLD.recipient, NEW.recipient]);
    expect((await openText(after, { format: "yaml", keySources: keysOf(OLD, NEW) })).plaintext).toBe(plain);
    expect(await openWithDataKey(after, "yaml", oldKey, true)).toBe("VALUE_TAMPERED");
  });
});

describe("rollover from one age key to another", () => {
  it("add the new key, check that each key alone opens every file, remove the old key; each step with a dry run first", async () => {
    const dir = join(tmp.path, "rollover");
    mkdirSync(dir);
    const names = ["a.yaml", "b.yaml", "c.yaml"];
    for (const n of names) writeFileSync(join(dir, n), await encryptForAge(plain.replace("k-1", n), "yaml", [[{ kind: "age", recipient: OLD.recipient }, { kind: "age", recipient: BOB.recipient }]]));
    const snapshot = (): string[] => names.map((n) => readFileSync(join(dir, n), "utf8"));
    const oldEnv = { SOPS_AGE_KEY_FILE: OLD.file };
    const newEnv = { SOPS_AGE_KEY_FILE: NEW.file };

    const start = snapshot();
    const dry = await hush(["rotate", "-i", "--dry-run", "--add-age", NEW.recipient, "."], { cwd: dir, env: oldEnv });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("rotate: 3 would rotate, 0 failed\n");
    expect(snapshot()).toEqual(start);
    const add = await hush(["rotate", "-i", "--add-age", NEW.recipient, "."], { cwd: dir, env: oldEnv });
    expect(add.status, add.stderr).toBe(0);

    // Each key on its own opens every file.
    for (const env of [oldEnv, newEnv]) {
      const v = await hush(["verify", "."], { cwd: dir, env });
      expect(v.status, v.stdout + v.stderr).toBe(0);
      expect(v.stdout).toContain("verify: 3 ok, 0 failed\n");
    }
    const access = await hush(["access", "--json", "."], { cwd: dir });
    expect(access.status, access.stderr).toBe(0);
    for (const f of JSON.parse(access.stdout).files as Array<{ groups: Array<Array<{ identity: string }>> }>) {
      expect(f.groups[0]!.map((r) => r.identity)).toEqual([OLD.recipient, BOB.recipient, NEW.recipient]);
    }

    const middle = snapshot();
    const oldKeys = await Promise.all(middle.map((t) => dataKeyOf(t, "yaml", OLD)));
    const dryRm = await hush(["rotate", "-i", "--dry-run", "--rm-age", OLD.recipient, "."], { cwd: dir, env: newEnv });
    expect(dryRm.status, dryRm.stderr).toBe(0);
    expect(snapshot()).toEqual(middle);
    const rm = await hush(["rotate", "-i", "--rm-age", OLD.recipient, "."], { cwd: dir, env: newEnv });
    expect(rm.status, rm.stderr).toBe(0);

    expect((await hush(["verify", "."], { cwd: dir, env: newEnv })).status).toBe(0);
    const withOld = await hush(["verify", "."], { cwd: dir, env: oldEnv });
    expect(withOld.status).not.toBe(0);
    expect(withOld.stdout).toContain("verify: 0 ok, 3 failed\n");
    const final = snapshot();
    for (const [i, text] of final.entries()) {
      expect(ageRecipientsIn(text)).toEqual([BOB.recipient, NEW.recipient]);
      expect(await openWithDataKey(text, "yaml", oldKeys[i]!, true)).toBe("VALUE_TAMPERED");
    }
  });
});
