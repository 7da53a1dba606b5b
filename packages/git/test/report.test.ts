import { describe, expect, it, vi } from "vitest";
import { parseSopsConfig, recipientName, type FileMetadata, type MasterKeyEntry } from "@hush/core";
import { BatchReader, buildAccessReport, parseCommitObject, parseRawLog, renderAccessText, textTable, type BatchObject } from "@hush/git/report";

const A = "a".repeat(40);
const B = "b".repeat(40);
const BLOB = "1".repeat(40);

describe("parseRawLog", () => {
  it("reads commits and the new blob of each changed path, whatever the path looks like", () => {
    // A path that looks like a commit line, and one that looks like a raw line, are still paths.
    const tricky = `${B} 1700000000`;
    const rawLike = `:100644 100644 ${BLOB} ${BLOB} M`;
    const out = [
      "",
      `${A} 1700000100`,
      `\n:100644 100644 ${"0".repeat(40)} ${BLOB} A`,
      tricky,
      `:100644 000000 ${BLOB} ${"0".repeat(40)} D`,
      rawLike,
      "",
      `${B} 1600000000`,
      `\n:000000 100644 ${"0".repeat(40)} ${BLOB} A`,
      "a\nb.enc.yaml",
      "",
    ].join("\0");
    expect(parseRawLog(out)).toEqual([
      { commit: A, authorTime: 1700000100, changes: [{ path: tricky, blob: BLOB }, { path: rawLike, blob: null }] },
      { commit: B, authorTime: 1600000000, changes: [{ path: "a\nb.enc.yaml", blob: BLOB }] },
    ]);
  });
});

describe("BatchReader", () => {
  it("splits git cat-file --batch output into objects however it is chunked", () => {
    const stream = Buffer.concat([Buffer.from(`${A} blob 5\nhe\nlo\n${B} missing\n${BLOB} commit 3\n`), Buffer.from([0, 0x0a, 0xff]), Buffer.from("\n")]);
    for (const size of [1, 2, 7, stream.length]) {
      const seen: BatchObject[] = [];
      const reader = new BatchReader((o) => seen.push(o));
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size));
      expect(reader.incomplete).toBe(false);
      expect(seen).toEqual([
        { name: A, type: "blob", content: Buffer.from("he\nlo") },
        { name: B, missing: true },
        { name: BLOB, type: "commit", content: Buffer.from([0, 0x0a, 0xff]) },
      ]);
    }
  });
});

describe("BatchReader on a large object", () => {
  it("copies a blob that arrives in many chunks about once, not once per chunk", () => {
    const content = Buffer.alloc(1 << 20, 0x61);
    const stream = Buffer.concat([Buffer.from(`${A} blob ${content.length}\n`), content, Buffer.from(`\n${B} missing\n`)]);
    const concat = vi.spyOn(Buffer, "concat");
    try {
      const seen: BatchObject[] = [];
      const reader = new BatchReader((o) => seen.push(o));
      for (let i = 0; i < stream.length; i += 1024) reader.push(stream.subarray(i, i + 1024));
      expect(reader.incomplete).toBe(false);
      expect(seen.map((o) => [o.name, "content" in o && o.content.equals(content)])).toEqual([
        [A, true],
        [B, false],
      ]);
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      // Joined once when complete (the 1 MiB, plus the header's first chunks): not 1,025 times.
      expect(copied).toBeLessThan(2 * stream.length);
    } finally {
      concat.mockRestore();
    }
  });
});

describe("parseCommitObject", () => {
  it("takes the author name and the first paragraph of the message, as git's %an and %s", () => {
    const commit = Buffer.from(`tree ${A}\nparent ${B}\nauthor Ann O. <ann@example.com> 1700000000 +0100\ncommitter C <c@e> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n x\n -----END PGP SIGNATURE-----\n\nFirst line\nsecond line\n\nbody\n`);
    expect(parseCommitObject(commit)).toEqual({ author: "Ann O.", subject: "First line second line" });
  });

  it("reads names with < and > in them, and a branch's long crafted author line in one pass", () => {
    const withAuthor = (line: string): Buffer => Buffer.from(`tree ${A}\n${line}\ncommitter C <c@e> 1 +0000\n\nS\n`);
    expect(parseCommitObject(withAuthor("author A <b> C <c@e> 1700000000 -0130")).author).toBe("A <b> C");
    expect(parseCommitObject(withAuthor("author  <c@e> 1 +0000")).author).toBe("");
    expect(parseCommitObject(withAuthor("author <c@e> 1 +0000")).author).toBe("");
    expect(parseCommitObject(withAuthor("author A <c@e> x +0000")).author).toBe("");
    // Quadratic before: about 11 s for this line.
    expect(parseCommitObject(withAuthor(`author ${" <".repeat(100_000)}`))).toEqual({ author: "", subject: "S" });
  });
});

describe(".sops.yaml recipient names", () => {
  const age1 = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq";
  const age2 = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
  const fp = "85d77543b3d624b63cea9e6dbc17301b491b3f21";
  it("reads hush_recipient_names (one recipient or a list) and anchors, the map winning", async () => {
    const config = await parseSopsConfig(
      [
        "hush_recipient_names:",
        `  Alice: ${age1}`,
        `  Ops: [${fp}, "arn:aws:kms:us-east-1:111122223333:key/k"]`,
        "keys:",
        `  - &alice_old ${age1}`,
        `  - &bob ${age2}`,
        "creation_rules:",
        "  - age: *bob",
        "",
      ].join("\n"),
    );
    const names = config.recipientNames;
    expect(recipientName(names, { kind: "age", recipient: age1 })).toBe("Alice");
    expect(recipientName(names, { kind: "age", recipient: age2 })).toBe("bob");
    expect(recipientName(names, { kind: "pgp", fp: fp.toUpperCase() })).toBe("Ops");
    expect(recipientName(names, { kind: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/k", role: "r", context: {}, awsProfile: "" })).toBe("Ops");
    expect(recipientName(names, { kind: "age", recipient: "age1other" })).toBeUndefined();
  });

  it("refuses a malformed map, and one recipient under two names", async () => {
    await expect(parseSopsConfig("hush_recipient_names: [a, b]\n")).rejects.toThrow("hush_recipient_names must map names to recipients");
    await expect(parseSopsConfig("hush_recipient_names:\n  a: {x: 1}\n")).rejects.toThrow("hush_recipient_names.a must be a recipient or a list of recipients");
    await expect(parseSopsConfig(`hush_recipient_names:\n  a: ${age1}\n  b: [${age1}]\n`)).rejects.toThrow(`recipient ${age1} is already named "a"`);
    // A typo of the key is still an unknown key, with the suggestion.
    await expect(parseSopsConfig(`hush_recipient_name:\n  a: ${age1}\n`)).rejects.toThrow('did you mean "hush_recipient_names"?');
  });
});

describe("access report of a Shamir file", () => {
  const entry = (recipient: string): MasterKeyEntry => ({ kind: "age", recipient, enc: "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n" });
  const metadata = (groups: string[][], shamirThreshold: number): FileMetadata => ({
    keyGroups: groups.map((g) => g.map(entry)),
    shamirThreshold,
    lastModified: "2025-01-01T00:00:00Z",
    mac: "",
    rule: undefined,
    macOnlyEncrypted: false,
    version: "3.13.2",
  });
  it("shows the groups each recipient holds a share of (a recipient with as many as the threshold opens the file alone), the threshold, and regrouping as drift", async () => {
    const rule = (await parseSopsConfig("creation_rules:\n  - key_groups:\n      - age: [age1a, age1b]\n      - age: [age1c]\n    shamir_threshold: 2\n")).creationRules[0]!;
    const report = buildAccessReport(
      [
        { path: "split.yaml", metadata: metadata([["age1a"], ["age1b", "age1c"], ["age1a"]], 2), rule },
        { path: "plain.yaml", metadata: metadata([["age1c"]], 0), rule: undefined },
      ],
      undefined,
    );
    expect(report.files.map((f) => [f.path, f.threshold, f.groups.length])).toEqual([["split.yaml", 2, 3], ["plain.yaml", 1, 1]]);
    expect(report.files[0]!.drift.groups).toBe("the file has 3 key group(s) of 1, 2, 1 recipient(s), the creation rule asks for 2 key group(s) of 2, 1 recipient(s) (same recipients, grouped differently)");
    expect(renderAccessText(report).split("\n").slice(0, 9)).toEqual([
      "#    FILE        NEEDED             CREATION RULE",
      "[1]  split.yaml  2 of 3 key groups  (every file)",
      "[2]  plain.yaml  1 of 1 key group   (none)",
      "",
      "Who can open which file (x: holds the data key; x:g0,g1: opens it alone, with the shares of enough key groups; gN: holds the share of key group N; .: nothing)",
      "RECIPIENT  KIND  IDENTITY  [1]      [2]",
      "-          age   age1a     x:g0,g2  .",
      "-          age   age1b     g1       .",
      "-          age   age1c     g1       x",
    ]);
  });
});

describe("textTable", () => {
  it("pads a table of 150,000 rows (an audit has one per value): widths found without one argument per row", () => {
    const rows = Array.from({ length: 150_000 }, (_, i) => [`f${i}`, "x"]);
    const table = textTable(["FILE", "K"], rows);
    expect(table.length).toBe(150_001);
    expect([table[0], table[1], table[150_000]]).toEqual(["FILE     K", "f0       x", "f149999  x"]);
  });
});

describe("access report of an age recipient written in capitals", () => {
  // bech32 reads the same in capitals: age, SOPS and hush wrap to one key for both spellings.
  const alice = "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq";
  const bob = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
  const entry = (recipient: string): MasterKeyEntry => ({ kind: "age", recipient, enc: "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n" });
  it("is the recipient of the lower-case spelling: named, in the same row, and no drift", async () => {
    const config = await parseSopsConfig(`hush_recipient_names:\n  Alice: ${alice}\n  Bob: ${bob}\ncreation_rules:\n  - age: ${alice},${bob.toUpperCase()}\n`);
    const metadata: FileMetadata = { keyGroups: [[entry(alice.toUpperCase()), entry(bob)]], shamirThreshold: 0, lastModified: "2025-01-01T00:00:00Z", mac: "", rule: undefined, macOnlyEncrypted: false, version: "3.13.2" };
    const other: FileMetadata = { ...metadata, keyGroups: [[entry(alice)]] };
    const report = buildAccessReport(
      [
        { path: "a.yaml", metadata, rule: config.creationRules[0] },
        { path: "b.yaml", metadata: other, rule: undefined },
      ],
      config,
    );
    expect(report.matrix.map((row) => [row.recipient.name, row.groups])).toEqual([
      ["Alice", [[0], [0]]],
      ["Bob", [[0], []]],
    ]);
    expect(report.files[0]!.drift).toEqual({ unexpected: [], missing: [], groups: null });
  });
});

describe("access report of metadata SOPS ignores", () => {
  const entry = (recipient: string): MasterKeyEntry => ({ kind: "age", recipient, enc: "-----BEGIN AGE ENCRYPTED FILE-----\nx\n-----END AGE ENCRYPTED FILE-----\n" });
  it("names key_groups beside flat lists and unknown fields as places that may hold the data key for recipients it does not show", () => {
    const metadata: FileMetadata = {
      keyGroups: [[entry("age1a")]],
      shamirThreshold: 0,
      lastModified: "2025-01-01T00:00:00Z",
      mac: "",
      rule: undefined,
      macOnlyEncrypted: false,
      version: "3.13.2",
      unread: { ignoredKeyGroups: 1, unknownFields: [{ name: "backup\u001b[2J", value: "{}" }], lookalikeFields: [] },
    };
    const report = buildAccessReport([{ path: "a.yaml", metadata, rule: undefined }], undefined);
    expect(report.files[0]!.ignored).toEqual(["sops.key_groups", "sops.backup\u001b[2J"]);
    const text = renderAccessText(report);
    expect(text).toContain("a.yaml: sops.key_groups is ignored by SOPS and hush, but may hold the data key for recipients not shown here: they may open the file (`hush check` refuses it; `hush rotate -i` drops it)\n");
    expect(text).toContain("a.yaml: sops.backup\\x1b[2J is ignored by SOPS and hush");
    expect(text).toContain("1 file(s) drifted from .sops.yaml");
  });
});
