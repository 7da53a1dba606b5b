import { beforeAll, describe, expect, it } from "vitest";
import { decryptText, encryptText, HushError, openText, reencryptText, type FileFormat, type KeySource, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities, type AgeKeyEntry } from "@hush/key-source-age";
import type { KmsKeyEntry } from "@hush/key-source-aws-kms";
import { mergeEncryptedTexts, renderDiffView, encryptedMarker } from "@hush/git";

let alice: { identity: string; recipient: string };
let bob: { identity: string; recipient: string };
let aliceKeys: KeySourceResolver;
let bobKeys: KeySourceResolver;
const noKeys: KeySourceResolver = async () => undefined;

function sourceFor(identity: string): KeySourceResolver {
  const source = new AgeKeySource({ identities: parseAgeIdentities(identity) });
  return async (kind) => (kind === "age" ? source : undefined);
}

beforeAll(async () => {
  alice = await generateAgeKeyPair();
  bob = await generateAgeKeyPair();
  aliceKeys = sourceFor(alice.identity);
  bobKeys = sourceFor(bob.identity);
});

async function encrypt(text: string, format: FileFormat, recipients: string[] = [alice.recipient]): Promise<string> {
  return encryptText(text, { format, keyGroups: [recipients.map((r) => ({ kind: "age" as const, recipient: r }))], keySources: aliceKeys });
}

/** A new version of an encrypted file, as `hush edit` writes it (same data key, reused ciphertext). */
async function edit(encrypted: string, plaintext: string, format: FileFormat): Promise<string> {
  const opened = await openText(encrypted, { format, keySources: aliceKeys });
  return reencryptText(opened, plaintext, { keySources: aliceKeys });
}

/** The armored body of a file's first age key entry. */
const armor = (text: string): string => /-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]*?-----END AGE ENCRYPTED FILE-----/.exec(text)![0];

const envs = (text: string): string[] => text.match(/ENC\[AES256_GCM,[^\]]+\]/g) ?? [];

describe("mergeEncryptedTexts", () => {
  it("YAML: merges different keys, reuses every unchanged ciphertext and writes a verifying MAC", async () => {
    const plain = "db:\n  user: app\n  password: s3cret-base\napi_key: key-base\nkeep: same\nold: gone-soon\n";
    const base = await encrypt(plain, "yaml");
    const ours = await edit(base, plain.replace("s3cret-base", "s3cret-ours") + "added_ours: o1\n", "yaml");
    const theirs = await edit(base, plain.replace("key-base", "key-theirs").replace("old: gone-soon\n", "") + "added_theirs: t1\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    const out = await decryptText(r.text, { format: "yaml", keySources: aliceKeys });
    expect(out).toBe("db:\n  user: app\n  password: s3cret-ours\napi_key: key-theirs\nkeep: same\nadded_theirs: t1\nadded_ours: o1\n");
    // Unchanged values keep base's ciphertext; merged-in values keep theirs' ciphertext.
    const baseEnvs = envs(base);
    const outEnvs = envs(r.text);
    const theirsEnvs = envs(theirs);
    expect(outEnvs).toContain(baseEnvs[0]); // user
    expect(outEnvs).toContain(baseEnvs[3]); // keep
    expect(outEnvs).toContain(theirsEnvs[2]); // api_key from theirs
    expect(r.text).not.toContain("s3cret");
  });

  it("JSON: merges and keeps the file valid JSON with a verifying MAC", async () => {
    const plain = '{\n  "a": "1",\n  "b": "2",\n  "c": "3"\n}\n';
    const base = await encrypt(plain, "json");
    const ours = await edit(base, '{\n  "a": "10",\n  "b": "2",\n  "c": "3",\n  "d": "4"\n}\n', "json");
    const theirs = await edit(base, '{\n  "a": "1",\n  "c": "3",\n  "e": "5"\n}\n', "json");
    const r = await mergeEncryptedTexts({ format: "json", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    expect(JSON.parse(await decryptText(r.text, { format: "json", keySources: aliceKeys }))).toEqual({ a: "10", c: "3", d: "4", e: "5" });
  });

  it("a real conflict leaves only ENC strings between markers and names the key path", async () => {
    const base = await encrypt("a: base-value\nb: other\n", "yaml");
    const ours = await edit(base, "a: ours-value\nb: other\n", "yaml");
    const theirs = await edit(base, "a: theirs-value\nb: other2\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys, labels: { ours: "HEAD", theirs: "branch" } });
    expect(r.status).toBe("conflict");
    if (r.status !== "conflict") return;
    expect(r.conflicts).toEqual([{ path: ["a"], kind: "both-changed" }]);
    for (const secret of ["base-value", "ours-value", "theirs-value", "other2"]) expect(r.text).not.toContain(secret);
    expect(r.text).toMatch(/^<<<<<<< HEAD\na: ENC\[AES256_GCM,[^\n]+\n\|\|\|\|\|\|\|\na: ENC\[[^\n]+\n=======\na: ENC\[[^\n]+\n>>>>>>> branch\nb: ENC\[/);
  });

  it("without a key it falls back to a line merge of the stored text and says why", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    const theirs = await edit(base, "a: 1\nb: 20\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: noKeys });
    expect(r.status).toBe("fallback");
    if (r.status !== "fallback") return;
    expect(r.reason).toMatch(/no key to decrypt it/);
    expect(r.text).toContain("<<<<<<<");
  });

  describe("a common ancestor that exists but cannot be read is no licence to keep what one side deleted", () => {
    const plain = "a: 1\nb: 2\nrevoked: old-token\n";
    // Ours deleted the revoked token and changed b; theirs kept both as they were.
    const sides = async (encryptedBase: string): Promise<{ ours: string; theirs: string }> => ({
      ours: await edit(encryptedBase, "a: 1\nb: 3\n", "yaml"),
      theirs: await edit(encryptedBase, plain, "yaml"),
    });

    it("one no key at hand opens: the token conflicts instead of coming back, and the note says so", async () => {
      const { ours, theirs } = await sides(await encrypt(plain, "yaml"));
      // A base under a data key of its own whose entry holds another file's key: nothing opens it.
      const unopened = await encrypt(plain, "yaml");
      const base = unopened.replace(armor(unopened), armor(await encrypt("x: 1\n", "yaml")));
      const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
      expect(r.status).toBe("conflict");
      if (r.status !== "conflict") return;
      expect(r.conflicts).toEqual([
        { path: ["b"], kind: "base-unread" },
        { path: ["revoked"], kind: "base-unread" },
      ]);
      expect(r.notes.join("\n")).toMatch(/the common ancestor could not be decrypted \(.*\); every key whose value differs between the sides, or that one side lacks, conflicts/);
    });

    it("one git made of conflicted merge bases (a criss-cross merge), markers and all: the same", async () => {
      const start = await encrypt(plain, "yaml");
      const { ours, theirs } = await sides(start);
      const conflicted = await mergeEncryptedTexts({ format: "yaml", base: start, ours: await edit(start, plain.replace("a: 1", "a: 10"), "yaml"), theirs: await edit(start, plain.replace("a: 1", "a: 20"), "yaml"), keySources: aliceKeys });
      expect(conflicted.status).toBe("conflict");
      const r = await mergeEncryptedTexts({ format: "yaml", base: conflicted.text, ours, theirs, keySources: aliceKeys });
      expect(r.status).toBe("conflict");
      if (r.status !== "conflict") return;
      expect(r.conflicts.map((c) => c.path)).toEqual([["b"], ["revoked"]]);
      expect(r.notes.join("\n")).toContain("the common ancestor is neither encrypted nor a yaml document");
    });
  });

  it("a fallback whose line merge of the ciphertext comes out clean still shows a conflict, of both whole sides", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    // Theirs swaps only the armored body of the key entry (another file's data key for the same
    // recipient): its changed lines are apart from ours' (values, lastmodified, MAC).
    const theirs = base.replace(armor(base), armor(await encrypt("x: 1\n", "yaml")));
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: noKeys, labels: { ours: "ours", base: "base", theirs: "theirs" } });
    expect(r.status).toBe("fallback");
    if (r.status !== "fallback") return;
    expect(r.text).toBe(`<<<<<<< ours\n${ours}||||||| base\n${base}=======\n${theirs}>>>>>>> theirs\n`);
  });

  /** Base, and a `theirs` that adds `entry` to base's recipients (same data key, no value changed), for bob. */
  async function withAddedEntry(entry: (dataKey: Uint8Array) => Promise<AgeKeyEntry>): Promise<{ base: string; theirs: string; entry: AgeKeyEntry; dataKey: Uint8Array }> {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const opened = await openText(base, { format: "yaml", keySources: aliceKeys });
    const added = await entry(opened.dataKey);
    const withBob = { ...opened, metadata: { ...opened.metadata, keyGroups: [[...opened.metadata.keyGroups[0]!, added]] } };
    return { base, theirs: await reencryptText(withBob, "a: 1\nb: 2\n", { keySources: aliceKeys }), entry: added, dataKey: opened.dataKey };
  }
  const wrapForBob = async (key: Uint8Array): Promise<AgeKeyEntry> => (await (await aliceKeys("age"))!.wrap(key, { kind: "age", recipient: bob.recipient })) as AgeKeyEntry;

  it("a recipient added on their side keeps the entry that side wrote, under the same data key: it reads the merge because its adder held the key", async () => {
    const { base, theirs, entry, dataKey } = await withAddedEntry(wrapForBob);
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    const notes = r.notes.join("\n");
    expect(notes).toContain(`recipients added by their side: age ${bob.recipient}`);
    expect(notes).toContain(`age ${bob.recipient}, added since the common ancestor, keeps the key entry its side wrote`);
    expect(notes).not.toMatch(/fresh data key/);
    expect(r.text).toContain(entry.enc.split("\n")[1]);
    expect(await decryptText(r.text, { format: "yaml", keySources: bobKeys })).toBe("a: 10\nb: 2\n");
    const merged = await openText(r.text, { format: "yaml", keySources: aliceKeys });
    expect(Buffer.from(merged.dataKey).equals(Buffer.from(dataKey))).toBe(true);
    expect(envs(r.text)[1]).toBe(envs(base)[1]);
  });

  it("a recipient added on a branch by someone without the key is not given it by the merge", async () => {
    // The outsider can only wrap a key of their own choosing to bob, not the file's data key.
    const { base, theirs, entry } = await withAddedEntry(async (key) => wrapForBob(new Uint8Array(key.length).fill(7)));
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    expect(r.text).toContain(entry.enc.split("\n")[1]);
    expect(await decryptText(r.text, { format: "yaml", keySources: aliceKeys })).toBe("a: 10\nb: 2\n");
    await expect(decryptText(r.text, { format: "yaml", keySources: bobKeys })).rejects.toThrow();

    // Nor when the merge needs a fresh data key (ours rotated): bob is left out and named.
    const rotated = await encrypt("a: 10\nb: 2\n", "yaml");
    const r2 = await mergeEncryptedTexts({ format: "yaml", base, ours: rotated, theirs, keySources: aliceKeys });
    expect(r2.status).toBe("merged");
    const notes = r2.notes.join("\n");
    expect(notes).toContain(`age ${bob.recipient}, added since the common ancestor, is left out of the merged file`);
    expect(notes).toContain(`it is wrapped to age ${alice.recipient}\n`.trimEnd());
    expect(r2.text).not.toContain(bob.recipient);
    await expect(decryptText(r2.text, { format: "yaml", keySources: bobKeys })).rejects.toThrow();
    expect(await decryptText(r2.text, { format: "yaml", keySources: aliceKeys })).toBe("a: 10\nb: 2\n");
  });

  it("a recipient added on a branch is left out of a fresh data key even when the merger holds its key", async () => {
    // What a merger's keys open proves nothing a branch could not arrange (the common ancestor
    // of a cherry-pick is the branch's own commit), so no added recipient is vouched for.
    const { base, theirs } = await withAddedEntry(wrapForBob);
    const rotated = await encrypt("a: 10\nb: 2\n", "yaml");
    const both = sourceFor(`${alice.identity}\n${bob.identity}\n`);
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours: rotated, theirs, keySources: both });
    expect(r.status).toBe("merged");
    const notes = r.notes.join("\n");
    expect(notes).toContain(`age ${bob.recipient}, added since the common ancestor, is left out of the merged file`);
    expect(notes).toContain(`it is wrapped to age ${alice.recipient}`);
    await expect(decryptText(r.text, { format: "yaml", keySources: bobKeys })).rejects.toThrow();
  });

  it("an added entry the merger's key opens under another recipient's label does not show that recipient to hold a key", async () => {
    // Bob, without the file's key, re-encrypts it under a key of his own, wrapped to alice, and
    // puts a copy of alice's entry under his own label: alice's key opens both entries.
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const own = await openText(await encrypt("a: 1\nb: 20\n", "yaml"), { format: "yaml", keySources: aliceKeys });
    const aliceEntry = own.metadata.keyGroups[0]![0]! as AgeKeyEntry;
    const relabelled = { ...own, metadata: { ...own.metadata, keyGroups: [[aliceEntry, { ...aliceEntry, recipient: bob.recipient }]] } };
    const theirs = await reencryptText(relabelled, "a: 1\nb: 20\n", { keySources: aliceKeys });
    const ours = await edit(base, "a: 10\nb: 2\nc: new\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    expect(r.notes.join("\n")).toContain(`age ${bob.recipient}, added since the common ancestor, is left out of the merged file`);
    expect(r.text).not.toContain(bob.recipient);
    await expect(decryptText(r.text, { format: "yaml", keySources: bobKeys })).rejects.toThrow();
    expect(await decryptText(r.text, { format: "yaml", keySources: aliceKeys })).toBe("a: 10\nb: 20\nc: new\n");
  });

  it("a reader revoked on our side (removed, data key rotated) who adds a new key of hers on an old branch is left out", async () => {
    // Eve held the old data key: her branch wraps it to alice under the label of a new key of
    // hers, so alice's key opens that entry to the common ancestor's data key.
    const eve = await generateAgeKeyPair();
    const base = await encrypt("a: 1\nb: 2\n", "yaml", [alice.recipient, eve.recipient]);
    const opened = await openText(base, { format: "yaml", keySources: aliceKeys });
    const [aliceEntry] = opened.metadata.keyGroups[0]! as AgeKeyEntry[];
    const eveAgain = await generateAgeKeyPair();
    const relabelled = { ...aliceEntry!, recipient: eveAgain.recipient };
    const theirs = await reencryptText({ ...opened, metadata: { ...opened.metadata, keyGroups: [[...opened.metadata.keyGroups[0]!, relabelled]] } }, "a: 1\nb: 20\n", { keySources: aliceKeys });
    const ours = await encrypt("a: 1\nb: 2\nafter_revocation: s\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    for (const key of [eve, eveAgain]) await expect(decryptText(r.text, { format: "yaml", keySources: sourceFor(key.identity) })).rejects.toThrow();
    expect(r.notes.join("\n")).toContain(`age ${eveAgain.recipient}, added since the common ancestor, is left out of the merged file`);
    expect(await decryptText(r.text, { format: "yaml", keySources: aliceKeys })).toBe("a: 1\nb: 20\nafter_revocation: s\n");
  });

  it("a reader's entry that is not the common ancestor's and cannot be checked keeps the data key: no fresh key goes to the lists", async () => {
    // As in a cherry-pick, where the common ancestor is the branch's own commit: there bob's
    // entry is another, and the list names carol, whom the branch added one commit before.
    const carol = await generateAgeKeyPair();
    const original = await encrypt("a: 1\nb: 2\n", "yaml", [alice.recipient, bob.recipient]);
    const opened = await openText(original, { format: "yaml", keySources: aliceKeys });
    const [aliceEntry, bobEntry] = opened.metadata.keyGroups[0]! as AgeKeyEntry[];
    const carolEntry = (await (await aliceKeys("age"))!.wrap(new Uint8Array(32).fill(9), { kind: "age", recipient: carol.recipient })) as AgeKeyEntry;
    const otherBob = { ...carolEntry, recipient: bob.recipient };
    const listing = (entries: AgeKeyEntry[], plain: string): Promise<string> => reencryptText({ ...opened, metadata: { ...opened.metadata, keyGroups: [entries] } }, plain, { keySources: aliceKeys });
    const base = await listing([aliceEntry!, otherBob, carolEntry], "a: 1\nb: 2\n");
    const ours = await listing([aliceEntry!, bobEntry!, carolEntry], "a: 10\nb: 2\n");
    const theirs = await listing([aliceEntry!, otherBob, carolEntry], "a: 1\nb: 20\n");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    await expect(decryptText(r.text, { format: "yaml", keySources: sourceFor(carol.identity) })).rejects.toThrow();
    const notes = r.notes.join("\n");
    expect(notes).not.toMatch(/fresh data key/);
    expect(notes).toContain(`the key entry of age ${bob.recipient} is not as in the common ancestor and cannot be checked with your keys; kept as our side has it`);
    expect(await decryptText(r.text, { format: "yaml", keySources: bobKeys })).toBe("a: 10\nb: 20\n");
    const merged = await openText(r.text, { format: "yaml", keySources: aliceKeys });
    expect(Buffer.from(merged.dataKey).equals(Buffer.from(opened.dataKey))).toBe(true);
  });

  it("a recipient added on their side that the merger can open is checked and kept with the data key", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const opened = await openText(base, { format: "yaml", keySources: aliceKeys });
    const bobEntry = (await (await aliceKeys("age"))!.wrap(opened.dataKey, { kind: "age", recipient: bob.recipient })) as AgeKeyEntry;
    const withBob = { ...opened, metadata: { ...opened.metadata, keyGroups: [[...opened.metadata.keyGroups[0]!, bobEntry]] } };
    const theirs = await reencryptText(withBob, "a: 1\nb: 2\n", { keySources: aliceKeys });
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    // The merger holds both keys: bob's entry unwraps to the shared data key, so nothing is re-encrypted.
    const both = sourceFor(`${alice.identity}\n${bob.identity}\n`);
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: both });
    expect(r.status).toBe("merged");
    expect(r.notes.join("\n")).not.toMatch(/fresh data key/);
    expect(r.text).toContain(bobEntry.enc.split("\n")[1]);
    const merged = await openText(r.text, { format: "yaml", keySources: bobKeys });
    expect(Buffer.from(merged.dataKey).equals(Buffer.from(opened.dataKey))).toBe(true);
    expect(envs(r.text)[1]).toBe(envs(base)[1]);
  });

  it("a data key rotated on their side is not adopted: the merge draws a fresh one", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    const rotated = await encrypt("a: 1\nb: 20\n", "yaml");
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs: rotated, keySources: aliceKeys });
    expect(r.status).toBe("merged");
    expect(r.notes.join("\n")).toMatch(/fresh data key .*the two sides have different data keys/);
    const merged = await openText(r.text, { format: "yaml", keySources: aliceKeys });
    for (const side of [base, ours, rotated]) {
      const key = (await openText(side, { format: "yaml", keySources: aliceKeys })).dataKey;
      expect(Buffer.from(merged.dataKey).equals(Buffer.from(key))).toBe(false);
    }
    expect(merged.plaintext).toBe("a: 10\nb: 20\n");
  });

  it("Shamir key groups: unchanged groups keep the data key; a rotated side gets a fresh key split for ours' groups", async () => {
    const both = sourceFor(`${alice.identity}\n${bob.identity}\n`);
    const groups = [[{ kind: "age" as const, recipient: alice.recipient }], [{ kind: "age" as const, recipient: bob.recipient }]];
    const shamir = (text: string): Promise<string> => encryptText(text, { format: "yaml", keyGroups: groups, shamirThreshold: 2, keySources: both });
    const base = await shamir("a: 1\nb: 2\n");
    const editWith = async (enc: string, plain: string): Promise<string> => reencryptText(await openText(enc, { format: "yaml", keySources: both }), plain, { keySources: both });
    const ours = await editWith(base, "a: 10\nb: 2\n");
    const theirs = await editWith(base, "a: 1\nb: 20\n");
    const baseKey = Buffer.from((await openText(base, { format: "yaml", keySources: both })).dataKey);
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: both });
    expect(r.status).toBe("merged");
    expect(r.notes.join("\n")).not.toMatch(/fresh data key/);
    expect(Buffer.from((await openText(r.text, { format: "yaml", keySources: both })).dataKey).equals(baseKey)).toBe(true);

    const rotated = await shamir("a: 1\nb: 20\n");
    const r2 = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs: rotated, keySources: both });
    expect(r2.status).toBe("merged");
    const merged = await openText(r2.text, { format: "yaml", keySources: both });
    expect(merged.plaintext).toBe("a: 10\nb: 20\n");
    expect(merged.metadata.keyGroups.map((g) => g.length)).toEqual([1, 1]);
    expect(merged.metadata.shamirThreshold).toBe(2);
    expect(Buffer.from(merged.dataKey).equals(baseKey)).toBe(false);
    // One group's key alone no longer opens it.
    await expect(openText(r2.text, { format: "yaml", keySources: aliceKeys })).rejects.toThrow(/key groups opened/);
  });

  it("a KMS key added on their side is carried as written, and never called by the merge", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml");
    const opened = await openText(base, { format: "yaml", keySources: aliceKeys });
    const arn = "arn:aws:kms:eu-west-1:111122223333:key/theirs";
    const kmsEntry: KmsKeyEntry = { kind: "kms", arn, role: "", context: {}, awsProfile: "", createdAt: "2026-01-01T00:00:00Z", enc: Buffer.from("not a real blob").toString("base64") };
    const withKms = { ...opened, metadata: { ...opened.metadata, keyGroups: [[...opened.metadata.keyGroups[0]!, kmsEntry]] } };
    const theirs = await reencryptText(withKms, "a: 1\nb: 20\n", { keySources: aliceKeys });
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    const calls: string[] = [];
    const recording: KeySource = {
      kind: "kms",
      wrap: async () => {
        calls.push("wrap");
        throw new HushError("KEY_SOURCE_FAILED", "connect ETIMEDOUT");
      },
      unwrap: async () => {
        calls.push("unwrap");
        throw new HushError("KEY_SOURCE_FAILED", "connect ETIMEDOUT");
      },
      describeSearch: () => [],
    };
    const keySources: KeySourceResolver = async (kind) => (kind === "kms" ? recording : aliceKeys(kind));
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources });
    expect(r.status).toBe("merged");
    expect(calls).toEqual([]);
    expect(r.text).toContain(kmsEntry.enc);
    expect(await decryptText(r.text, { format: "yaml", keySources: aliceKeys })).toBe("a: 10\nb: 20\n");
  });

  it("a KMS key of the common ancestor that cannot be reached: no fresh key can be wrapped, so the merge falls back and says why", async () => {
    const arn = "arn:aws:kms:eu-west-1:111122223333:key/unreachable";
    const kmsEntry: KmsKeyEntry = { kind: "kms", arn, role: "", context: {}, awsProfile: "", createdAt: "2026-01-01T00:00:00Z", enc: Buffer.from("not a real blob").toString("base64") };
    const withKms = async (text: string): Promise<string> => {
      const opened = await openText(await encrypt(text, "yaml"), { format: "yaml", keySources: aliceKeys });
      return reencryptText({ ...opened, metadata: { ...opened.metadata, keyGroups: [[...opened.metadata.keyGroups[0]!, kmsEntry]] } }, text, { keySources: aliceKeys });
    };
    const base = await withKms("a: 1\nb: 2\n");
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    // Theirs rotated and changed no value: the sides' data keys differ, so the merge needs a fresh one for both readers.
    const theirs = await withKms("a: 1\nb: 2\n");
    const unreachable: KeySource = {
      kind: "kms",
      wrap: async () => {
        throw new HushError("KEY_SOURCE_FAILED", "connect ETIMEDOUT");
      },
      unwrap: async () => {
        throw new HushError("KEY_SOURCE_FAILED", "connect ETIMEDOUT");
      },
      describeSearch: () => [],
    };
    const keySources: KeySourceResolver = async (kind) => (kind === "kms" ? unreachable : aliceKeys(kind));
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources });
    expect(r.status).toBe("fallback");
    if (r.status !== "fallback") return;
    expect(r.reason).toContain("fresh data key (the two sides have different data keys)");
    expect(r.reason).toContain(`cannot be wrapped to kms ${arn} (connect ETIMEDOUT)`);
    expect(r.text).toContain("<<<<<<<");
  });

  it("a merge that would leave out every key of the merger falls back to a conflict on ciphertext", async () => {
    const base = await encrypt("a: 1\nb: 2\n", "yaml", [alice.recipient, bob.recipient]);
    const ours = await edit(base, "a: 10\nb: 2\n", "yaml");
    // Theirs removes alice (the merger), keeping the data key.
    const opened = await openText(base, { format: "yaml", keySources: aliceKeys });
    const onlyBob = { ...opened, metadata: { ...opened.metadata, keyGroups: [opened.metadata.keyGroups[0]!.filter((e) => e.kind === "age" && e.recipient === bob.recipient)] } };
    const theirs = await reencryptText(onlyBob, "a: 1\nb: 20\n", { keySources: aliceKeys });
    const r = await mergeEncryptedTexts({ format: "yaml", base, ours, theirs, keySources: aliceKeys });
    expect(r.status).toBe("fallback");
    if (r.status !== "fallback") return;
    expect(r.reason).toMatch(/would not open with your keys \(its recipients: age age1/);
    expect(r.text).toContain("<<<<<<<");
    for (const secret of ["a: 10", "b: 20"]) expect(r.text).not.toContain(secret);
  });
});

/** The view without the leading `# hush:` lines (the metadata summary). */
function withoutSummary(view: string): string {
  return view.replace(/^(# hush: .*\n)+/, "");
}

const NOT_ENCRYPTED = "# hush: WARNING: not encrypted: this file holds no sops metadata; its text follows as stored";

describe("renderDiffView", () => {
  it("decrypts with a key, shows markers without one, passes plain files through", async () => {
    const enc = await encrypt("user: app\npassword: hunter2\nport: 5432\n", "yaml");
    const withKey = await renderDiffView(Buffer.from(enc), { path: "/tmp/git-blob-x/app.yaml", keySources: aliceKeys });
    expect(withKey.status).toBe("decrypted");
    expect(withKey.output.toString()).toMatch(/^# hush: key group 0: age age1[0-9a-z]+ wrapped key [0-9a-f]{16}\n/);
    expect(withoutSummary(withKey.output.toString())).toBe("user: app\npassword: hunter2\nport: 5432\n");

    const without = await renderDiffView(Buffer.from(enc), { path: "app.yaml", keySources: noKeys });
    expect(without.status).toBe("keyless");
    const text = without.output.toString();
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("sops:");
    const passwordEnv = envs(enc)[1]!;
    expect(text).toContain(`password: ${encryptedMarker(passwordEnv)}\n`);
    expect(text.split("\n")[0]).toMatch(/^# hush: values hidden: no key for this file \(encrypted for age age1/);

    // A plain file at a reviewed path says so first (a branch could commit a copy of a keyless view).
    const plain = await renderDiffView(Buffer.from("a: 1\n"), { path: "x.yaml", keySources: noKeys });
    expect(plain).toEqual({ status: "plain", output: Buffer.from(`${NOT_ENCRYPTED}\na: 1\n`) });
  });

  it("finds the format from the content when the name has no extension", async () => {
    const enc = await encrypt('{"token": "abc"}', "json");
    const v = await renderDiffView(Buffer.from(enc), { path: "/tmp/blob", keySources: aliceKeys });
    expect(v.status).toBe("decrypted");
    expect(withoutSummary(v.output.toString())).toBe('{"token": "abc"}');
    const y = await renderDiffView(Buffer.from(await encrypt("k: v\n", "yaml")), { keySources: aliceKeys });
    expect(withoutSummary(y.output.toString())).toBe("k: v\n");
  });

  it("shows an encrypted file that is not UTF-8 under a warning naming the line, with its summary and values as for any file", async () => {
    const enc = await encrypt("A=hunter2\nB=two\n", "dotenv");
    // A branch adds a Latin-1 comment (no MAC covers it): SOPS still decrypts such a dotenv file.
    const branch = Buffer.concat([Buffer.from(enc.replace(/^B=/m, "# caf\xe9\nB="), "latin1")]);
    const withKey = await renderDiffView(branch, { path: "app.env", keySources: aliceKeys });
    const shown = withKey.output.toString("utf8");
    expect(withKey.status).toBe("damaged");
    expect(shown.split("\n")[0]).toBe("# hush: WARNING: this file is not UTF-8 text (line 2), which an encrypted file must be; hush decrypt refuses it; shown with U+FFFD for the bytes that are not UTF-8");
    expect(shown).toMatch(/^# hush: key group 0: age age1[0-9a-z]+ wrapped key [0-9a-f]{16}$/m);
    expect(shown).toContain("A=hunter2\n");
    const without = (await renderDiffView(branch, { path: "app.env", keySources: noKeys })).output.toString("utf8");
    expect(without.split("\n")[0]).toBe(shown.split("\n")[0]);
    expect(without).toMatch(/^# hush: key group 0: age age1/m);
    expect(without).not.toContain("hunter2");
    expect(without).toContain(`A=${encryptedMarker(envs(enc)[0]!)}\n`);
    // A plain file that is not UTF-8 is shown under the same warning, its bytes escaped.
    const plain = Buffer.from("caf\xe9\n", "latin1");
    const plainView = await renderDiffView(plain, { path: "notes.env", keySources: noKeys });
    expect(plainView.status).toBe("plain");
    expect(plainView.output.toString("utf8")).toContain(`${NOT_ENCRYPTED}\n`);
    expect(plainView.output.toString("utf8").split("\n")).toContain("caf\ufffd");
  });

  it("shows an encrypted file its format refuses as its text under the parse error, with and without a key", async () => {
    const enc = await encrypt('{\n    "password": "hunter2"\n}\n', "json");
    // A branch adds what the JSON reader refuses (Go's readers take it for the password).
    const branch = enc.replace(/\n {4}"sops": \{/, '\n    "PASSWORD": "",$&');
    expect(branch).not.toBe(enc);
    for (const keySources of [aliceKeys, noKeys]) {
      const v = await renderDiffView(Buffer.from(branch), { path: "app.json", keySources });
      expect(v.status).toBe("damaged");
      const text = v.output.toString();
      expect(text.split("\n")[0]).toMatch(/^# hush: WARNING: this file does not parse as JSON: invalid JSON: the keys \["password"\] \(line 2\) and \["PASSWORD"\] differ only in case.* at line 3$/);
      expect(text).toContain('"PASSWORD": "",');
      expect(text).not.toContain("hunter2");
    }
  });

  it("makes tampering visible", async () => {
    const enc = await encrypt("a: one\nb: two\n", "yaml");
    const [ea, eb] = envs(enc);
    // Swapping two values keeps each ENC string intact but breaks the path binding (AAD).
    const swapped = enc.replace(ea!, "@@A@@").replace(eb!, ea!).replace("@@A@@", eb!);
    const v = await renderDiffView(Buffer.from(swapped), { path: "x.yaml", keySources: aliceKeys });
    expect(v.status).toBe("damaged");
    expect(v.output.toString()).toMatch(/^# hush: WARNING: this file does not decrypt/);
    expect(v.output.toString()).not.toContain("one");
  });
});
