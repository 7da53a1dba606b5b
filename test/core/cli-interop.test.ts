import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, runHush, sopsVector, type GnupgHome } from "@hush/testkit";

const fixture = (name: string): string => sopsVector(name);

describe("hush decrypt on files written by SOPS (through gpg)", () => {
  let gpg: GnupgHome;
  beforeAll(() => {
    gpg = makeGnupgHome();
  });
  afterAll(() => gpg.cleanup());

  it.each([
    ["format.enc.yaml", "foo: bar\n"],
    ["format.enc.json", '{\n\t"foo": "bar"\n}\n'],
    ["format.enc.env", "foo = bar\n"],
    ["format.enc.ini", "[foo]\nbar = baz\n"],
    ["format-2.enc.ini", "[foo]\nbar = baz\n"],
  ])("%s decrypts to the exact bytes", (name, expected) => {
    const r = runHush(["decrypt", fixture(name)], { env: gpg.env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it("comments.enc.yaml decrypts to comments.yaml", () => {
    const r = runHush(["decrypt", fixture("comments.enc.yaml")], { env: gpg.env });
    expect(r.status).toBe(0);
    // SOPS always ends a document with a newline; comments.yaml itself has none.
    expect(r.stdout).toBe(readFileSync(fixture("comments.yaml"), "utf8") + "\n");
  });

  it.each(["key1", "key2"] as const)("multiple_keys.yaml opens with %s alone", (which) => {
    const fp = which === "key1" ? "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4" : "D7229043384BCC60326C6FB9D8720D957C3D3074";
    const single = makeGnupgHome({ onlySecretKey: fp });
    try {
      const r = runHush(["decrypt", fixture("multiple_keys.yaml")], { env: single.env });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("message: hello\n");
    } finally {
      single.cleanup();
    }
  });

  it("no_mac.yaml fails with exit 51 unless --ignore-mac", () => {
    const r = runHush(["decrypt", fixture("no_mac.yaml")], { env: gpg.env });
    expect(r.status).toBe(51);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/no_mac\.yaml: MAC mismatch/);
    // Short for a deploy log: what, then the way on.
    expect(r.stderr).toContain("MAC mismatch: the file has no MAC\n  next: restore the file from git, or, if the change is yours, save it with hush edit --ignore-mac for a new MAC\n");
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    const ok = runHush(["decrypt", "--ignore-mac", fixture("no_mac.yaml")], { env: gpg.env });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe("myapp1: t00m4nys3cr3tzupdated\n");
  });

  it("encrypts to a PGP key that gpg and hush open", () => {
    const dir = makeTempDir();
    try {
      const plain = join(dir.path, "s.yaml");
      writeFileSync(plain, "token: abc\n");
      const enc = runHush(["encrypt", "--pgp", "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4", plain], { env: gpg.env });
      expect(enc.status).toBe(0);
      expect(enc.stdout).toMatch(/fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4/);
      const back = runHush(["decrypt", "--input-type", "yaml"], { env: gpg.env, input: enc.stdout });
      expect(back.stdout).toBe("token: abc\n");
    } finally {
      dir.cleanup();
    }
  });
});

describe("age", () => {
  let dir: { path: string; cleanup: () => void };
  let recipient: string;
  let keyFile: string;
  beforeAll(() => {
    dir = makeTempDir();
    keyFile = join(dir.path, "key.txt");
    const r = runHush(["keygen", "-o", keyFile]);
    expect(r.status).toBe(0);
    recipient = /Public key: (age1\S+)/.exec(r.stderr)![1]!;
  });
  afterAll(() => dir.cleanup());

  it("writes enc entries that the age CLI decrypts to the 32-byte data key", () => {
    const which = spawnSync("age", ["--version"]);
    if (which.error) throw new Error("the age CLI is missing: apt-get install -y age");
    const plain = join(dir.path, "a.yaml");
    writeFileSync(plain, "password: hunter2\n");
    const enc = runHush(["encrypt", "--age", recipient, plain]);
    expect(enc.status).toBe(0);
    const armor = /enc: \|\n((?: {12}.*\n)+)/.exec(enc.stdout)![1]!.replace(/^ {12}/gm, "");
    const key = execFileSync("age", ["-d", "-i", keyFile], { input: armor });
    expect(key.length).toBe(32);
    // That key decrypts the file: decrypting with hush through the identity gives the plaintext.
    const back = runHush(["decrypt", "--input-type", "yaml"], { input: enc.stdout, env: { SOPS_AGE_KEY_FILE: keyFile } });
    expect(back.stdout).toBe("password: hunter2\n");
  });

  it("tampering is detected with SOPS's exit codes and no plaintext on stdout", () => {
    const plain = join(dir.path, "t.yaml");
    writeFileSync(plain, "alpha: first-secret\nbeta: second-secret\n");
    const enc = runHush(["encrypt", "--age", recipient, plain]).stdout;
    const env = { SOPS_AGE_KEY_FILE: keyFile };
    const decrypt = (text: string) => runHush(["decrypt", "--input-type", "yaml"], { input: text, env });

    // A changed ciphertext byte: the value fails authentication (exit 25).
    const tampered = enc.replace(/alpha: ENC\[AES256_GCM,data:(.)/, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A"));
    const t = decrypt(tampered);
    expect(t.status).toBe(25);
    expect(t.stdout).toBe("");
    expect(t.stderr).toMatch(/\["alpha"\]/);

    // A tampered MAC (exit 51).
    const badMac = enc.replace(/mac: ENC\[AES256_GCM,data:(.)/, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A"));
    expect(decrypt(badMac).status).toBe(51);

    // A value moved to another key: its AAD no longer matches (exit 25).
    const a = /alpha: (ENC\[[^\n]+)/.exec(enc)![1]!;
    const b = /beta: (ENC\[[^\n]+)/.exec(enc)![1]!;
    const swapped = enc.replace(a, "@@A").replace(b, a).replace("@@A", b);
    const s = decrypt(swapped);
    expect(s.status).toBe(25);
    expect(s.stdout).toBe("");
    expect(s.stderr).not.toMatch(/secret/);

    // A wrong key (exit 128).
    const other = join(dir.path, "other.txt");
    runHush(["keygen", "-o", other]);
    const w = runHush(["decrypt", "--input-type", "yaml"], { input: enc, env: { SOPS_AGE_KEY_FILE: other } });
    expect(w.status).toBe(128);
    expect(w.stdout).toBe("");
    expect(w.stderr).toContain(recipient);
  });

  it("refuses to encrypt an already encrypted file (exit 203) and writes nothing", () => {
    const plain = join(dir.path, "twice.yaml");
    writeFileSync(plain, "x: y\n");
    expect(runHush(["encrypt", "-i", "--age", recipient, plain]).status).toBe(0);
    const before = readFileSync(plain, "utf8");
    const again = runHush(["encrypt", "-i", "--age", recipient, plain]);
    expect(again.status).toBe(203);
    expect(readFileSync(plain, "utf8")).toBe(before);
  });

  it("refuses a YAML stream whose later document has a sops key (exit 203), naming its line, and writes nothing", () => {
    // SOPS reads the first document's sops block; a later one is where each document's copy goes.
    // It said "would not read back (duplicate key at line 20, in the encrypted text)", exit 23.
    const plain = join(dir.path, "stream.yaml");
    const text = "a: 1\n---\nb: 2\nsops: x\n";
    writeFileSync(plain, text);
    const r = runHush(["encrypt", "-i", "--age", recipient, plain]);
    expect(r.status).toBe(203);
    expect(r.stderr).toMatch(/stream\.yaml: .*sops.* at line 4/);
    expect(r.stderr).not.toMatch(/line 20|encrypted text/);
    expect(readFileSync(plain, "utf8")).toBe(text);
  });

  it("reports malformed input with the file and line, exit 2", () => {
    const bad = join(dir.path, "bad.yaml");
    writeFileSync(bad, "a: 1\nb: [unclosed\n");
    const r = runHush(["encrypt", "--age", recipient, bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: invalid YAML at line \d/);
  });
});
