import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHush } from "@hush/testkit";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/** Several files per command, and `-` for standard input where a command reads it (and refused where it cannot). */
describe("many files per command, - for standard input", () => {
  let k: KeyedDir;
  let a: string;
  let b: string;
  beforeAll(() => {
    k = keyedDir();
    a = encryptFile(k, "a.yaml", "x: 1\ny: two\n");
    b = encryptFile(k, "b.env", "Z=3\n");
  });
  afterAll(() => k.cleanup());

  it("decrypt FILE FILE --output-dir DIR writes each plaintext there, 0600", () => {
    const out = k.path("out");
    mkdirSync(out);
    const r = k.hush(["decrypt", "--output-dir", out, a, b]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(`${out}/a.yaml`, "utf8")).toBe("x: 1\ny: two\n");
    expect(readFileSync(`${out}/b.env`, "utf8")).toBe("Z=3\n");
    expect(statSync(`${out}/a.yaml`).mode & 0o777).toBe(0o600);
  });

  it("decrypt -i of several files replaces each; nothing is written when one cannot be opened", () => {
    const c = encryptFile(k, "c.yaml", "c: 1\n");
    const d = encryptFile(k, "d.yaml", "d: 2\n");
    const broken = k.path("broken.yaml");
    writeFileSync(broken, readFileSync(d, "utf8").replace(/mac: ENC\[[^\]]*\]/, "mac: ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]"));
    const before = readFileSync(c, "utf8");
    const failed = k.hush(["decrypt", "-i", c, broken]);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(/broken\.yaml/);
    expect(readFileSync(c, "utf8")).toBe(before);
    const r = k.hush(["decrypt", "-i", c, d]);
    expect(r.status).toBe(0);
    expect(readFileSync(c, "utf8")).toBe("c: 1\n");
    expect(readFileSync(d, "utf8")).toBe("d: 2\n");
  });

  it("a link or a directory among the outputs is refused before any file is written (-i, --output-dir)", () => {
    const e = encryptFile(k, "e.yaml", "e: 1\n");
    const f = encryptFile(k, "f.yaml", "f: 2\n");
    const encrypted = readFileSync(e, "utf8");
    const link = k.path("link.yaml");
    symlinkSync(f, link);
    const inPlace = k.hush(["decrypt", "-i", e, link]);
    expect(inPlace.status).toBe(3);
    expect(inPlace.stderr).toMatch(/^hush: .*link\.yaml is a symbolic link/);
    expect(readFileSync(e, "utf8")).toBe(encrypted);
    const out = k.path("out-links");
    mkdirSync(out);
    symlinkSync(k.path("elsewhere.yaml"), `${out}/f.yaml`);
    const dir = k.hush(["decrypt", "--output-dir", out, e, f]);
    expect(dir.status).toBe(3);
    expect(dir.stderr).toMatch(/f\.yaml is a symbolic link/);
    expect(existsSync(`${out}/e.yaml`)).toBe(false);
    expect(existsSync(k.path("elsewhere.yaml"))).toBe(false);
    mkdirSync(k.path("out-dirs"));
    mkdirSync(k.path("out-dirs/f.yaml"));
    const notFile = k.hush(["decrypt", "--output-dir", k.path("out-dirs"), e, f]);
    expect(notFile.status).toBe(3);
    expect(notFile.stderr).toMatch(/f\.yaml: not a regular file/);
    expect(existsSync(k.path("out-dirs/e.yaml"))).toBe(false);
    expect(lstatSync(k.path("out-dirs/f.yaml")).isDirectory()).toBe(true);
  });

  it("refuses several files to standard output, and names clashing in --output-dir", () => {
    const r = k.hush(["decrypt", a, b]);
    expect(r.status).toBe(8);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/several files are not decrypted to standard output.*--output-dir DIR, -i/);
    mkdirSync(k.path("sub"));
    const same = encryptFile(k, "sub/a.yaml", "x: 9\n");
    mkdirSync(k.path("out2"));
    const clash = k.hush(["decrypt", "--output-dir", k.path("out2"), a, same]);
    expect(clash.status).toBe(8);
    expect(clash.stderr).toMatch(/would both be written to/);
  });

  it("refuses --output-dir naming the files' own directory however spelled (a link to it, /proc/self/cwd): the encrypted files were replaced with plaintext", () => {
    mkdirSync(k.path("own"));
    const g = encryptFile(k, "own/g.yaml", "g: 1\n");
    const h = encryptFile(k, "own/h.yaml", "h: 2\n");
    const encrypted = [readFileSync(g, "utf8"), readFileSync(h, "utf8")];
    symlinkSync(".", k.path("own/same"));
    for (const dir of ["same", "/proc/self/cwd"]) {
      const r = runHush(["decrypt", "--output-dir", dir, "g.yaml", "h.yaml"], { cwd: k.path("own"), env: k.env });
      expect(r.stderr).toBe("hush: g.yaml: --output-dir is the file's own directory; use -i to replace encrypted files with their plaintext\n");
      expect(r.status).toBe(8);
      expect([readFileSync(g, "utf8"), readFileSync(h, "utf8")]).toEqual(encrypted);
    }
  });

  it("decrypt - and encrypt - read standard input", () => {
    const dec = k.hush(["decrypt", "--input-type", "yaml", "-"], { input: readFileSync(a, "utf8") });
    expect(dec.status).toBe(0);
    expect(dec.stdout).toBe("x: 1\ny: two\n");
    const enc = k.hush(["encrypt", "--input-type", "yaml", "--age", k.recipient, "-"], { input: "s: 1\n" });
    expect(enc.status).toBe(0);
    expect(enc.stdout).toMatch(/^s: ENC\[AES256_GCM,/);
  });

  it("verify checks several files and - in one process", () => {
    const r = k.hush(["verify", "--input-type", "yaml", "-", a], { input: readFileSync(a, "utf8") });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok: stdin\n/);
    expect(r.stdout).toMatch(/ok: .*a\.yaml\n/);
  });

  it("verify of directories that hold no encrypted file fails, naming them: a mistyped or moved path verified nothing and passed", () => {
    mkdirSync(k.path("verify-none/plain"), { recursive: true });
    writeFileSync(k.path("verify-none/plain/settings.yaml"), "port: 8080\n");
    const r = k.hush(["verify", "verify-none"]);
    expect(r.stdout).toBe("verify: 0 ok, 1 skipped (not encrypted), 0 failed\n");
    expect(r.stderr).toBe("hush: no encrypted file found to verify in verify-none\n  next: name the encrypted files, or the directories that hold them (a file's format comes from its name, or from --input-type)\n");
    expect(r.status).toBe(100);
    // One encrypted file among them is enough.
    copyFileSync(a, k.path("verify-none/a.yaml"));
    expect(k.hush(["verify", "verify-none"]).status).toBe(0);
  });

  it("verify of one named file in clear says what decrypt says: not encrypted, and how to encrypt it", () => {
    writeFileSync(k.path("verify-plain.yaml"), "port: 8080\n");
    const r = k.hush(["verify", "verify-plain.yaml"]);
    expect(r.stderr).toBe("hush: verify-plain.yaml: sops metadata not found\n  next: the file is not encrypted; `hush encrypt -i` encrypts it in place\n");
    expect(r.status).toBe(1);
  });

  it("verify, rotate and updatekeys name a missing file as it was given, not by its absolute path", () => {
    writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${k.recipient}\n`);
    for (const args of [["verify", "gone.enc.yaml"], ["rotate", "-i", "gone.enc.yaml"], ["updatekeys", "-y", "gone.enc.yaml"]]) {
      const r = k.hush(args);
      expect([r.stderr, r.status], args.join(" ")).toEqual(["hush: gone.enc.yaml: no such file\n", 100]);
    }
  });

  it("filestatus - reads standard input", () => {
    const r = k.hush(["filestatus", "--input-type", "yaml", "-"], { input: readFileSync(a, "utf8") });
    expect(r.stdout).toBe('{"encrypted":true}\n');
    // Without a type an encrypted YAML document would be read as binary and called not encrypted.
    const untyped = k.hush(["filestatus", "-"], { input: readFileSync(a, "utf8") });
    expect(untyped.stdout).toBe("");
    expect(untyped.stderr).toBe("hush: filestatus of standard input (-) needs --input-type\n");
    expect(untyped.status).toBe(8);
  });

  it("rotate, updatekeys, groups and access, which work on files by name, refuse - with one line instead of looking for a file called -; their help does not offer it", () => {
    const input = readFileSync(a, "utf8");
    writeFileSync(k.path(".sops.yaml"), `creation_rules:\n  - age: ${k.recipient}\n`);
    for (const args of [["rotate", "--input-type", "yaml", "-"], ["updatekeys", "-y", "--input-type", "yaml", "-"], ["groups", "delete", "-f", "-", "0"], ["access", "-"]]) {
      const r = k.hush(args, { input });
      expect(r.stderr, args.join(" ")).toBe("hush: standard input (-) is not read here: name the encrypted files or directories (./- for a file called -)\n");
      expect(r.status, args.join(" ")).toBe(8);
      expect(r.stdout, args.join(" ")).toBe("");
    }
    for (const command of ["rotate", "updatekeys"]) expect(k.hush([command, "--help"]).stdout, command).not.toContain("standard input");
    expect(k.hush(["verify", "--help"]).stdout).toMatch(/\(- for\s+standard\s+input, with\s+--input-type\)/);
  });

  it("the SOPS flag form reads standard input when no file is given, or -", () => {
    const input = readFileSync(a, "utf8");
    const none = k.hush(["-d", "--input-type", "yaml"], { input });
    expect(none.stderr).toBe("");
    expect(none.stdout).toBe("x: 1\ny: two\n");
    const dash = k.hush(["-d", "--input-type", "yaml", "-"], { input });
    expect(dash.stdout).toBe("x: 1\ny: two\n");
    // A second operand gets SOPS's warning, `-` first included (it is not a mistyped command).
    const twice = k.hush(["-d", "--input-type", "yaml", "-", a], { input });
    expect(twice.stderr).toBe("hush: warning: more than one file given; using - (flags must come before the file)\n");
    expect(twice.stdout).toBe("x: 1\ny: two\n");
    const enc = k.hush(["-e", "--input-type", "yaml", "--age", k.recipient], { input: "s: 1\n" });
    expect(enc.status).toBe(0);
    expect(enc.stdout).toMatch(/^s: ENC\[AES256_GCM,/);
    // Without a type, standard input is read as SOPS does (binary); the error says what to give.
    const untyped = k.hush(["-d"], { input });
    expect(untyped.status).toBe(1);
    expect(untyped.stderr).toBe("hush: stdin: sops metadata not found\n  next: standard input has no file name to tell its format: give --input-type yaml, json, dotenv, ini, toml or binary\n");
    // Nothing on standard input either: the file was forgotten (SOPS's status).
    const empty = k.hush(["-d", "--input-type", "yaml"], { input: "" });
    expect(empty.status).toBe(100);
    expect(empty.stderr).toMatch(/no file specified/);
  });

  it("exec-file takes one file before --, and says so in one line", () => {
    const r = k.hush(["exec-file", a, b, "--", "cat", "{}"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("hush: error: exec-file takes one file before --; 2 given\n");
  });

  it("exec-file FILE -- PROGRAM {} runs without a shell and can redact", () => {
    const r = k.hush(["exec-file", "--redact", a, "--", "cat", "{}"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("x: [redacted]\ny: [redacted]\n");
  });
});
