import { copyFileSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHush } from "@hush/testkit";
import { bigYaml, changedLines, CLI_JS, encryptFile, keyedDir, nextSecond, type KeyedDir } from "./helpers.ts";
import { installFakeEditor } from "./fake-editor.ts";

describe("SOPS's command line as a drop-in", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("-e -i encrypts in place, -d decrypts to stdout, --set '[\"a\"] \"v\"' -i sets a value", async () => {
    const f = k.path("legacy.yaml");
    writeFileSync(f, "a: 1\nb: two\n");
    const enc = k.hush(["-e", "-i", "--age", k.recipient, f]);
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    expect(readFileSync(f, "utf8")).toMatch(/^a: ENC\[AES256_GCM,.*type:int\]\nb: ENC\[/);
    const dec = k.hush(["-d", f]);
    expect(dec.status).toBe(0);
    expect(dec.stdout).toBe("a: 1\nb: two\n");
    const set = k.hush(["--set", '["a"] "v"', "-i", f]);
    expect(set.stderr).toBe("");
    expect(set.status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: v\nb: two\n");
    const obj = k.hush(["--set", '["c"]["d"] {"e": true}', f]);
    expect(obj.status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: v\nb: two\nc:\n    d:\n        e: true\n");
  });

  it("legacy flags map to SOPS's exit codes", () => {
    const f = encryptFile(k, "codes.yaml", "a: 1\n");
    expect(k.hush(["-d", k.path("missing.yaml")]).status).toBe(100);
    expect(k.hush(["-e", k.path("missing.yaml")]).status).toBe(100);
    expect(k.hush(["--set", '["a"]"v"', f]).status).toBe(7);
    expect(k.hush(["-d", "--extract", "bad", f]).status).toBe(91);
    expect(k.hush(["-d", "-i", "--output", k.path("o.yaml"), f]).status).toBe(8);
    expect(k.hush(["-e", "--age", k.recipient, f]).status).toBe(203);
    expect(k.hush(["-r", "--add-age", k.recipient, k.path("missing.yaml")]).status).toBe(49);
    expect(k.hush(["--gcp-kms", "projects/x", "-e", f]).status).toBe(1);
    expect(k.hush(["-d", "--extract", '["a"]', f]).stdout).toBe("1\n");
  });

  it("a malformed --encryption-context is refused (exit 6, nothing written) with or without --kms, as SOPS does", () => {
    const plain = k.path("context.yaml");
    writeFileSync(plain, "a: 1\n");
    const arn = "arn:aws:kms:us-east-1:111122223333:key/0f0e0d0c-0b0a-0908-0706-050403020100";
    const cases: string[][] = [
      ["encrypt", "--age", k.recipient, "--encryption-context", "bad"],
      ["encrypt", "-i", "--age", k.recipient, "--encryption-context", "app:web,bad"],
      // SOPS splits each item at every colon: a value holding one is an error, not part of the value.
      ["encrypt", "--kms", arn, "--encryption-context", "app:web:x"],
      ["-e", "-i", "--age", k.recipient, "--encryption-context", "k1:v1,"],
    ];
    for (const args of cases) {
      const r = k.hush([...args, plain]);
      expect(r.status, args.join(" ")).toBe(6);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^hush: Invalid --encryption-context item .*: expected key:value/);
      expect(readFileSync(plain, "utf8")).toBe("a: 1\n");
    }
    const f = encryptFile(k, "context-rotate.yaml", "a: 1\n");
    const before = readFileSync(f, "utf8");
    expect(k.hush(["rotate", "-i", "--add-age", k.recipient, "--encryption-context", "x", f]).status).toBe(6);
    expect(readFileSync(f, "utf8")).toBe(before);
  });

  it("-e with a key option (--aws-profile, --encryption-context) encrypts: only --add-*/--rm-* mean rotate", async () => {
    const f = k.path("key-options.yaml");
    writeFileSync(f, "a: 1\n");
    const r = k.hush(["-e", "-i", "--age", k.recipient, "--aws-profile", "dev", "--encryption-context", "app:web", f]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(f, "utf8")).toMatch(/^a: ENC\[AES256_GCM,/);
    expect(await k.decrypt(f)).toBe("a: 1\n");
  });

  it("no mode flag means edit", async () => {
    const ed = installFakeEditor(k.dir);
    const f = encryptFile(k, "legacy-edit.yaml", "a: 1\n");
    const r = k.hush([f], { env: ed.env([{ replace: ["a: 1", "a: 2"] }]) });
    expect(r.status).toBe(0);
    expect(await k.decrypt(f)).toBe("a: 2\n");
    expect(k.hush([f], { env: ed.env([{ noop: true }]) }).status).toBe(200);
  });

  it("-r rotates (new data key, same values) to stdout", async () => {
    const f = encryptFile(k, "rot.yaml", "a: 1\n");
    const r = k.hush(["-r", f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^a: ENC\[/);
    expect(r.stdout).not.toBe(readFileSync(f, "utf8"));
  });

  it("SOPS-only global flags before a subcommand are accepted", () => {
    const f = encryptFile(k, "glob.yaml", "a: 1\n");
    const r = k.hush(["--disable-version-check", "--verbose", "decrypt", f]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("a: 1\n");
    expect(k.hush(["--check-for-updates", "filestatus", f]).stdout).toBe('{"encrypted":true}\n');
  });

  it("every subcommand that uses keys takes SOPS's --enable-local-keyservice, and refuses --keyservice with the reason, not as an unknown option", () => {
    const f = encryptFile(k, "keyservice.yaml", "a: 1\n");
    const plain = k.path("keyservice-plain.yaml");
    writeFileSync(plain, "a: 1\n");
    const config = k.path("keyservice.sops.yaml");
    writeFileSync(config, `creation_rules:\n  - age: ${k.recipient}\n`);
    const commands: string[][] = [
      ["encrypt", "--age", k.recipient, plain],
      ["decrypt", f],
      ["rotate", f],
      ["--config", config, "updatekeys", "--dry-run", f],
      ["groups", "add", "-f", f, "--age", k.recipient],
      ["groups", "delete", "-f", f, "--shamir-secret-sharing-threshold", "1", "0"],
      ["set", "--idempotent", f, '["a"]', "1"],
      ["unset", "--idempotent", f, '["b"]'],
    ];
    for (const args of commands) {
      const at = args.indexOf("--config") === 0 ? 3 : args[0] === "groups" ? 2 : 1;
      const withFlag = [...args.slice(0, at), "--enable-local-keyservice", ...args.slice(at)];
      const accepted = k.hush(withFlag);
      expect({ args, stderr: accepted.stderr }).not.toMatchObject({ stderr: expect.stringMatching(/unknown option/) });
      const remote = k.hush([...args.slice(0, at), "--keyservice", "unix:///nonexistent.sock", ...args.slice(at)]);
      expect({ args, status: remote.status, stderr: remote.stderr }).toEqual({ args, status: 1, stderr: "hush: --keyservice is not supported by hush: keys are used in this process\n" });
    }
    expect(readFileSync(plain, "utf8")).toBe("a: 1\n");
  });

  it("rotate takes SOPS's --filename-override and --output-type: the override chooses the format, another output type is refused, never ignored", async () => {
    const f = encryptFile(k, "rotate-types.yaml", "a: 1\n");
    const renamed = k.path("rotate-types.enc");
    copyFileSync(f, renamed);
    for (const args of [["rotate", "--filename-override", "x.yaml", renamed], ["-r", "--filename-override", "x.yaml", renamed]]) {
      const r = k.hush(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: "" });
      const out = k.path("rotate-types-out.yaml");
      writeFileSync(out, r.stdout);
      expect(await k.decrypt(out)).toBe("a: 1\n");
    }
    expect(k.hush(["rotate", "--output-type", "yaml", f])).toMatchObject({ status: 0, stderr: "" });
    const before = readFileSync(f, "utf8");
    for (const args of [["rotate", "--output-type", "json", f], ["-r", "--output-type", "json", f], ["rotate", "-i", "--output-type", "json", f]]) {
      const r = k.hush(args);
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 1, stdout: "" });
      expect(r.stderr).toMatch(/^hush: --output-type json: hush rotates .*rotate-types\.yaml in its own format \(yaml\) and does not convert it/);
    }
    expect(readFileSync(f, "utf8")).toBe(before);
  });

  it("a Huawei Cloud KMS key flag (--hckms, --add-hckms, --rm-hckms) is refused with the reason in every form, not as an unknown option", () => {
    const f = encryptFile(k, "hckms.yaml", "a: 1\n");
    const before = readFileSync(f, "utf8");
    const plain = k.path("hckms-plain.yaml");
    writeFileSync(plain, "a: 1\n");
    const key = "tenant:kms:cn-north-4:0123456789abcdef";
    const cases: Array<[string[], string]> = [
      [["encrypt", "--hckms", key, plain], "--hckms"],
      [["rotate", "-i", "--add-hckms", key, f], "--add-hckms"],
      [["rotate", "-i", "--rm-hckms", key, f], "--rm-hckms"],
      [["groups", "add", "-i", "-f", f, "--hckms", key], "--hckms"],
      [["edit", "--hckms", key, k.path("hckms-new.yaml")], "--hckms"],
      [["-e", "--hckms", key, plain], "--hckms"],
      [["-r", "-i", "--add-hckms", key, f], "--add-hckms"],
    ];
    for (const [args, flag] of cases) {
      const r = k.hush(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 1, stderr: `hush: ${flag}: hckms keys are not supported by hush (age, pgp, kms, gcp_kms, azure_kv, hc_vault are)\n` });
    }
    expect(readFileSync(f, "utf8")).toBe(before);
    expect(readFileSync(plain, "utf8")).toBe("a: 1\n");
  });

  it("SOPS-only global flags before a subcommand keep --indent given before them, and the subcommand's exit status", () => {
    const f = encryptFile(k, "glob-indent.yaml", "a:\n  b: 1\n");
    const r = k.hush(["--indent", "3", "--verbose", "decrypt", "--output-type", "json", f]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe('{\n   "a": {\n      "b": 1\n   }\n}\n');
    const missing = k.hush(["--disable-version-check", "decrypt", k.path("missing.yaml")]);
    expect(missing.status).toBe(100);
    expect(missing.stderr).toMatch(/missing\.yaml: no such file/);
  });

  it("-r -i --add-age rotates in place with an empty stdout, the summary on stderr", async () => {
    const f = encryptFile(k, "rot-add.yaml", "a: 1\n");
    const before = readFileSync(f, "utf8");
    const other = /Public key: (age1[0-9a-z]+)/.exec(k.hush(["keygen"]).stderr)?.[1] ?? "";
    const r = k.hush(["-r", "-i", "--add-age", other, f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    const after = readFileSync(f, "utf8");
    expect(after).not.toBe(before);
    expect(other).toMatch(/^age1/);
    expect(after).toContain(other);
    expect(await k.decrypt(f)).toBe("a: 1\n");
  });

  it("a mistyped subcommand is reported as such, not edited as a file", () => {
    const r = k.hush(["decrpyt", "x.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown command 'decrpyt'/);
    const one = k.hush(["nosuchcmd"]);
    expect(one.status).toBe(1);
    expect(one.stderr).toMatch(/unknown command 'nosuchcmd'/);
  });

  it("started as `sops`, --version answers in SOPS's form", () => {
    const link = k.path("sops");
    symlinkSync(CLI_JS, link);
    const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home" };
    for (const args of [["--version"], ["-v"], ["--disable-version-check", "--version"]]) {
      const r = spawnSync(process.execPath, [link, ...args], { env, encoding: "utf8" });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^sops 3\.13\.2 \(hush \d+\.\d+\.\d+\)\n$/);
    }
    const plain = k.hush(["--version"]);
    expect(plain.stdout).toMatch(/^hush \d+\.\d+\.\d+ \(sops 3\.13\.2 format\)\n$/);
  });

  it("filestatus says whether a file is encrypted", () => {
    const enc = encryptFile(k, "fs.yaml", "a: 1\n");
    expect(k.hush(["filestatus", enc])).toMatchObject({ status: 0, stdout: '{"encrypted":true}\n' });
    const plain = k.path("plain.yaml");
    writeFileSync(plain, "a: 1\n");
    expect(k.hush(["filestatus", plain])).toMatchObject({ status: 0, stdout: '{"encrypted":false}\n' });
    const nomac = k.path("nomac.yaml");
    writeFileSync(nomac, readFileSync(enc, "utf8").replace(/ {4}mac: .*\n/, '    mac: ""\n'));
    expect(k.hush(["filestatus", nomac]).stdout).toBe('{"encrypted":false}\n');
    const json = k.path("fs.json");
    writeFileSync(json, '{"a": 1}\n');
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, json]).status).toBe(0);
    expect(k.hush(["filestatus", json]).stdout).toBe('{"encrypted":true}\n');
    expect(k.hush(["filestatus", "--input-type", "json", json]).stdout).toBe('{"encrypted":true}\n');
  });

  it("filestatus of an encrypted file that cannot be read as its format, or whose sops section is broken, is an error naming the line, not {\"encrypted\":false}; a file without an encrypted value is not encrypted", () => {
    // An encrypted file left with conflict markers by a merge: SOPS's filestatus fails on it too.
    const enc = readFileSync(encryptFile(k, "conflicted.yaml", "a: 1\nb: 2\n"), "utf8");
    const conflicted = k.path("conflicted.yaml");
    writeFileSync(conflicted, enc.replace(/^b: .*\n/m, (line) => `<<<<<<< HEAD\n${line}=======\nb: 3\n>>>>>>> theirs\n`));
    const r = k.hush(["filestatus", conflicted]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^hush: [^\n]*conflicted\.yaml: invalid YAML at line 2[^\n]*\n$/);
    expect(r.status).toBe(2);
    const fromStdin = k.hush(["filestatus", "--input-type", "yaml", "-"], { input: readFileSync(conflicted, "utf8") });
    expect(fromStdin.stderr).toMatch(/^hush: stdin: invalid YAML at line 2/);
    expect(fromStdin.status).toBe(2);
    // An encrypted file whose sops section is not SOPS metadata.
    const broken = k.path("broken.yaml");
    writeFileSync(broken, enc.replace(/^ {4}age:\n(?: {8}.*\n)+/m, "    age: nope\n"));
    expect(k.hush(["filestatus", broken])).toMatchObject({ status: 2, stdout: "", stderr: expect.stringMatching(/broken\.yaml: invalid sops metadata: sops\.age is not a list\n$/) as unknown });
    // A file without an encrypted value is not encrypted, however it reads: a list of tool
    // versions with a top-level sops key, a plain file with a syntax error.
    for (const [name, text] of [["tools.yaml", "node: 20.19.0\nsops: 3.9.2\n"], ["tools2.yaml", "sops:\n    version: 3.9.2\n"], ["typo.yaml", "a: [1\n"]] as const) {
      writeFileSync(k.path(name), text);
      expect(k.hush(["filestatus", k.path(name)]), name).toMatchObject({ status: 0, stdout: '{"encrypted":false}\n' });
    }
    // A file whose name gives no format is read whole: any bytes are a file that is not encrypted.
    const notes = k.path("notes.txt");
    writeFileSync(notes, "{ not json\n");
    expect(k.hush(["filestatus", notes])).toMatchObject({ status: 0, stdout: '{"encrypted":false}\n' });
  });

  it("decrypt --extract prints values as SOPS does", () => {
    const f = encryptFile(k, "ex.yaml", "str: hello\nint: 0x1F\nfl: 1.50\nb: true\nmap:\n    k: v\nlist:\n    - 1\n    - two\nmultiline: |\n    multi\n    line\n");
    const ex = (p: string, ...more: string[]): ReturnType<KeyedDir["hush"]> => k.hush(["decrypt", ...more, "--extract", p, f]);
    expect(ex('["str"]').stdout).toBe("hello");
    expect(ex('["multiline"]').stdout).toBe("multi\nline\n");
    expect(ex('["int"]').stdout).toBe("31\n");
    expect(ex('["fl"]').stdout).toBe("1.5\n");
    expect(ex('["b"]').stdout).toBe("true\n");
    expect(ex('["map"]').stdout).toBe("k: v\n");
    expect(ex('["list"]').stdout).toBe("- 1\n- two\n");
    expect(ex('["list"][1]').stdout).toBe("two");
    expect(ex('["int"]', "--output-type", "json").stdout).toBe("31");
    expect(ex('["list"]', "--output-type", "json").stdout).toBe('[\n\t1,\n\t"two"\n]');
    expect(ex('["map"]', "--output-type", "json").stdout).toBe('{\n\t"k": "v"\n}\n');
    const missing = ex('["nope"]');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/component \["nope"\] not found/);
    const bad = ex("nope");
    expect(bad.status).toBe(91);
    // A newcomer's dotted path: the message shows the form to use (and never echoes the text).
    const dotted = ex("db.password");
    expect(dotted.status).toBe(91);
    expect(dotted.stderr).toBe(`hush: invalid tree path: component 1 is not ["key"] or [index] (e.g. '["key"]["sub"][0]')\n`);
  });

  it("encrypt -i of a .sops.yaml, or of the config --config names, is refused (exit 3) and leaves it in clear: every command would stop reading its rules", () => {
    mkdirSync(k.path("cfg/sub"), { recursive: true });
    const rules = `creation_rules:\n  - age: ${k.recipient}\n`;
    for (const name of ["cfg/.sops.yaml", "cfg/sub/.sops.yaml", "cfg/rules.yaml"]) writeFileSync(k.path(name), rules);
    for (const args of [["-i", ".sops.yaml"], ["--output", ".sops.yaml", ".sops.yaml"], ["-i", "sub/.sops.yaml"], ["--config", "rules.yaml", "-i", "rules.yaml"]]) {
      const r = runHush(["encrypt", ...args], { cwd: k.path("cfg"), env: k.env });
      expect(r.stderr, args.join(" ")).toBe(`hush: ${args.at(-1)!}: this is a configuration file (.sops.yaml) with the creation rules hush and SOPS read: encrypted, no command could read them; nothing was written\n  next: keep .sops.yaml in clear (recipients are public keys); put secrets in files its rules cover\n`);
      expect(r.status).toBe(3);
    }
    for (const name of ["cfg/.sops.yaml", "cfg/sub/.sops.yaml", "cfg/rules.yaml"]) expect(readFileSync(k.path(name), "utf8")).toBe(rules);
    // Printed, it goes nowhere near the file.
    expect(runHush(["encrypt", ".sops.yaml"], { cwd: k.path("cfg"), env: k.env }).status).toBe(0);
  });

  it.each([
    ["decrypt", "-i"],
    ["decrypt", "--output", "{file}"],
    ["decrypt", "--output", "{link}"],
    ["-d", "-i"],
  ])("decrypt --extract with %j over the file itself is refused (exit 8): the file kept one value, every other one was lost", (...args: string[]) => {
    const f = encryptFile(k, "keep-all.yaml", "db:\n    password: hunter2\n    user: app\napi_token: t-123\n");
    const link = k.path("keep-all-link.yaml");
    rmSync(link, { force: true });
    linkSync(f, link);
    const before = readFileSync(f);
    const r = k.hush([...args.map((a) => a.replace("{file}", f).replace("{link}", link)), "--extract", '["db"]["password"]', f]);
    const how = args.includes("-i") ? "--in-place" : "--output naming the file itself";
    expect(r.stderr).toBe(`hush: ${f}: --extract with ${how} would replace the whole file with the one value it extracts, and lose every other value; nothing was written\n  next: print the value (leave out ${args.includes("-i") ? "-i" : "--output"}), or write it to another file with --output\n`);
    expect(r.status).toBe(8);
    expect(r.stdout).toBe("");
    expect(readFileSync(f)).toEqual(before);
  });
});

describe("hush encrypt --reuse", () => {
  let k: KeyedDir;
  let base: string;
  let baseText: string;
  beforeAll(async () => {
    k = keyedDir();
    base = encryptFile(k, "big.yaml", bigYaml());
    baseText = readFileSync(base, "utf8");
    await nextSecond();
  });
  afterAll(() => k.cleanup());

  it("re-encrypting a whole plaintext with one changed value changes exactly three lines", async () => {
    const plain = k.path("big.plain.yaml");
    writeFileSync(plain, bigYaml().replace("value-7-7\n", "changed\n"));
    const r = k.hush(["encrypt", "--reuse", base, plain]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = changedLines(baseText, r.stdout).map((n) => r.stdout.split("\n")[n - 1]!);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {4}key7: ENC\[/);
    expect(lines[1]).toMatch(/^ {4}lastmodified: /);
    expect(lines[2]).toMatch(/^ {4}mac: ENC\[/);
  });

  it("--output over the old file itself works (read first, then replaced atomically)", async () => {
    const f = k.path("self.yaml");
    copyFileSync(base, f);
    const plain = k.path("self.plain.yaml");
    writeFileSync(plain, bigYaml().replace("value-0-0\n", "x\n"));
    expect(k.hush(["encrypt", "--reuse", f, "--output", f, plain]).status).toBe(0);
    expect(changedLines(baseText, readFileSync(f, "utf8"))).toHaveLength(3);
    expect(await k.decrypt(f)).toBe(bigYaml().replace("value-0-0\n", "x\n"));
  });

  it("keeps the keys and rules of the old file; key or rule flags are refused", () => {
    const plain = k.path("p.yaml");
    writeFileSync(plain, bigYaml());
    const r = k.hush(["encrypt", "--reuse", base, "--age", k.recipient, plain]);
    expect(r.status).toBe(8);
    expect(r.stderr).toMatch(/--reuse keeps the keys and rules/);
    const same = k.hush(["encrypt", "--reuse", base, plain]);
    expect(changedLines(baseText, same.stdout)).toHaveLength(2);
  });
});
