import { closeSync, existsSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, runHush } from "@hush/testkit";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";
import { installFakeEditor, type EditorRun } from "./fake-editor.ts";
import { openTerminal } from "./terminal.ts";

function runs(log: string): EditorRun[] {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as EditorRun);
}

/**
 * A newcomer's first hour: the commands a new user types first, and the mistakes they make,
 * each answered with a clear message, the right exit status, and nothing lost.
 */
describe("a newcomer's first hour", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("keygen -o ~/.config/sops/age/keys.txt on a fresh HOME makes the directories (0700)", () => {
    const home = makeTempDir("hush-home-");
    try {
      const r = runHush(["keygen", "-o", join(home.path, ".config/sops/age/keys.txt")], { home: home.path });
      expect(r.stderr).toMatch(/^Public key: age1[0-9a-z]+\n$/);
      expect(r.status).toBe(0);
      const key = join(home.path, ".config/sops/age/keys.txt");
      expect(statSync(key).mode & 0o777).toBe(0o600);
      for (const d of [".config", ".config/sops", ".config/sops/age"]) expect(statSync(join(home.path, d)).mode & 0o777).toBe(0o700);
      // The default place is then found without any environment variable.
      writeFileSync(join(home.path, "s.yaml"), "a: 1\n");
      const recipient = /age1[0-9a-z]+/.exec(r.stderr)![0];
      expect(runHush(["encrypt", "-i", "--age", recipient, "s.yaml"], { cwd: home.path, home: home.path }).status).toBe(0);
      expect(runHush(["decrypt", "s.yaml"], { cwd: home.path, home: home.path }).stdout).toBe("a: 1\n");
      // Run again, as a newcomer does: the key is kept, and the message says where its public key is.
      const before = readFileSync(key, "utf8");
      const again = runHush(["keygen", "-o", key], { home: home.path });
      expect(again.status).toBe(1);
      expect(again.stderr).toBe(
        `hush: ${key}: already exists, not overwriting a key file\n` +
          "  next: its public key is on its \"# public key:\" line; to make another key, give another path with -o\n",
      );
      expect(readFileSync(key, "utf8")).toBe(before);
    } finally {
      home.cleanup();
    }
  });

  it("keygen to a world-readable file warns, as age-keygen does; a -o whose directory cannot be made is exit 3 naming it", () => {
    // `hush keygen > key.txt`: the shell makes the file with its umask (0644 as a rule).
    const keygenInto = (name: string, mode: number): { stderr: string; status: number | null; key: string } => {
      const path = k.path(name);
      const fd = openSync(path, "w", mode);
      fchmodSync(fd, mode);
      try {
        const r = spawnSync(process.execPath, [CLI_JS, "keygen"], { cwd: k.dir, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: k.dir }, stdio: ["ignore", fd, "pipe"], encoding: "utf8" });
        return { stderr: r.stderr, status: r.status, key: readFileSync(path, "utf8") };
      } finally {
        closeSync(fd);
      }
    };
    const open = keygenInto("open-key.txt", 0o644);
    expect(open.status).toBe(0);
    expect(open.stderr).toMatch(/^hush: warning: writing the secret key to a world-readable file; chmod 600 it, or use -o FILE \(made with mode 0600\)\nPublic key: age1[0-9a-z]+\n$/);
    expect(open.key).toMatch(/^# created: .*\n# public key: age1[0-9a-z]+\nAGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    const private_ = keygenInto("private-key.txt", 0o600);
    expect(private_.stderr).toMatch(/^Public key: age1[0-9a-z]+\n$/);
    // Through a pipe: nothing to warn about.
    expect(k.hush(["keygen"]).stderr).toMatch(/^Public key: age1[0-9a-z]+\n$/);

    // The directories -o needs cannot be made: a file, or a link leading nowhere, in the way.
    writeFileSync(k.path("a-file"), "");
    symlinkSync(k.path("nowhere"), k.path("dangling"));
    for (const [output, dir, why] of [
      ["a-file/keys/k.txt", "a-file/keys", "ENOTDIR): a file is in the way"],
      ["dangling/keys/k.txt", "dangling/keys", "ENOENT): a link on the way leads nowhere"],
    ] as const) {
      const r = k.hush(["keygen", "-o", output]);
      expect(r.stderr, output).toBe(`hush: ${output}: cannot make its directory ${dir} (${why}; give -o a path in a directory you can write\n`);
      expect(r.status, output).toBe(3);
    }
    expect(existsSync(k.path("nowhere"))).toBe(false);
  });

  it("a mistyped command gets a suggestion; `help` and `help COMMAND` work, also as `sops`", () => {
    const typo = k.hush(["decrypy"]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toBe("hush: error: unknown command 'decrypy' (did you mean 'decrypt'? See `hush help` for all commands)\n");
    const two = k.hush(["updatekey", "x"]);
    expect(two.stderr).toContain("did you mean 'updatekeys'?");
    const help = k.hush(["help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hush /);
    expect(help.stdout).toContain("help [command]");
    const helpDecrypt = k.hush(["help", "decrypt"]);
    expect(helpDecrypt.status).toBe(0);
    expect(helpDecrypt.stdout).toMatch(/^Usage: hush decrypt /);
    // A command inside a command: `help` follows the whole path, as `--help` does.
    for (const path of [["groups", "add"], ["git", "setup"]]) {
      const nested = k.hush(["help", ...path]);
      expect(nested.status, path.join(" ")).toBe(0);
      expect(nested.stdout, path.join(" ")).toMatch(new RegExp(`^Usage: hush ${path.join(" ")} `));
    }
    // `git diff`, `log` and `show` hand their arguments to git, but their help is hush's, and
    // says where git's is.
    for (const args of [["help", "git", "diff"], ["git", "log", "--help"], ["git", "show", "-h"], ["git", "diff", "HEAD~1", "--help"]]) {
      const r = k.hush(args);
      expect(r.stderr, args.join(" ")).toBe("");
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(new RegExp(`^Usage: hush git ${args.find((a) => /^(diff|log|show)$/.test(a))} `));
      expect(r.stdout, args.join(" ")).toContain("`git help");
    }
    // After `--` a `--help` is a path, git's to read.
    expect(k.hush(["git", "diff", "--", "--help"]).stdout).not.toContain("Usage: hush");
    const unknownInside = k.hush(["help", "git", "setpu"]);
    expect(unknownInside.status).toBe(1);
    expect(unknownInside.stderr).toMatch(/^hush: error: unknown command 'setpu'\n/);
    const unknown = k.hush(["help", "decrypy"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe("hush: error: unknown command 'decrypy' (did you mean 'decrypt'? See `hush help` for all commands)\n");
    // Words after a command that has no commands inside are not run as its arguments: `help`
    // shows help, and never decrypts (or rewrites) a file.
    const secret = encryptFile(k, "help-args.yaml", "token: help-args-Qz81\n");
    for (const args of [["help", "decrypt", secret], ["help", "decrypt", "-i", secret]]) {
      const r = k.hush(args);
      expect(r.status, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).toMatch(/^Usage: hush decrypt /);
    }
    expect(readFileSync(secret, "utf8")).toContain("token: ENC[");
    // `help help` and `help --help` are commander's own, as before.
    for (const args of [["help", "help"], ["help", "--help"], ["help", "-h"]]) {
      const r = k.hush(args);
      expect(r.stdout + r.stderr, args.join(" ")).toMatch(/^Usage: hush /);
    }
    const link = k.path("sops");
    symlinkSync(CLI_JS, link);
    const asSops = spawnSync(process.execPath, [link, "help"], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home" }, encoding: "utf8" });
    expect(asSops.status).toBe(0);
    expect(asSops.stdout).toContain("Usage: ");
  });

  it("a command without its file says so in two lines and exits 100, as SOPS does; a wrong flag is two lines too", () => {
    for (const args of [["edit"], ["filestatus"], ["updatekeys"], ["git", "resolve"]]) {
      const r = k.hush(args);
      expect(r.stderr, args.join(" ")).toMatch(/^hush: error: missing required argument '(file|paths)'\n {2}next: add --help for the command's usage\n$/);
      expect(r.status, args.join(" ")).toBe(100);
    }
    const flag = k.hush(["decrypt", "--no-such-flag", "x.yaml"]);
    expect(flag.stderr).toBe("hush: error: unknown option '--no-such-flag'\n  next: add --help for the command's usage\n");
    expect(flag.status).toBe(1);
    const sopsFlag = k.hush(["-d", "--no-such-flag", "x.yaml"]);
    expect(sopsFlag.stderr).toBe("hush: error: unknown option '--no-such-flag'\n  next: `hush --help` shows the commands and SOPS's flag form\n");
    expect(sopsFlag.status).toBe(1);
  });

  it("groups add --help: each key flag names what it takes, for the new group, without commander's `(default: [])`", () => {
    const help = k.hush(["groups", "add", "--help"]);
    expect(help.status).toBe(0);
    const text = help.stdout.replace(/\s+/g, " ");
    expect(text).toContain("--age <recipients> age recipients, comma separated, for the new group (repeatable)");
    expect(text).not.toContain("(default: [])");
  });

  it("audit --help explains the FLAGS column of its table", () => {
    const help = k.hush(["audit", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, " ")).toContain(
      "FLAGS column: STALE: older than --max-age; rekey: that commit gave the whole file a new data key (its first version, or a rotation: the value itself may not have changed)",
    );
  });

  it("sops -r -i keeps stdout empty: the summary is a message, on stderr", async () => {
    const f = encryptFile(k, "rot-in-place.yaml", "a: 1\n");
    const before = readFileSync(f, "utf8");
    const r = k.hush(["-r", "-i", f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("rotate: 1 rotated, 0 failed");
    expect(readFileSync(f, "utf8")).not.toBe(before);
    expect(await k.decrypt(f)).toBe("a: 1\n");
  });

  describe(".sops.yaml typos are errors with the line and a suggestion", () => {
    const cases: Array<[string, (r: string) => string, string]> = [
      ["path-regex", (r) => `creation_rules:\n  - path-regex: prod/.*\n    age: ${r}\n`, 'line 2: unknown key "path-regex" in creation_rules[0]; did you mean "path_regex"?'],
      ["agee", (r) => `creation_rules:\n  - path_regex: .*\n    agee: ${r}\n`, 'line 3: unknown key "agee" in creation_rules[0]; did you mean "age"?'],
      ["creation_rule", (r) => `creation_rule:\n  - age: ${r}\n`, 'line 1: unknown key "creation_rule" in the top level; did you mean "creation_rules"?'],
      ["key group", (r) => `creation_rules:\n  - key_groups:\n      - age: [${r}]\n        pgpp: []\n`, 'line 4: unknown key "pgpp" in creation_rules[0].key_groups[0]; did you mean "pgp"?'],
      // SOPS joins a list's items with "," and splits them again: two recipients to it, one to hush.
      ["two recipients in one list item", (r) => `creation_rules:\n  - age:\n      - "${r},${r.replace(/.$/, "q")}"\n`, "line 3: creation_rules[0].age[0] holds a comma: SOPS reads a list item as comma-separated keys; write one key per item"],
      ["a key out of line", (r) => `creation_rules:\n  - path_regex: ^secrets/\n  age: ${r}\n`, "not valid YAML (line 3): the indentation does not match the lines around it"],
      ["a missing ':'", (r) => `creation_rules:\n  - path_regex ^secrets/\n    age: ${r}\n`, "not valid YAML (line 2): a key must fit on one line (a missing ':' or a quote left open?)"],
    ];
    it.each(cases)("%s", (_name, config, expected) => {
      const dir = makeTempDir("hush-cfg-");
      try {
        writeFileSync(join(dir.path, ".sops.yaml"), config(k.recipient));
        writeFileSync(join(dir.path, "s.yaml"), "a: 1\n");
        const r = runHush(["encrypt", "-i", "s.yaml"], { cwd: dir.path });
        expect(r.status).toBe(1);
        expect(r.stderr).toBe(`hush: ${join(dir.path, ".sops.yaml")}: invalid .sops.yaml: ${expected}\n`);
        expect(readFileSync(join(dir.path, "s.yaml"), "utf8")).toBe("a: 1\n");
      } finally {
        dir.cleanup();
      }
    });

    it("a path_regex that is not a regular expression names .sops.yaml and the rule, for encrypt, updatekeys and git setup", () => {
      const dir = makeTempDir("hush-cfg-");
      try {
        const config = join(dir.path, ".sops.yaml");
        mkdirSync(join(dir.path, "secrets"));
        writeFileSync(join(dir.path, "secrets", "b.yaml"), "b: 1\n");
        expect(runHush(["encrypt", "-i", "--age", k.recipient, "secrets/b.yaml"], { cwd: dir.path }).status).toBe(0);
        const encrypted = readFileSync(join(dir.path, "secrets", "b.yaml"), "utf8");
        writeFileSync(config, `creation_rules:\n  - path_regex: ^secrets/(\n    age: ${k.recipient}\n`);
        writeFileSync(join(dir.path, "secrets", "a.yaml"), "a: 1\n");
        expect(spawnSync("git", ["init", "-q"], { cwd: dir.path }).status).toBe(0);
        const expected = `hush: ${config}: creation_rules[0].path_regex: invalid regular expression\n`;
        for (const args of [["encrypt", "-i", "secrets/a.yaml"], ["updatekeys", "-y", "secrets/b.yaml"], ["git", "setup"]]) {
          const r = runHush(args, { cwd: dir.path, env: k.env });
          expect(r.stderr, args.join(" ")).toBe(expected);
          expect(r.status).toBe(1);
        }
        expect(readFileSync(join(dir.path, "secrets", "a.yaml"), "utf8")).toBe("a: 1\n");
        expect(readFileSync(join(dir.path, "secrets", "b.yaml"), "utf8")).toBe(encrypted);
      } finally {
        dir.cleanup();
      }
    });

    it("a path_regex written as a glob gets the regular expression that matches what the glob would", () => {
      const dir = makeTempDir("hush-cfg-");
      try {
        const config = join(dir.path, ".sops.yaml");
        mkdirSync(join(dir.path, "secrets"));
        writeFileSync(join(dir.path, "secrets", "a.yaml"), "a: 1\n");
        // Not a regular expression at all: a leading * repeats nothing.
        writeFileSync(config, `creation_rules:\n  - path_regex: "*.yaml"\n    age: ${k.recipient}\n`);
        const invalid = runHush(["encrypt", "-i", "secrets/a.yaml"], { cwd: dir.path, env: k.env });
        expect(invalid.stderr).toBe(
          `hush: ${config}: creation_rules[0].path_regex: invalid regular expression\n` +
            `  it is RE2 syntax, not a glob: "^[^/]*\\\\.yaml$" matches what the glob "*.yaml" would\n`,
        );
        expect(invalid.status).toBe(1);
        // A regular expression, but not the one meant: secrets followed by slashes, any character, yaml.
        writeFileSync(config, `creation_rules:\n  - path_regex: secrets/*.yaml\n    age: ${k.recipient}\n`);
        const unmatched = runHush(["encrypt", "-i", "secrets/a.yaml"], { cwd: dir.path, env: k.env });
        expect(unmatched.stderr).toBe(
          "hush: no matching creation rules found for secrets/a.yaml\n" +
            `  creation_rules[0].path_regex "secrets/*.yaml" is RE2 syntax, not a glob: "^secrets/[^/]*\\\\.yaml$" matches secrets/a.yaml\n` +
            `  next: add a creation rule whose path_regex matches secrets/a.yaml (relative to ${dir.path}) to ${config}, or name another config with --config\n`,
        );
        expect(unmatched.status).toBe(1);
        expect(readFileSync(join(dir.path, "secrets", "a.yaml"), "utf8")).toBe("a: 1\n");
      } finally {
        dir.cleanup();
      }
    });

    it("a recipient in a rule that is not one (a typo, a YAML alias inside a string) names the rule it came from", () => {
      const dir = makeTempDir("hush-cfg-");
      try {
        const config = join(dir.path, ".sops.yaml");
        mkdirSync(join(dir.path, "secrets"));
        writeFileSync(join(dir.path, "secrets", "a.yaml"), "a: 1\n");
        writeFileSync(config, `creation_rules:\n  - path_regex: ^secrets/\n    age: ${k.recipient},*bob\n`);
        const r = runHush(["encrypt", "-i", "secrets/a.yaml"], { cwd: dir.path, env: k.env });
        expect(r.stderr).toBe(
          'hush: secrets/a.yaml: group 0: age key *bob: invalid age recipient "*bob": expected age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …\n' +
            `  next: the key is named by the creation rule in ${config} (path_regex "^secrets/"): fix it there\n`,
        );
        expect(r.status).toBe(1);
        expect(readFileSync(join(dir.path, "secrets", "a.yaml"), "utf8")).toBe("a: 1\n");
        // A key given on the command line is the command line's to fix.
        const flag = runHush(["encrypt", "-i", "--age", "age1typo", "secrets/a.yaml"], { cwd: dir.path, env: k.env });
        expect(flag.stderr).not.toContain("next: the key is named by the creation rule");
        expect(flag.status).toBe(1);
      } finally {
        dir.cleanup();
      }
    });

    it("an encrypted_regex that is not a regular expression says where the rule came from", () => {
      const dir = makeTempDir("hush-cfg-");
      try {
        const config = join(dir.path, ".sops.yaml");
        writeFileSync(config, `creation_rules:\n  - path_regex: ^s/\n    encrypted_regex: "^(pass"\n    age: ${k.recipient}\n`);
        mkdirSync(join(dir.path, "s"));
        writeFileSync(join(dir.path, "s", "a.yaml"), "password: x\n");
        const fromConfig = runHush(["encrypt", "-i", "s/a.yaml"], { cwd: dir.path });
        expect(fromConfig.stderr).toBe(`hush: s/a.yaml: encrypted_regex: invalid regular expression (rule from the creation rule in ${config}); nothing was written\n`);
        expect(fromConfig.status).toBe(1);
        const fromFlag = runHush(["encrypt", "--config", "/dev/null", "--age", k.recipient, "--encrypted-regex", "(", "s/a.yaml"], { cwd: dir.path });
        expect(fromFlag.stderr).toBe("hush: s/a.yaml: encrypted_regex: invalid regular expression (rule from the command line); nothing was written\n");
        expect(fromFlag.status).toBe(1);
        expect(readFileSync(join(dir.path, "s", "a.yaml"), "utf8")).toBe("password: x\n");
      } finally {
        dir.cleanup();
      }
    });

    it("every key SOPS 3.13 reads is accepted, and a top-level key that only holds anchors", () => {
      const dir = makeTempDir("hush-cfg-");
      try {
        const r = k.recipient;
        writeFileSync(
          join(dir.path, ".sops.yaml"),
          [
            "keys:",
            `  - &me ${r}`,
            "creation_rules:",
            "  - path_regex: never/.*",
            "    kms: ''",
            "    aws_profile: p",
            "    pgp: ''",
            "    gcp_kms: ''",
            "    hckms: []",
            "    azure_keyvault: ''",
            "    hc_vault_transit_uri: ''",
            "    unencrypted_suffix: _plain",
            "    mac_only_encrypted: false",
            "  - path_regex: never2/.*",
            "    encrypted_regex: x",
            "    shamir_threshold: 1",
            "    key_groups:",
            "      - age: [*me]",
            "        kms: [{arn: 'arn:aws:kms:eu-west-1:111122223333:key/a', role: '', context: {a: b}, aws_profile: ''}]",
            "        merge: [{age: [*me], pgp: []}]",
            "        gcp_kms: []",
            "        hckms: []",
            "        azure_keyvault: []",
            "        hc_vault: []",
            "  - age: *me",
            "destination_rules:",
            "  - path_regex: x",
            "    s3_bucket: b",
            "    s3_prefix: p",
            "    gcs_bucket: g",
            "    gcs_prefix: p",
            "    vault_path: v",
            "    vault_address: a",
            "    vault_kv_mount_name: m",
            "    vault_kv_version: 2",
            "    omit_extensions: true",
            "    recreation_rule: {age: *me, encrypted_suffix: _enc}",
            "stores:",
            "  yaml: {indent: 2}",
            "  json: {indent: 2}",
            "  json_binary: {indent: 2}",
            "  dotenv: {}",
            "  ini: {}",
            "",
          ].join("\n"),
        );
        writeFileSync(join(dir.path, "s.yaml"), "a: 1\n");
        const enc = runHush(["encrypt", "-i", "s.yaml"], { cwd: dir.path });
        expect(enc.stderr).toBe("");
        expect(enc.status).toBe(0);
      } finally {
        dir.cleanup();
      }
    });
  });

  it("a rule built with a YAML merge key (<<: *defaults) gets its keys, as go-yaml gives SOPS", async () => {
    const dir = makeTempDir("hush-cfg-");
    try {
      writeFileSync(join(dir.path, ".sops.yaml"), `defaults: &d\n  age: ${k.recipient}\ncreation_rules:\n  - <<: *d\n    path_regex: .*\n`);
      writeFileSync(join(dir.path, "s.yaml"), "a: 1\n");
      const r = runHush(["encrypt", "-i", "s.yaml"], { cwd: dir.path });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(await k.decrypt(join(dir.path, "s.yaml"))).toBe("a: 1\n");
    } finally {
      dir.cleanup();
    }
  });

  it("encrypt refuses a rule that matches no value (exit 23, nothing written) unless --allow-no-values", () => {
    const f = k.path("app.env");
    writeFileSync(f, "DB_PASSWORD=s3cret-marker\nAPI_URL=https://example.test\n");
    for (const args of [["encrypt", "-i"], ["-e", "-i"], ["encrypt", "--output", k.path("out.env")]]) {
      const r = k.hush([...args, "--encrypted-regex", "^(data|stringData)$", "--age", k.recipient, f]);
      expect(r.status).toBe(23);
      expect(r.stderr).toBe(
        `hush: ${f}: encrypted_regex "^(data|stringData)$" matched none of the 2 values: nothing would be encrypted (rule from the command line); nothing was written\n` +
          "  next: fix the rule so that it selects the keys to encrypt, or pass --allow-no-values to write the file with every value in plaintext\n",
      );
      expect(readFileSync(f, "utf8")).toBe("DB_PASSWORD=s3cret-marker\nAPI_URL=https://example.test\n");
      expect(existsSync(k.path("out.env"))).toBe(false);
    }
    const cfg = k.path("cfg.yaml");
    writeFileSync(cfg, `creation_rules:\n  - encrypted_regex: ^data$\n    age: ${k.recipient}\n`);
    const fromConfig = k.hush(["--config", cfg, "encrypt", f]);
    expect(fromConfig.status).toBe(23);
    expect(fromConfig.stderr).toContain(`(rule from the creation rule in ${cfg})`);
    // A rule that leaves every value in clear says so (it matched them all).
    const clear = k.hush(["encrypt", "--unencrypted-regex", "^(DB_PASSWORD|API_URL)$", "--age", k.recipient, f]);
    expect(clear.status).toBe(23);
    expect(clear.stderr).toContain(`unencrypted_regex "^(DB_PASSWORD|API_URL)$" leaves all 2 values in plaintext: nothing would be encrypted (rule from the command line); nothing was written\n`);
    const allowed = k.hush(["encrypt", "--allow-no-values", "--encrypted-regex", "^data$", "--age", k.recipient, f]);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain("DB_PASSWORD=s3cret-marker\n");
  });

  it("encrypt with no rule for the file: SOPS's line, then the next step for each cause (no .sops.yaml, no creation_rules, no rule matching)", () => {
    const dir = makeTempDir("hush-norule-");
    try {
      mkdirSync(join(dir.path, "sub"));
      writeFileSync(join(dir.path, "sub", "x.yaml"), "a: 1\n");
      const encrypt = (...args: string[]): ReturnType<typeof runHush> => runHush(["encrypt", ...args, "sub/x.yaml"], { cwd: dir.path });
      const none = encrypt();
      expect(none.status).toBe(1);
      expect(none.stderr).toBe(
        "hush: config file not found, or has no creation rules, and no keys provided through command line options\n" +
          "  next: name the keys (--age age1…, --pgp FINGERPRINT, --kms ARN, …), or write a .sops.yaml with a creation rule for the file (`hush help encrypt` shows one)\n",
      );
      const help = runHush(["help", "encrypt"], { cwd: dir.path });
      expect(help.stdout).toContain("the first creation rule in .sops.yaml whose path_regex matches");
      expect(help.stdout).toContain("    - path_regex: ^secrets/\n      age: age1");
      const config = join(dir.path, ".sops.yaml");
      writeFileSync(config, "stores:\n  yaml:\n    indent: 2\n");
      const noRules = encrypt();
      expect(noRules.status).toBe(1);
      expect(noRules.stderr).toBe(
        "hush: config file not found, or has no creation rules, and no keys provided through command line options\n" +
          `  next: add creation_rules to ${config}, or name the keys (--age age1…, --pgp FINGERPRINT, --kms ARN, …)\n`,
      );
      writeFileSync(config, `creation_rules:\n  - path_regex: ^secrets/\n    age: ${k.recipient}\n`);
      // As in SOPS, a config with rules must have one for the file, even when keys are given.
      const noMatch = encrypt();
      expect(noMatch.status).toBe(1);
      expect(noMatch.stderr).toBe(
        "hush: no matching creation rules found for sub/x.yaml\n" +
          `  next: add a creation rule whose path_regex matches sub/x.yaml (relative to ${dir.path}) to ${config}, or name another config with --config\n`,
      );
      const withKeys = encrypt("--age", k.recipient);
      expect(withKeys.status).toBe(1);
      expect(withKeys.stderr).toBe(
        "hush: no matching creation rules found for sub/x.yaml\n" +
          `  next: add a creation rule whose path_regex matches sub/x.yaml (relative to ${dir.path}) to ${config}; as in SOPS, its rules apply with key flags too: --config /dev/null uses the flags alone\n`,
      );
      // An empty list is rules none of which matches (Go reads `[]` as a list, a bare key as none).
      writeFileSync(config, "creation_rules: []\n");
      const emptyList = encrypt("--age", k.recipient);
      expect([emptyList.status, emptyList.stderr.split("\n")[0]]).toEqual([1, "hush: no matching creation rules found for sub/x.yaml"]);
      expect(emptyList.stderr).toContain("--config /dev/null uses the flags alone");
      const updatekeys = runHush(["updatekeys", "-y", "sub"], { cwd: dir.path });
      expect([updatekeys.status, updatekeys.stderr]).toEqual([1, `hush: no matching creation rules found: the creation_rules of ${config} is an empty list; add a rule whose path_regex matches the files\n`]);
      writeFileSync(config, "creation_rules:\n");
      expect(encrypt().stderr).toContain("hush: config file not found, or has no creation rules, and no keys provided through command line options\n");
      const flagsAlone = encrypt("--config", "/dev/null", "--age", k.recipient);
      expect(flagsAlone.stderr).toBe("");
      expect(flagsAlone.status).toBe(0);
      expect(help.stdout.replace(/\s+/g, " ")).toContain("a .sops.yaml with creation rules must have one for the file, also with key flags (as in SOPS; --config /dev/null reads none)");
      expect(readFileSync(join(dir.path, "sub", "x.yaml"), "utf8")).toBe("a: 1\n");
    } finally {
      dir.cleanup();
    }
  });

  it("decrypt and encrypt without a file on a terminal say the file is missing (exit 100), as the flag form does, instead of waiting for input", async () => {
    for (const [name, args] of [["decrypt", ["decrypt"]], ["encrypt", ["encrypt", "--input-type", "yaml", "--age", k.recipient]], ["flag-form", ["-d"]]] as const) {
      const t = openTerminal(k.dir, `no-file-${name}`, [process.execPath, CLI_JS, ...args], k.dir, { ...k.env, HOME: k.dir });
      try {
        expect(await t.waitForExit(10_000), name).toBe(100);
        expect(t.screen().replace(/\n/g, ""), name).toContain("no file specified");
      } finally {
        t.close();
      }
    }
  });

  it("decrypt of a file that is not encrypted: SOPS's line, then the next step", () => {
    const f = k.path("plain-first.yaml");
    writeFileSync(f, "password: not-yet-encrypted\n");
    const r = k.hush(["decrypt", f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`hush: ${f}: sops metadata not found\n  next: the file is not encrypted; \`hush encrypt -i\` encrypts it in place\n`);
    expect(r.stdout).toBe("");
  });

  it("decrypt and exec-env of an encrypted file whose name gives no format: SOPS's line, then --input-type, not `hush encrypt -i`", () => {
    // `prod.env.enc` is read as binary, as SOPS reads it; it is encrypted, only not as binary.
    const f = encryptFile(k, "prod.env", "TOKEN=tok-Fm27\n");
    const renamed = k.path("prod.env.enc");
    renameSync(f, renamed);
    for (const args of [["decrypt", renamed], ["exec-env", renamed, "true"]]) {
      const r = k.hush(args);
      expect(r.stderr, args[0]).toBe(`hush: ${renamed}: sops metadata not found\n  next: its name gives no format, so it was read as a binary file; if it is another kind, pass --input-type (yaml, json, dotenv, ini or toml)\n`);
      expect(r.status).toBe(1);
    }
    const typed = k.hush(["decrypt", "--input-type", "dotenv", renamed]);
    expect(typed.stdout, typed.stderr).toBe("TOKEN=tok-Fm27\n");
  });

  it("set, unset and edit of a file that is not encrypted: SOPS's line, then the next step, and the file untouched", () => {
    const f = k.path("plain-to-change.yaml");
    writeFileSync(f, "password: not-yet-encrypted\n");
    for (const args of [["set", f, '["password"]', '"x"'], ["unset", f, '["password"]'], ["edit", f]]) {
      const r = k.hush(args, { env: { EDITOR: "true" } });
      expect(r.stderr, args[0]).toBe(`hush: ${f}: sops metadata not found\n  next: the file is not encrypted; \`hush encrypt -i\` encrypts it in place\n`);
      expect(r.status).toBe(1);
    }
    expect(readFileSync(f, "utf8")).toBe("password: not-yet-encrypted\n");
  });

  it("a value changed or added by hand in an encrypted file: exit 25 naming it, and how values are changed", () => {
    const f = encryptFile(k, "by-hand.yaml", "db:\n  password: s3cret\n");
    writeFileSync(f, readFileSync(f, "utf8").replace(/^ {2}password: ENC.*$/m, "  password: typed-in"));
    const r = k.hush(["decrypt", f]);
    expect(r.stderr).toBe(
      `hush: ${f}: value at ["db"]["password"] (line 2) should be encrypted but is not\n` +
        "  next: change values with hush set or hush edit, not in the encrypted file: take the file back from git, then use one of them\n",
    );
    expect(r.status).toBe(25);
    expect(r.stdout).toBe("");
  });

  it("no key: short lines naming each recipient, where hush looked ONCE, then the next step", () => {
    const other = keyedDir();
    try {
      const f = k.path("three.yaml");
      writeFileSync(f, "a: 1\n");
      const recipients = [k.recipient, other.recipient];
      expect(k.hush(["encrypt", "-i", "--age", recipients.join(","), f]).status).toBe(0);
      const home = makeTempDir("hush-home-");
      try {
        const r = runHush(["decrypt", f], { home: home.path });
        expect(r.status).toBe(128);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines[0]).toBe(`hush: ${f}: could not decrypt the data key: group 0: age ${recipients[0]}: no matching identity`);
        expect(lines[1]).toBe(`  group 0: age ${recipients[1]}: no matching identity`);
        expect(lines[2]).toMatch(/^ {2}age identities: looked in .*SOPS_AGE_KEY_FILE: not set, .*\/\.config\/sops\/age\/keys\.txt: not present$/);
        expect(lines[3]).toMatch(/^ {2}next: give hush an identity for one of the keys above/);
        expect(lines).toHaveLength(4);
        expect(r.stderr.split("looked in")).toHaveLength(2);
        for (const line of lines) expect(line.length).toBeLessThan(400);
      } finally {
        home.cleanup();
      }
    } finally {
      other.cleanup();
    }
  });

  it("a syntax error names line, column and a plain reason, never parser jargon or a value", () => {
    const yaml = k.path("bad.yaml");
    writeFileSync(yaml, "a: 1\nb: \"s3cret-marker\n");
    const y = k.hush(["encrypt", "--age", k.recipient, yaml]);
    expect(y.status).toBe(2);
    // The parser notices the missing quote at the end of the text.
    expect(y.stderr).toBe(`hush: ${yaml}: invalid YAML at line 3, column 1: a closing quote is missing\n`);
    const json = k.path("bad.json");
    writeFileSync(json, '{\n  "a": "s3cret-marker",\n}\n');
    const j = k.hush(["encrypt", "--age", k.recipient, json]);
    expect(j.status).toBe(2);
    expect(j.stderr).toBe(`hush: ${json}: invalid JSON at line 3, column 1: expected a key in "double quotes" (a comma too many?)\n`);
    const sym = k.path("sym.json");
    writeFileSync(sym, "{'a': 1}");
    expect(k.hush(["encrypt", "--age", k.recipient, sym]).stderr).toBe(
      `hush: ${sym}: invalid JSON at line 1, column 2: unexpected character (JSON has no comments, single quotes or bare words)\n`,
    );
  });

  it("common YAML mistakes get a reason that names the mistake, not another one", () => {
    const cases: Array<[string, string]> = [
      ["a: 1\nPORT 8080\n", "line 2, column 1: a line in a map has no ':' after its key"],
      ["a: [1, 2\nb: 3\n", "line 2, column 1: a [ list is not closed with ] (or a line inside it is not indented enough)"],
      ["a: {x: 1\nb: 3\n", "line 2, column 1: a { map is not closed with } (or a line inside it is not indented enough)"],
      ["a: b: c\n", "line 1, column 4: a value holds ': ' (quote the value), or a line is indented further than the key above it"],
      ["a: 1\n b: 2\n", "line 1, column 4: a value holds ': ' (quote the value), or a line is indented further than the key above it"],
      ["a: 'x\n", "line 2, column 1: a closing quote is missing"],
      ["a:\n  b: 1\n c: 2\n", "line 3, column 1: the indentation does not match the lines around it"],
    ];
    for (const [i, [text, reason]] of cases.entries()) {
      const f = k.path(`mistake-${i}.yaml`);
      writeFileSync(f, text);
      const r = k.hush(["encrypt", "--age", k.recipient, f]);
      expect(r.stderr).toBe(`hush: ${f}: invalid YAML at ${reason}\n`);
      expect(r.status).toBe(2);
    }
  });

  it("a binary file saved under a .json name decrypts as SOPS decrypts it, and --output-type binary gives its bytes back", () => {
    const bytes = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x00, 0x0a]);
    writeFileSync(k.path("cert.p12"), bytes);
    const encrypted = k.hush(["encrypt", "--input-type", "binary", "--age", k.recipient, "cert.p12"]);
    expect(encrypted.status).toBe(0);
    writeFileSync(k.path("cert.p12.json"), encrypted.stdout);
    // Read as JSON, the bytes that are not UTF-8 show as U+FFFD, as SOPS shows them; the MAC holds the bytes.
    const shown = k.hush(["decrypt", "cert.p12.json"]);
    expect(shown.stderr).toBe("");
    expect(shown.status).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ data: "0\ufffd\ufffd\ufffd\u0000\n" });
    const back = k.hush(["decrypt", "--output-type", "binary", "cert.p12.json"]);
    expect(back.stderr).toBe("");
    expect(back.stdoutBytes).toEqual(bytes);
  });

  it("set on a quoted dotenv value keeps its quoting style", async () => {
    const f = encryptFile(k, "quoted.env", "A=\"x y\"\nB='z'\nC=plain\n");
    for (const [key, value] of [["A", "new value"], ["B", "nb"], ["C", "nc"]] as const) {
      const r = k.hush(["set", f, `["${key}"]`, JSON.stringify(value)]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
    expect(await k.decrypt(f, "dotenv")).toBe("A=\"new value\"\nB='nb'\nC=nc\n");
  });

  describe("hush edit", () => {
    it("a new file opens on a small commented example; saved unchanged, no file is made", async () => {
      const ed = installFakeEditor(k.dir);
      for (const [name, example] of [["new.yaml", "example_key: example_value\n"], ["new.env", "EXAMPLE_KEY=example_value\n"], ["new.json", '{\n\t"example_key": "example_value"\n}\n']] as const) {
        const f = k.path(name);
        const none = k.hush(["edit", "--age", k.recipient, f], { env: ed.env([{ noop: true }]) });
        expect(none.status).toBe(200);
        // The scripted editor returns at once: the line saying so may follow (edit.test.ts tests it).
        const withoutQuickReturn = none.stderr.replace(/^ {2}the editor .* returned within a second: .*\n/m, "");
        expect(withoutQuickReturn).toBe(`hush: File has not changed, exiting.\n  ${f} was not created: replace the example with your values to create it\n`);
        expect(existsSync(f)).toBe(false);
        const shown = runs(ed.log)[0]!.content;
        expect(shown.startsWith("#! hush: new file: replace the example below with your values; they are encrypted when you save.\n")).toBe(true);
        expect(shown.endsWith(example)).toBe(true);
      }
      const f = k.path("new.yaml");
      const made = k.hush(["edit", "--age", k.recipient, f], { env: ed.env([{ replace: ["example_key: example_value", "token: abc"] }]) });
      expect(made.status).toBe(0);
      expect(await k.decrypt(f)).toBe("token: abc\n");
    });

    it("after a syntax error the header's line number matches the editor's lines and gives the reason", () => {
      const ed = installFakeEditor(k.dir);
      const f = encryptFile(k, "reopen.yaml", "a: 1\nb: two\n");
      const r = k.hush(["edit", f], { env: ed.env([{ write: "a: 1\nb: [unclosed\n" }, { replace: ["[unclosed", "3"] }]) });
      expect(r.status).toBe(0);
      const shown = runs(ed.log)[1]!.content;
      const m = /^#! hush: .*reopen\.yaml: invalid YAML at line (\d+), column \d+: (.+)\n/.exec(shown);
      expect(m).not.toBeNull();
      expect(m![2]).toBe("a [ list is not closed with ] (or a line inside it is not indented enough)");
      // The line the message names, counted in the text the editor shows, is the broken one
      // or the one right after it (where the parser noticed).
      const named = shown.split("\n")[Number(m![1]) - 1]!;
      expect(["b: [unclosed", ""]).toContain(named);
      expect(shown.split("\n").indexOf("b: [unclosed") + 1).toBeLessThanOrEqual(Number(m![1]));
    });

    it("saved again unchanged: nothing saved, the text kept ENCRYPTED in FILE.unsaved, no plaintext on disk", async () => {
      const ed = installFakeEditor(k.dir);
      const f = encryptFile(k, "giveup.yaml", "a: 1\n");
      const before = readFileSync(f);
      const broken = "a: 1\npassword: [s3cret-marker\n";
      const r = k.hush(["edit", f], { env: ed.env([{ write: broken }, { noop: true }]) });
      expect(r.status).toBe(2);
      const copy = `${f}.unsaved`;
      expect(r.stderr).toContain(`nothing was saved to ${f}\n  your text is kept encrypted in ${copy}\n  next: see it with hush decrypt --input-type binary ${copy}`);
      expect(r.stderr).not.toContain("s3cret-marker");
      expect(readFileSync(f).equals(before)).toBe(true);
      expect(readFileSync(copy, "utf8")).not.toContain("s3cret-marker");
      expect(statSync(copy).mode & 0o777).toBe(0o600);
      const back = k.hush(["decrypt", "--input-type", "binary", copy]);
      expect(back.status).toBe(0);
      expect(back.stdout).toBe(broken);
      for (const run of runs(ed.log)) expect(existsSync(run.file)).toBe(false);
      // Emptying the text gives up and keeps nothing.
      const f2 = encryptFile(k, "giveup2.yaml", "a: 1\n");
      const r2 = k.hush(["edit", f2], { env: ed.env([{ write: broken }, { write: "" }]) });
      expect(r2.status).toBe(1);
      expect(r2.stderr).toContain("no copy was kept");
      expect(existsSync(`${f2}.unsaved`)).toBe(false);
      expect(await k.decrypt(f2)).toBe("a: 1\n");
    });
  });
});
