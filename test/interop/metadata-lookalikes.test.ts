/**
 * A `sops` field spelled like one SOPS reads but not the same (`AGE`, `"Recipient"`): real SOPS
 * takes it for that field (3.9.2 here reads JSON metadata with encoding/json and dotenv metadata
 * through a JSON round trip, both matching names regardless of case, the later field winning;
 * 3.13 does the same for every format through mapstructure when the exact name is absent), while
 * hush reads exact names. A branch without a key could so give SOPS a recipient that hush's review,
 * `hush access` and `hush check` never show, and the next `sops rotate` would wrap the new data
 * key to it. Each case first shows that real SOPS reads the lookalike (it opens a file whose only
 * working key entry is under the lookalike name, or gets as far as the MAC), then that hush
 * refuses it. The same goes for a JSON member named like `sops` beside the real one.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsDecrypt } from "@hush/testkit";
import { checkErrorLines, hush, hushEncrypted, makeAgeKey, type AgeKey } from "../keys/helpers.ts";

let tmp: { path: string; cleanup: () => void };
let alice: AgeKey;
let mallory: AgeKey;

beforeAll(async () => {
  tmp = makeTempDir("hush-lookalike-");
  alice = await makeAgeKey(tmp.path, "alice");
  mallory = await makeAgeKey(tmp.path, "mallory");
});

afterAll(() => tmp?.cleanup());

const encrypted = (name: string, plaintext: string): Promise<string> => hushEncrypted(tmp.path, name, plaintext, alice.recipient);

/** hush check (keyless) on `text` written as `name`: the error lines of its report. */
async function checkLines(name: string, text: string): Promise<string[]> {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  const r = await hush(["check", name], { cwd: tmp.path });
  expect(r.status, r.stdout + r.stderr).toBe(1);
  return checkErrorLines(r.stdout, name);
}

describe.concurrent("metadata fields spelled like SOPS's", () => {
  it("JSON: an `AGE` list after `age` is the list SOPS reads; hush check refuses it", async () => {
    const json = JSON.parse(await encrypted("a.json", '{"password": "lookalike-secret-1"}\n')) as { sops: Record<string, unknown> };
    const [entry] = json.sops["age"] as Array<{ recipient: string; enc: string }>;
    // `age` now names mallory with a wrapped key that opens nothing; `AGE` holds alice's real entry.
    const hidden = { ...json, sops: { ...json.sops, age: [{ recipient: mallory.recipient, enc: entry!.enc }], AGE: [entry] } };
    const text = `${JSON.stringify(hidden, null, 4)}\n`;
    const sops = await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(sops).toMatchObject({ ok: true, plaintext: expect.stringContaining("lookalike-secret-1") as unknown });

    const lines = await checkLines("a.enc.json", text);
    writeFileSync(join(tmp.path, "a.enc.json"), text);
    expect(lines).toEqual([expect.stringContaining("sops.AGE, which SOPS reads as `age` and hush does not") as unknown]);
    expect(lines[0]).toContain("[metadata-lookalike-field]");
    expect(lines[0]).not.toContain("lookalike-secret-1");
    // The auditor's view lists mallory (the only recipient hush reads here) and says SOPS reads another list.
    const access = await hush(["access", "--json", "a.enc.json"], { cwd: tmp.path });
    expect(access.status, access.stderr).toBe(0);
    expect((JSON.parse(access.stdout) as { files: Array<{ readDifferently: unknown }> }).files[0]!.readDifferently).toEqual([{ where: "sops.AGE", readsAs: "age" }]);
    const accessText = await hush(["access", "a.enc.json"], { cwd: tmp.path });
    expect(accessText.stdout).toContain("a.enc.json: SOPS reads sops.AGE as age and hush does not: SOPS may use recipients not shown here");
  });

  it("JSON: an entry's `ENC` after its `enc` is the wrapped key SOPS opens; hush check refuses it", async () => {
    const json = JSON.parse(await encrypted("b.json", '{"password": "lookalike-secret-2"}\n')) as { sops: Record<string, unknown> };
    const [entry] = json.sops["age"] as Array<{ recipient: string; enc: string }>;
    const other = JSON.parse(await encrypted("b2.json", '{"x": "y"}\n')) as { sops: { age: Array<{ enc: string }> } };
    // `enc` is a wrapped key of another file (it opens, to the wrong data key); `ENC` the right one.
    const hidden = { ...json, sops: { ...json.sops, age: [{ recipient: entry!.recipient, enc: other.sops.age[0]!.enc, ENC: entry!.enc }] } };
    const text = `${JSON.stringify(hidden, null, 4)}\n`;
    expect(await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: true, plaintext: expect.stringContaining("lookalike-secret-2") as unknown });

    const lines = await checkLines("b.enc.json", text);
    expect(lines).toEqual([expect.stringContaining("sops.age[0].ENC, which SOPS reads as `enc`") as unknown]);
  });

  it("JSON: a `SOPS` member after `sops` is read over SOPS's metadata; every hush command refuses the file", async () => {
    const json = JSON.parse(await encrypted("e.json", '{"password": "lookalike-secret-5"}\n')) as { sops: Record<string, unknown> };
    const [entry] = json.sops["age"] as Array<{ recipient: string; enc: string }>;
    // `sops` opens nothing (its wrapped key is altered); the appended `SOPS` holds the real one
    // and mallory. SOPS gets as far as the MAC, which only the appended member's key lets it reach
    // (encoding/json decodes the later member over the first: a field it sets replaces the first one's).
    const broken = entry!.enc.replace(/[A-Za-z](?=[^\n]*\n-----END)/, (c) => (c === "A" ? "B" : "A"));
    const sops = { ...json.sops, age: [{ recipient: entry!.recipient, enc: broken }] };
    const appended = { ...json.sops, age: [entry, { recipient: mallory.recipient, enc: entry!.enc }] };
    const password = (json as unknown as { password: string }).password;
    const withBoth = (extra: Record<string, unknown>): string => `${JSON.stringify({ password, sops, ...extra }, null, 4)}\n`;
    expect(await sopsDecrypt({ text: withBoth({}), format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: false, error: expect.stringMatching(/Error getting data key/) as unknown });
    const text = withBoth({ SOPS: appended });
    expect(await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: false, error: expect.stringMatching(/^Failed to verify data integrity|Could not decrypt value/) as unknown });

    expect(await checkLines("e.enc.json", text)).toEqual([expect.stringContaining('the top-level key ["SOPS"] at line') as unknown]);
    const decrypt = await hush(["decrypt", join(tmp.path, "e.enc.json")], { env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(decrypt.status).toBe(2);
    expect(decrypt.stderr).toContain("is read by SOPS (before 3.13) as part of the file's sops metadata");
  });

  it("JSON: a `SOPS` member before `sops` adds the key lists `sops` lacks; every hush command refuses the file, and hush encrypt such a plaintext", async () => {
    const json = JSON.parse(await encrypted("g.json", '{"password": "lookalike-secret-6"}\n')) as { sops: Record<string, unknown> };
    const [entry] = json.sops["age"] as Array<{ recipient: string; enc: string }>;
    // hush writes only the lists it uses: `sops` keeps its key in a key group, the flat lists
    // absent, and its wrapped key is altered (it opens nothing). The `SOPS` member before it
    // holds a flat `age` list with the real entry and mallory: encoding/json decodes it first,
    // and `sops` sets no flat list, so SOPS reads that list (flat lists win over key groups).
    const broken = entry!.enc.replace(/[A-Za-z](?=[^\n]*\n-----END)/, (c) => (c === "A" ? "B" : "A"));
    const { age: _age, ...rest } = json.sops;
    const sops = { ...rest, key_groups: [{ age: [{ recipient: entry!.recipient, enc: broken }] }] };
    const password = (json as unknown as { password: string }).password;
    const control = `${JSON.stringify({ password, sops }, null, 4)}\n`;
    expect(await sopsDecrypt({ text: control, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: false, error: expect.stringMatching(/Error getting data key/) as unknown });
    const text = `${JSON.stringify({ SOPS: { age: [entry, { recipient: mallory.recipient, enc: entry!.enc }] }, password, sops }, null, 4)}\n`;
    // Past the data key: SOPS used the entry of the member hush reads as data.
    expect(await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: false, error: expect.stringMatching(/^Failed to verify data integrity|Could not decrypt value/) as unknown });

    expect(await checkLines("g.enc.json", text)).toEqual([expect.stringContaining('the top-level key ["SOPS"] at line 2 is read by SOPS (before 3.13) as part of the file\'s sops metadata') as unknown]);
    const decrypt = await hush(["decrypt", join(tmp.path, "g.enc.json")], { env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(decrypt.status).toBe(2);
    expect(decrypt.stdout).toBe("");
    // A plaintext's own `SOPS` key would sit before the `sops` hush appends: SOPS before 3.13
    // would decode its (encrypted) fields into the metadata, or fail on a value that is no object.
    writeFileSync(join(tmp.path, "f.json"), '{"SOPS": {"user": "x"}, "password": "p"}\n');
    const own = await hush(["encrypt", "--age", alice.recipient, join(tmp.path, "f.json")]);
    expect(own.status, own.stderr).toBe(2);
    expect(own.stderr).toContain('the top-level key ["SOPS"] at line 1 is read by SOPS (before 3.13) as part of the file\'s sops metadata; remove it');
    expect(own.stdout).toBe("");
  });

  it("dotenv: `sops_AGE__…` alone is SOPS's age list; hush refuses the file and names the field", async () => {
    const text = (await encrypted("c.env", "PASSWORD=lookalike-secret-3\n")).replaceAll("sops_age__list_0__map_recipient=", "sops_Age__list_0__map_Recipient=").replaceAll("sops_age__list_0__map_enc=", "sops_Age__list_0__map_enc=");
    expect(text).toContain("sops_Age__list_0__map_enc=");
    expect(await sopsDecrypt({ text, format: "dotenv", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: true, plaintext: "PASSWORD=lookalike-secret-3\n" });

    const lines = await checkLines("c.enc.env", text);
    expect(lines).toEqual([expect.stringContaining("no keys found in file: sops.Age is not spelled age") as unknown]);
    const path = join(tmp.path, "c.enc.env");
    const decrypt = await hush(["decrypt", path], { env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(decrypt.status).not.toBe(0);
    expect(decrypt.stderr).toContain("sops.Age is not spelled age");
    expect(decrypt.stdout).toBe("");
  });

  it("YAML (read so by SOPS 3.13): a `Key_Groups` or an `ſhamir_threshold` is refused, an unknown field stays a warning", async () => {
    const yaml = await encrypted("d.yaml", "password: lookalike-secret-4\n");
    const withLine = (line: string): string => yaml.replace("\nsops:\n", `\nsops:\n${line}`);
    expect(await checkLines("d1.enc.yaml", withLine(`    Key_Groups:\n        - AGE:\n            - recipient: ${mallory.recipient}\n              enc: x\n`))).toEqual([
      expect.stringContaining("sops.Key_Groups, which SOPS reads as `key_groups`") as unknown,
    ]);
    expect(await checkLines("d2.enc.yaml", withLine(`    ſhamir_threshold: 1\n`))).toEqual([expect.stringContaining("which SOPS reads as `shamir_threshold`") as unknown]);
    writeFileSync(join(tmp.path, "d3.enc.yaml"), withLine("    notes: hello\n"));
    const unknown = await hush(["check", "d3.enc.yaml"], { cwd: tmp.path });
    expect(unknown.status, unknown.stdout).toBe(0);
    expect(unknown.stdout).toContain("[unknown-metadata-field]");
  });

  it("a key_groups that is not a list of groups beside the flat lists: SOPS refuses the file, and so does hush", async () => {
    const json = JSON.parse(await encrypted("e.json", '{"password": "lookalike-secret-5"}\n')) as { sops: Record<string, unknown> };
    for (const [name, groups] of [["e1", "not-a-list"], ["e2", ["not-a-group"]], ["e3", 3]] as const) {
      const text = `${JSON.stringify({ ...json, sops: { ...json.sops, key_groups: groups } }, null, 4)}\n`;
      const sops = await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(sops.ok, name).toBe(false);
      const path = join(tmp.path, `${name}.enc.json`);
      writeFileSync(path, text);
      const decrypt = await hush(["decrypt", path], { env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(decrypt.status, name).not.toBe(0);
      expect(decrypt.stderr, name).toMatch(/invalid sops metadata: key_groups(\[0\])? is not a (list|map)/);
      expect(decrypt.stdout).toBe("");
    }
    // null, an empty list and a list of groups are read by SOPS (and ignored beside the flat lists).
    for (const groups of [null, [], [{ age: [] }]]) {
      const text = `${JSON.stringify({ ...json, sops: { ...json.sops, key_groups: groups } }, null, 4)}\n`;
      expect(await sopsDecrypt({ text, format: "json", env: { SOPS_AGE_KEY_FILE: alice.file } })).toMatchObject({ ok: true });
      const path = join(tmp.path, "e4.enc.json");
      writeFileSync(path, text);
      const decrypt = await hush(["decrypt", path], { env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(decrypt.stdout, decrypt.stderr).toContain("lookalike-secret-5");
    }
  });
});
