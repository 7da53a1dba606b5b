import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

describe("hush exec-env and exec-file", () => {
  let k: KeyedDir;
  let flat: string;
  let nested: string;
  beforeAll(() => {
    k = keyedDir();
    flat = encryptFile(k, "flat.yaml", 'A: 1\nB: "two words"\nC: 1.50\nD: true\nN: null\nML: |\n    x\n    y\n# comment\n');
    nested = encryptFile(k, "nested.yaml", "top: v\nmap:\n    k: v\n");
  });
  afterAll(() => k.cleanup());

  it("exec-env puts the top-level values in the command's environment and passes its exit status", () => {
    const r = k.hush(["exec-env", flat, 'printf "%s|%s|%s|%s|%s|%s" "$A" "$B" "$C" "$D" "${N-unset}" "$ML"; exit 7']);
    expect(r.status).toBe(7);
    expect(r.stdout).toBe("1|two words|1.5|true|unset|x\ny\n");
    expect(r.stderr).toBe("");
  });

  it("exec-env keeps hush's environment unless --pristine", () => {
    const kept = k.hush(["exec-env", flat, 'printf "%s" "$HOME"']);
    expect(kept.stdout).toBe("/nonexistent-home");
    const pristine = k.hush(["exec-env", "--pristine", flat, 'printf "%s|%s" "${HOME-none}" "$A"']);
    expect(pristine.stdout).toBe("none|1");
  });

  it("exec-env reads dotenv files in their own dialect", () => {
    const f = k.path("app.env");
    writeFileSync(f, 'X=1\nY="quoted value"\n# note\n');
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    const r = k.hush(["exec-env", f, 'printf "%s|%s" "$X" "$Y"']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("1|quoted value");
  });

  it("exec-env passes every variable the file sets, those named as JavaScript object members too (__proto__, constructor)", () => {
    // Set on an ordinary object, `__proto__` changed nothing and the variable never reached the command.
    const f = encryptFile(k, "members.yaml", "__proto__: p\nconstructor: c\ntoString: t\n");
    const r = k.hush(["exec-env", "--pristine", f, "env | grep -E '^(__proto__|constructor|toString)=' | sort"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("__proto__=p\nconstructor=c\ntoString=t\n");
  });

  it("an empty value for a name no variable of the caller has is not refused as replacing one, whatever the name (constructor, toString)", () => {
    // The caller's environment was asked by name on an ordinary object, whose prototype has them.
    const f = encryptFile(k, "members.env", "constructor=\ntoString=\nA=1\n");
    const r = k.hush(["exec-env", f, "env | grep -E '^(constructor|toString|A)=' | sort"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("A=1\nconstructor=\ntoString=\n");
    // A variable the caller has is still kept from being blanked.
    const own = k.hush(["exec-env", f, "true"], { env: { toString: "mine" } });
    expect(own.status).toBe(1);
    expect(own.stderr).toMatch(/the file sets toString \(would replace your own value/);
  });

  it("exec-env refuses maps and lists (naming the key, not the value) and wrong argument counts", () => {
    const r = k.hush(["exec-env", nested, "true"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot use complex value in environment; offending key map/);
    expect(k.hush(["exec-env", flat]).status).toBe(1);
    expect(k.hush(["exec-env", flat, "true", "extra"]).status).toBe(1);
  });

  it("a command killed by a signal gives 128 + the signal number", () => {
    expect(k.hush(["exec-env", flat, "kill -TERM $$"]).status).toBe(143);
  });

  it("exec-file hands the command a FIFO holding the plaintext, in a private directory, removed afterwards", () => {
    const r = k.hush(["exec-file", flat, 'ls -ld {} | cut -c1-10; ls -ld "$(dirname {})" | cut -c1-10; cat {}; echo "PATH={}"']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("prw-------");
    expect(lines[1]).toBe("drwx------");
    expect(r.stdout).toContain('A: 1\nB: "two words"\nC: 1.50\n');
    const path = /PATH=(.*)/.exec(r.stdout)![1]!;
    expect(path.endsWith("/tmp-file")).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("exec-file --no-fifo uses a 0600 regular file removed after the command exits, and passes the status", () => {
    const r = k.hush(["exec-file", "--no-fifo", flat, 'ls -l {} | cut -c1-10; head -1 {}; echo "PATH={}"; exit 3']);
    expect(r.status).toBe(3);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["-rw-------", "A: 1"]);
    const path = /PATH=(.*)/.exec(r.stdout)![1]!;
    expect(existsSync(path)).toBe(false);
  });

  it("exec-file --output-type json converts (SOPS's functional test), --filename names the file", () => {
    const f = encryptFile(k, "fb.yaml", "foo: bar\nbar: |-\n    baz\n    bam\n");
    const r = k.hush(["exec-file", "--output-type", "json", f, "cat {}"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{\n\t"foo": "bar",\n\t"bar": "baz\\nbam"\n}\n');
    const named = k.hush(["exec-file", "--no-fifo", "--filename", "conf.yaml", f, "basename {}"]);
    expect(named.stdout).toBe("conf.yaml\n");
  });

  it("exec-file refuses --filename values that are paths", () => {
    for (const bad of ["../x", "/etc/passwd", "a/b", ".."]) {
      const r = k.hush(["exec-file", "--filename", bad, flat, "true"]);
      expect(r.status, bad).toBe(1);
      expect(r.stderr).toMatch(/--filename must be a plain file name/);
    }
  });

  it("exec-file refuses, in the one-string form, a --filename the shell would read as code or split; the -- form takes it", () => {
    // A script passing a repository's file name: `$(touch${IFS}pwned).yaml` is a valid name.
    for (const bad of ["$(touch pwned).yaml", "`touch pwned`", "a;touch pwned", "my conf.yaml", "x'y", "*.yaml"]) {
      for (const fifo of [[], ["--no-fifo"]]) {
        const r = k.hush(["exec-file", ...fifo, "--filename", bad, flat, "cat {}"]);
        expect(existsSync(k.path("pwned")), bad).toBe(false);
        expect(r.status, bad).toBe(1);
        expect(r.stdout).toBe("");
        expect(r.stderr).toBe(`hush: --filename ${JSON.stringify(bad)}: the shell would not read it as one plain word in COMMAND; use letters, digits and . _ - + , : = @ %, or the form without a shell: hush exec-file FILE -- PROGRAM [ARGS] {}\n`);
      }
      const direct = k.hush(["exec-file", "--no-fifo", "--filename", bad, flat, "--", "/bin/sh", "-c", 'basename "$1"; head -n 1 "$1"', "sh", "{}"]);
      expect(direct.stderr).toBe("");
      expect(direct.stdout).toBe(`${bad}\nA: 1\n`);
    }
  });

  it("exec-file returns when the command never opens the FIFO", () => {
    const r = k.hush(["exec-file", flat, "true"]);
    expect(r.status).toBe(0);
  });
});

/**
 * Anyone can encrypt a file to a public recipient (and empty values are outside SOPS's MAC), so
 * the variable names in a file are untrusted: names that change how programs start or are found
 * are refused unless the user names them with --allow-env.
 */
describe("hush exec-env refuses variables that change how programs start", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    // What an attacker would put in the repository next to the file: programs and code to load.
    for (const name of ["cat", "node"]) {
      writeFileSync(k.path(name), "#!/bin/sh\necho PWNED > pwned-by-path\n");
      chmodSync(k.path(name), 0o755);
    }
    writeFileSync(k.path("evil.cjs"), 'require("fs").writeFileSync("pwned-by-node-options", "");\n');
  });
  afterAll(() => k.cleanup());

  it("an empty PATH (programs from the working directory) is refused and the command never starts", () => {
    const f = encryptFile(k, "path.yaml", 'TOKEN: s3cret-token\nPATH: ""\n');
    const r = k.hush(["exec-env", f, "touch started; cat /dev/null"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${f}: `);
    expect(r.stderr).toMatch(/\bPATH\b/);
    expect(r.stderr).toContain("--allow-env PATH");
    expect(r.stderr).not.toContain("s3cret");
    expect(existsSync(k.path("started"))).toBe(false);
    expect(existsSync(k.path("pwned-by-path"))).toBe(false);
  });

  it("NODE_OPTIONS=--require is refused: the attacker's code is not loaded", () => {
    const f = encryptFile(k, "node.yaml", "NODE_OPTIONS: --require ./evil.cjs\n");
    const r = k.hush(["exec-env", f, `'${process.execPath}' -e 0`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env NODE_OPTIONS");
    expect(existsSync(k.path("pwned-by-node-options"))).toBe(false);
  });

  it("a file may not tell the command's own hush or sops which command gives keys, which gpg to run, or which Vault to trust", () => {
    // A deploy script run by exec-env that decrypts another file, or an app using the loader.
    const other = encryptFile(k, "other.yaml", "x: 1\n");
    const f = encryptFile(k, "keycmd.env", `TOKEN=t0k\nSOPS_AGE_KEY_CMD=touch ${k.path("pwned-by-key-cmd")}\n`);
    const r = k.hush(["exec-env", f, "--", process.execPath, CLI_JS, "decrypt", other]);
    expect(existsSync(k.path("pwned-by-key-cmd"))).toBe(false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env SOPS_AGE_KEY_CMD");
    const names = ["SOPS_AGE_SSH_PRIVATE_KEY_CMD", "SOPS_GPG_EXEC", "SOPS_CONFIG", "SOPS_AGE_RECIPIENTS", "SOPS_KMS_ARN", "HUSH_VAULT_ADDRS", "HUSH_ENV_FILE", "VAULT_ADDR", "VAULT_CACERT", "VAULT_SKIP_VERIFY"];
    const g = encryptFile(k, "tools.yaml", `${names.map((n) => `${n}: x\n`).join("")}VAULT_TOKEN: allowed-secret\n`);
    const all = k.hush(["exec-env", g, "touch started"]);
    expect(all.status).toBe(1);
    for (const name of names) expect(all.stderr).toContain(`--allow-env ${name}`);
    // A token is a secret like any other, not a setting.
    expect(all.stderr).not.toContain("VAULT_TOKEN");
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("a file may not choose the compiler, its flags or the package manager that `npm ci` and native builds run", () => {
    const names = ["CC", "CXX", "LD", "AR", "CFLAGS", "CXXFLAGS", "LDFLAGS", "CPPFLAGS", "PKG_CONFIG", "PKG_CONFIG_PATH", "YARN_YARN_PATH", "YARN_RC_FILENAME", "COREPACK_NPM_REGISTRY"];
    const f = encryptFile(k, "build.yaml", `${names.map((n) => `${n}: x\n`).join("")}NPM_TOKEN: allowed-secret\n`);
    const r = k.hush(["exec-env", f, "touch started"]);
    expect(r.status).toBe(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toContain("NPM_TOKEN");
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("each family is refused, empty values included, in one line naming every key", () => {
    const names = [
      "LD_PRELOAD",
      "LD_LIBRARY_PATH",
      "DYLD_INSERT_LIBRARIES",
      "BASH_ENV",
      "ENV",
      "BASH_FUNC_ls%%",
      "SHELLOPTS",
      "PS4",
      "IFS",
      "NODE_PATH",
      "PYTHONSTARTUP",
      "PYTHONPATH",
      "PERL5OPT",
      "RUBYOPT",
      "JAVA_TOOL_OPTIONS",
      "_JAVA_OPTIONS",
      "GCONV_PATH",
      "GLIBC_TUNABLES",
      "GIT_SSH_COMMAND",
      "GIT_CONFIG_COUNT",
      "HOME",
      "SSL_CERT_FILE",
      "EDITOR",
      "Path",
    ];
    const f = encryptFile(k, "families.yaml", `${names.map((n) => `${JSON.stringify(n)}: ""\n`).join("")}OK: yes-value\n`);
    const r = k.hush(["exec-env", f, "touch started"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toContain("yes-value");
    expect(existsSync(k.path("started"))).toBe(false);
    // Allowing all but one still refuses that one.
    const allowAllBut = names.filter((n) => n !== "GLIBC_TUNABLES").flatMap((n) => ["--allow-env", n]);
    const one = k.hush(["exec-env", ...allowAllBut, f, "touch started"]);
    expect(one.status).toBe(1);
    expect(one.stderr).toMatch(/the file sets GLIBC_TUNABLES \([^)]+\); /);
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("--allow-env NAME (repeatable) lets named variables through", () => {
    const f = encryptFile(k, "allowed.yaml", "NODE_OPTIONS: --max-old-space-size=64\nHOME: /srv/app\nAPI_KEY: k1\n");
    const refused = k.hush(["exec-env", "--allow-env", "NODE_OPTIONS", f, "true"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("--allow-env HOME");
    expect(refused.stderr).not.toContain("--allow-env NODE_OPTIONS");
    const r = k.hush(["exec-env", "--allow-env", "NODE_OPTIONS", "--allow-env", "HOME", f, 'printf "%s|%s|%s" "$NODE_OPTIONS" "$HOME" "$API_KEY"']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("--max-old-space-size=64|/srv/app|k1");
  });

  it("names several refused keys in one line, escaped, without values", () => {
    // A right-to-left override: a control character would be refused as a name before the policy.
    const f = encryptFile(k, "several.yaml", '"LD_\\u202Ex": refused-value-1\nBASH_ENV: refused-value-2\nFINE: fine-value-3\n');
    const r = k.hush(["exec-env", f, "true"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toContain("\u202e");
    expect(r.stderr).toContain("LD_\\u202ex");
    expect(r.stderr).toContain("BASH_ENV");
    // Values distinctive enough that no temporary directory's random name holds one.
    expect(r.stderr).not.toMatch(/refused-value|fine-value/);
  });

  it("exec-file never puts the file's values in the command's environment", () => {
    const f = encryptFile(k, "file-env.yaml", 'PATH: ""\nNODE_OPTIONS: --require ./evil.cjs\n');
    const r = k.hush(["exec-file", f, 'printf "%s|%s" "$PATH" "${NODE_OPTIONS-unset}"; cat {} > /dev/null']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${process.env["PATH"] ?? "/usr/bin:/bin"}|unset`);
  });
});
