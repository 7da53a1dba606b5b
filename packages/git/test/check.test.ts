import { beforeAll, describe, expect, it } from "vitest";
import { comparableKeyId, encryptText, readMetadata, sniffFormats, type CreationRule, type KeySourceResolver } from "@hush/core";
import { checkFile, checkPassed, detectFormat, driverOverrideProblem, parseCheckAttr, recipientFindings } from "@hush/git";
import { generateAgeKeyPair } from "@hush/key-source-age";
import { freshAgeKey } from "./age-keys.ts";

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  ({ recipient, keys } = await freshAgeKey());
});

const rule = (extra: Partial<CreationRule> = {}): CreationRule => ({ pathRegex: "\\.yaml$", keyGroups: [], shamirThreshold: 0, rule: undefined, macOnlyEncrypted: false, ...extra });

async function enc(text: string, format: "yaml" | "json" | "toml" = "yaml", r?: CreationRule["rule"]): Promise<string> {
  return encryptText(text, { format, keyGroups: [[{ kind: "age", recipient }]], keySources: keys, ...(r === undefined ? {} : { rule: r }) });
}

describe("checkFile", () => {
  it("passes an encrypted file and ignores uncovered plaintext", async () => {
    const ok = await checkFile({ path: "a.yaml", text: await enc("a: 1\nb_unencrypted: x\n"), creationRule: rule() });
    expect(ok).toEqual({ path: "a.yaml", format: "yaml", covered: true, encrypted: true, problems: [] });
    const plain = await checkFile({ path: "b.yaml", text: "a: 1\n" });
    expect(plain.problems).toEqual([]);
    expect(checkPassed([ok, plain])).toBe(true);
  });

  it("fails a covered plaintext file", async () => {
    const r = await checkFile({ path: "a.yaml", text: "password: x\n", creationRule: rule() });
    expect(r.problems.map((p) => p.code)).toEqual(["not-encrypted"]);
    expect(checkPassed([r])).toBe(false);
  });

  it("flags values the creation rule encrypts but the file's own rule left in plaintext", async () => {
    const text = await enc("password: p\nhost: h\n", "yaml", { kind: "encrypted_regex", value: "^password$" });
    const stricter = await checkFile({ path: "a.yaml", text, creationRule: rule({ rule: undefined }) });
    expect(stricter.problems).toEqual([expect.objectContaining({ code: "plaintext-value", keyPath: '["host"]', line: 2 })]);
    expect(stricter.problems[0]!.message).not.toContain(": h");
    const same = await checkFile({ path: "a.yaml", text, creationRule: rule({ rule: { kind: "encrypted_regex", value: "^password$" } }) });
    expect(same.problems).toEqual([]);
  });

  it("warns when a rule encrypted nothing, and checks metadata and ENC strings", async () => {
    const none = await checkFile({ path: "a.yaml", text: await enc("host: h\n", "yaml", { kind: "encrypted_regex", value: "^password$" }) });
    expect(none.problems.map((p) => [p.severity, p.code])).toEqual([["warning", "nothing-encrypted"]]);
    const text = await enc("a: 1\n");
    const noMac = await checkFile({ path: "a.yaml", text: text.replace(/mac: ENC\[[^\n]+/, "mac: nonsense") });
    expect(noMac.problems.map((p) => p.code)).toContain("metadata-invalid");
    const badAge = await checkFile({ path: "a.yaml", text: text.replace("-----BEGIN AGE ENCRYPTED FILE-----", "-----BEGIN SOMETHING-----") });
    expect(badAge.problems.map((p) => p.code)).toEqual(["metadata-invalid"]);
  });

  it("verifies the MAC with keys", async () => {
    const text = await enc("a: 1\nb: 2\n");
    const removed = text.replace(/^b: ENC\[[^\n]+\n/m, "");
    expect((await checkFile({ path: "a.yaml", text: removed })).problems).toEqual([]);
    const r = await checkFile({ path: "a.yaml", text: removed, verify: { keySources: keys } });
    expect(r.problems.map((p) => p.code)).toEqual(["mac-mismatch"]);
  });

  it("checks each recipient's wrapped key by kind and against the creation rule", async () => {
    const dataKey = new Uint8Array(32).fill(7);
    const fp = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
    const armor = (body: string): string => `-----BEGIN PGP MESSAGE-----\n\n${body}\n=AbCd\n-----END PGP MESSAGE-----`;
    const kms = (enc: string) => ({ kind: "kms" as const, arn: "arn:aws:kms:eu-west-1:111122223333:key/k", role: "", context: {}, awsProfile: "", createdAt: "2026-01-01T00:00:00Z", enc });
    const pgp = (enc: string) => ({ kind: "pgp" as const, fp, createdAt: "2026-01-01T00:00:00Z", enc });
    const text = (entries: Parameters<typeof encryptText>[1]["wrappedKeys"]): Promise<string> => encryptText("a: 1\n", { format: "yaml", keySources: keys, dataKey, wrappedKeys: entries! });
    // A PGP message starting with a public-key session key packet (old format, tag 1), a 60-byte KMS ciphertext.
    const good = await text([[pgp(armor("hIwDAAAAAAAAAAAA")), kms(Buffer.alloc(60, 1).toString("base64"))]]);
    const named = rule({ keyGroups: [[{ kind: "pgp", fp: fp.toLowerCase() }, { kind: "kms", arn: "arn:aws:kms:eu-west-1:111122223333:key/k", role: "", context: {}, awsProfile: "" }]] });
    expect((await checkFile({ path: "a.yaml", text: good, creationRule: named })).problems).toEqual([]);
    const bad = await text([[pgp(armor("YWJjZGVm")), kms("AAAA")]]);
    const r = await checkFile({ path: "a.yaml", text: bad, creationRule: named });
    expect(r.problems.map((p) => [p.severity, p.code])).toEqual([
      ["warning", "wrapped-key-invalid"],
      ["warning", "wrapped-key-invalid"],
    ]);
    expect(r.problems[0]!.message).toContain("does not start with an encrypted session key");
    expect(r.problems[1]!.message).toContain("a KMS ciphertext of 3 bytes cannot hold a data key");
    const onlyPgp = rule({ keyGroups: [[{ kind: "pgp", fp }]] });
    const strict = await checkFile({ path: "a.yaml", text: good, creationRule: onlyPgp, strict: true });
    expect(strict.problems).toEqual([expect.objectContaining({ severity: "error", code: "unexpected-recipient" })]);
    expect(strict.problems[0]!.message).toContain("kms recipient arn:aws:kms:eu-west-1:111122223333:key/k in key group 0 is not named by the creation rule");
    // A rule that names no keys (keys given on the command line) says nothing about recipients.
    expect((await checkFile({ path: "a.yaml", text: good, creationRule: rule() })).problems).toEqual([]);
  });

  it("compares key groups with the rule in any order, and the threshold only when the rule sets one", async () => {
    const other = (await generateAgeKeyPair()).recipient;
    const a = { kind: "age" as const, recipient };
    const b = { kind: "age" as const, recipient: other };
    const text = await encryptText("a: 1\n", { format: "yaml", keyGroups: [[b], [a]], shamirThreshold: 2, keySources: keys });
    const codes = async (r: CreationRule): Promise<string[]> => (await checkFile({ path: "a.yaml", text, creationRule: r })).problems.map((p) => p.code);
    expect(await codes(rule({ keyGroups: [[a], [b]], shamirThreshold: 2 }))).toEqual([]);
    expect(await codes(rule({ keyGroups: [[a], [b]] }))).toEqual([]);
    expect(await codes(rule({ keyGroups: [[a, b]] }))).toEqual(["key-groups-differ"]);
    expect(await codes(rule({ keyGroups: [[a]] }))).toEqual(["unexpected-recipient"]);
    expect(await codes(rule({ keyGroups: [[a], [b], [{ kind: "pgp", fp: "ABCDEF0123456789ABCDEF0123456789ABCDEF01" }]] }))).toEqual(["missing-recipient"]);
  });

  it("with where the branch started, marks an entry it added that the base's rule does not name, by identity", async () => {
    const other = (await generateAgeKeyPair()).recipient;
    const a = { kind: "age" as const, recipient };
    const b = { kind: "age" as const, recipient: other };
    const metadata = (await readMetadata(await encryptText("a: 1\n", { format: "yaml", keyGroups: [[a, b]], keySources: keys }), "yaml"))!;
    const base = { rule: rule({ keyGroups: [[a]] }), where: "main:.sops.yaml" };
    const added = (start: readonly string[], own = base.rule): Array<[string, boolean]> =>
      recipientFindings(metadata, own, { ...base, startRecipients: new Set(start) }).map((f) => [f.code, f.addedByBranch === true]);
    // New on the branch, or at the start with a's entry only: b's entry is the branch's.
    expect(added([])).toEqual([["unexpected-recipient", true]]);
    expect(added([comparableKeyId(a)])).toEqual([["unexpected-recipient", true]]);
    // Named by the branch's rule only: the same.
    expect(added([comparableKeyId(a)], rule({ keyGroups: [[a, b]] }))).toEqual([["unexpected-recipient", true]]);
    // Already there (any wrapped key: compared by recipient), or start unknown: not the branch's.
    expect(added([comparableKeyId(a), comparableKeyId(b)])).toEqual([["unexpected-recipient", false]]);
    expect(recipientFindings(metadata, base.rule, base).map((f) => f.addedByBranch === true)).toEqual([false]);
    // Named by the base's rule: nothing to report.
    expect(recipientFindings(metadata, rule({ keyGroups: [[a, b]] }), { ...base, rule: rule({ keyGroups: [[a, b]] }), startRecipients: new Set() })).toEqual([]);
  });

  it("reads git check-attr -z output and words the driver finding", () => {
    const attrs = parseCheckAttr("a b.yaml\0diff\0hush\0a b.yaml\0merge\0text\0c.yaml\0diff\0hush\0c.yaml\0merge\0hush\0");
    expect(driverOverrideProblem(attrs.get("c.yaml"), [])).toBeUndefined();
    const problem = driverOverrideProblem(attrs.get("a b.yaml"), ["x/.gitattributes"]);
    expect(problem).toEqual(expect.objectContaining({ severity: "error", code: "drivers-overridden" }));
    expect(problem!.message).toContain("merge: text");
    expect(problem!.message).not.toContain("diff: hush");
    expect(problem!.message).toContain("x/.gitattributes");
    expect(driverOverrideProblem(undefined, [])!.message).toContain("diff: unspecified, merge: unspecified");
  });

  it("reads the comments above a key that follows the sops block as that key's, not as hidden metadata", async () => {
    const text = await enc("a: 1\n# about z\nz: 2\n");
    const at = text.indexOf("sops:");
    const moved = `${text.slice(0, text.indexOf("\n") + 1)}${text.slice(at)}${text.slice(text.indexOf("\n") + 1, at)}`;
    expect(moved).toMatch(/\n#ENC\[[^\n]+\nz: ENC\[/);
    expect((await checkFile({ path: "a.yaml", text: moved, creationRule: rule(), strict: true })).problems).toEqual([]);
  });

  it("reports conflict markers", async () => {
    const text = await enc("a: 1\n");
    const r = await checkFile({ path: "a.yaml", text: `<<<<<<< ours\n${text}=======\n${text}>>>>>>> theirs\n` });
    expect(r.problems.map((p) => p.code)).toEqual(["conflict-markers"]);
  });
});

describe("detectFormat", () => {
  it("uses the extension, else sniffs the content", async () => {
    const y = await enc("a: 1\n");
    const j = await enc('{"a": 1}', "json");
    expect(sniffFormats(y)).toEqual(["yaml"]);
    expect(sniffFormats(j)[0]).toBe("json");
    expect((await detectFormat("/tmp/x_blob", y))?.format).toBe("yaml");
    expect((await detectFormat(undefined, j))?.format).toBe("json");
    expect((await detectFormat("a.yaml", "a: 1\n"))).toMatchObject({ format: "yaml", encrypted: false });
    expect(await detectFormat("notes.txt", "hello")).toBeUndefined();
  });

  it("names a TOML file's own parse error, where INI reads its [sops] table as a section of metadata it cannot decode", async () => {
    const broken = (await enc("a = 1\n", "toml")).replace(/^\[sops\]/m, "b = 1 2\n[sops]");
    expect(await detectFormat("a.toml", broken)).toMatchObject({ format: "toml", encrypted: false, parsed: undefined });
    const r = await checkFile({ path: "a.toml", text: broken });
    expect(r.problems).toEqual([expect.objectContaining({ code: "parse-failed", line: 3, message: expect.stringMatching(/^cannot parse the file as TOML: invalid TOML: .* at line 3/) })]);
  });
});
