import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * decrypt, --extract, git textconv, exec-env and `-d` start without building the full command
 * program. Each plain form must give exactly what the full program gives: the same command with
 * `--` in it (which only the full program parses) is the reference.
 */
describe("hot commands", () => {
  let k: KeyedDir;
  let file: string;
  let env: string;

  beforeAll(() => {
    k = keyedDir();
    file = encryptFile(k, "app.yaml", "db:\n  password: s3cret\nport: 5432\nname: web\n");
    env = encryptFile(k, "app.env", "PORT=8080\nNAME=web\n");
  });
  afterAll(() => k?.cleanup());

  const same = (hot: string[], full: string[]) => {
    const a = k.hush(hot);
    const b = k.hush(full);
    expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }).toEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr });
    return a;
  };

  it("gives the full program's output, status and errors", () => {
    expect(same(["decrypt", file], ["decrypt", "--", file]).stdout).toBe("db:\n  password: s3cret\nport: 5432\nname: web\n");
    expect(same(["decrypt", "--extract", '["db"]["password"]', file], ["decrypt", "--extract", '["db"]["password"]', "--", file]).stdout).toBe("s3cret");
    expect(same(["decrypt", `--extract=["port"]`, "--output-type", "json", file], ["decrypt", `--extract=["port"]`, "--output-type", "json", "--", file]).status).toBe(0);
    expect(same(["-d", "--extract", '["name"]', file], ["-d", "--extract", '["name"]', "--", file]).stdout).toBe("web");
    expect(same(["--decrypt", "--output-type", "json", file], ["--decrypt", "--output-type", "json", "--", file]).stdout).toContain('"password": "s3cret"');
    expect(same(["git", "textconv", file], ["git", "textconv", "--", file]).stdout).toContain("password: s3cret");
    // exec-env gives `--` a meaning of its own (FILE... -- PROGRAM): a repeated flag sends it to the full program.
    expect(same(["exec-env", env, 'echo "$NAME:$PORT"'], ["exec-env", "--input-type", "dotenv", "--input-type", "dotenv", env, 'echo "$NAME:$PORT"']).stdout).toBe("web:8080\n");
    expect(same(["exec-env", "--pristine", env, "echo ${HOME:-none}"], ["exec-env", "--pristine", "--pristine", env, "echo ${HOME:-none}"]).stdout).toBe("none\n");
    // Errors: a missing file, a bad tree path, a key that opens nothing.
    expect(same(["decrypt", k.path("missing.yaml")], ["decrypt", "--", k.path("missing.yaml")]).status).toBe(100);
    expect(same(["decrypt", "--extract", "db.password", file], ["decrypt", "--extract", "db.password", "--", file]).status).not.toBe(0);
    const keyless = { SOPS_AGE_KEY_FILE: k.path("missing-key.txt") };
    const a = k.hush(["decrypt", file], { env: keyless });
    const b = k.hush(["decrypt", "--", file], { env: keyless });
    expect([a.status, a.stderr]).toEqual([b.status, b.stderr]);
    expect(a.status).toBe(128);
  });

  it("leaves help, unknown flags and missing arguments to the full program", () => {
    const help = k.hush(["decrypt", "--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hush decrypt /);
    const unknown = k.hush(["decrypt", "--no-such-flag", file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--no-such-flag'");
    const noValue = k.hush(["decrypt", file, "--extract"]);
    expect(noValue.status).toBe(1);
    expect(noValue.stderr).toContain("argument missing");
    const twice = k.hush(["decrypt", "--extract", '["port"]', "--extract", '["name"]', file]);
    expect([twice.status, twice.stdout]).toEqual([0, "web"]);
    const oneArg = k.hush(["exec-env", env]);
    expect(oneArg.status).toBe(1);
    expect(oneArg.stderr).toContain("takes FILE COMMAND");
  });

  it("the workspace build's decrypt loads no commander, no command registrars and no other command", () => {
    // A module hook (in Node's loader thread) lists every module the run resolves.
    const log = k.path("modules.log");
    const hook = `data:text/javascript,${encodeURIComponent(
      `import { appendFileSync } from "node:fs"; export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + "\\n"); return r; }`,
    )}`;
    const register = `data:text/javascript,${encodeURIComponent(`import { register } from "node:module"; register(${JSON.stringify(hook)});`)}`;
    const cli = join(__dirname, "..", "..", "packages", "cli", "bin", "hush.js");
    const r = spawnSync(process.execPath, ["--import", register, cli, "decrypt", file], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", ...k.env }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const loaded = readFileSync(log, "utf8");
    expect(loaded).toContain("/commands/decrypt.js");
    for (const absent of ["/commander/", "/program.js", "/commands/workflows.js", "/commands/legacy.js", "/commands/encrypt.js", "/key-source-aws-kms/dist/source.js", "/key-source-hc-vault/dist/source.js", "/key-source-hc-vault/dist/transport.js", "/key-source-azure-kv/dist/source.js", "/key-source-azure-kv/dist/credentials.js", "/key-source-gcp-kms/dist/source.js", "/key-source-gcp-kms/dist/credentials.js", "/key-http/dist/request.js", "/key-http/dist/tunnel.js", "/key-http/dist/proxy-settings.js", "/key-http/dist/proxy-agent.js", "/key-source-pgp/dist/gpg-key-source.js", "@aws-sdk", "simple-git"]) {
      expect(loaded, absent).not.toContain(absent);
    }
  });
});
