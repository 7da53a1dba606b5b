import { beforeAll, describe, expect, it } from "vitest";
import { encryptText, type CreationRule, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";
import { checkFile, checkPassed, detectFormat, sniffFormats } from "@hush/git";

let keys: KeySourceResolver;
let recipient: string;

beforeAll(async () => {
  const pair = await generateAgeKeyPair();
  recipient = pair.recipient;
  const source = new AgeKeySource({ identities: parseAgeIdentities(pair.identity) });
  keys = async (kind) => (kind === "age" ? source : undefined);
});

const rule = (extra: Partial<CreationRule> = {}): CreationRule => ({ pathRegex: "\\.yaml$", keyGroups: [], shamirThreshold: 0, rule: undefined, macOnlyEncrypted: false, ...extra });

async function enc(text: string, format: "yaml" | "json" = "yaml", r?: CreationRule["rule"]): Promise<string> {
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
});
