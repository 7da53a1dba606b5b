import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * exec-env and the variables that redirect traffic or load code, and the values outside the MAC
 * (empty strings; values left in clear under mac_only_encrypted) that anyone can add to a file.
 */
describe("hush exec-env: variables that redirect traffic or run code", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("refuses proxies, OpenSSL/curl/pip/AWS/cargo/docker/gpg configuration and editor start-up, in one line", () => {
    const names = [
      "OPENSSL_CONF",
      "OPENSSL_MODULES",
      "OPENSSL_ENGINES",
      "HTTPS_PROXY",
      "https_proxy",
      "HTTP_PROXY",
      "ALL_PROXY",
      "NO_PROXY",
      "LUA_INIT",
      "LUA_INIT_5_4",
      "LESSKEYIN",
      "SSLKEYLOGFILE",
      "AWS_SHARED_CREDENTIALS_FILE",
      "AWS_ENDPOINT_URL",
      "AWS_ENDPOINT_URL_S3",
      "CURL_HOME",
      "PIP_CONFIG_FILE",
      "PIP_INDEX_URL",
      "PHPRC",
      "VIMINIT",
      "EXINIT",
      "RUSTC_WRAPPER",
      "CARGO_HOME",
      "DOCKER_CONFIG",
      "GNUPGHOME",
    ];
    const f = encryptFile(k, "net.yaml", `${names.map((n) => `${n}: ./evil-${n.length}\n`).join("")}OK: yes-value\n`);
    const r = k.hush(["exec-env", f, "touch started"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toMatch(/yes-value|evil-/);
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("OPENSSL_CONF naming a config that loads a provider is refused: openssl never reads it", () => {
    writeFileSync(k.path("evil.cnf"), "openssl_conf = init\n[init]\nproviders = prov\n[prov]\nevil = evil_sect\n[evil_sect]\nmodule = ./evil.so\nactivate = 1\n");
    const f = encryptFile(k, "openssl.env.yaml", `OPENSSL_CONF: ${k.path("evil.cnf")}\nTOKEN: t0ken\n`);
    const r = k.hush(["exec-env", f, "openssl rand -hex 2 >/dev/null 2>&1; touch started"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env OPENSSL_CONF");
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("a file cannot make make, or go build, run its code (MAKEFILES, CGO_CFLAGS)", () => {
    writeFileSync(k.path("Makefile"), "all:\n\t@echo building\n");
    writeFileSync(k.path("evil.mk"), "$(shell touch make-ran)\n");
    const mk = encryptFile(k, "make.env.yaml", "API_TOKEN: abc123secret\nMAKEFILES: evil.mk\n");
    const r = k.hush(["exec-env", mk, "--", "make", "-s"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env MAKEFILES");
    expect(r.stderr).not.toContain("abc123secret");
    expect(existsSync(k.path("make-ran"))).toBe(false);
    const cgo = encryptFile(k, "cgo.env.yaml", `CGO_CFLAGS: -wrapper ${k.path("wrapper.sh")}\nGOPROXY: http://127.0.0.1:9/\n`);
    const g = k.hush(["exec-env", cgo, "--", "go", "env"]);
    expect(g.status).toBe(1);
    expect(g.stderr).toContain("--allow-env CGO_CFLAGS --allow-env GOPROXY");
  });

  it("--allow-env lets a proxy through when the user means it", () => {
    const f = encryptFile(k, "proxy.yaml", "HTTPS_PROXY: http://proxy.internal:3128\n");
    const r = k.hush(["exec-env", "--allow-env", "HTTPS_PROXY", f, 'printf "%s" "$HTTPS_PROXY"']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("http://proxy.internal:3128");
  });
});

describe("hush exec-env: values outside the MAC never replace the caller's variables", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  /** An encrypted file with `extra` appended after encryption, as someone without the key would. */
  function withAddedLines(name: string, extra: string): string {
    const f = encryptFile(k, name, "API_KEY: k1\n");
    const text = readFileSync(f, "utf8");
    writeFileSync(f, text.replace(/^sops:/m, `${extra}sops:`));
    return f;
  }

  it("an empty AWS_PROFILE or SSH_AUTH_SOCK added without the key does not blank the caller's own", () => {
    const f = withAddedLines("blank.yaml", 'AWS_PROFILE: ""\nSSH_AUTH_SOCK: ""\n');
    const env = { AWS_PROFILE: "prod-readonly", SSH_AUTH_SOCK: "/run/agent.sock" };
    const r = k.hush(["exec-env", f, "touch started"], { env });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${f}: `);
    expect(r.stderr).toContain("AWS_PROFILE");
    expect(r.stderr).toContain("SSH_AUTH_SOCK");
    expect(r.stderr).toContain("--allow-env AWS_PROFILE");
    expect(existsSync(k.path("started"))).toBe(false);
    // Named by the user, the empty values go through.
    const allowed = k.hush(["exec-env", "--allow-env", "AWS_PROFILE", "--allow-env", "SSH_AUTH_SOCK", f, 'printf "[%s][%s][%s]" "$AWS_PROFILE" "$SSH_AUTH_SOCK" "$API_KEY"'], { env });
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe("[][][k1]");
  });

  it("the same holds for a dotenv file: a blank line added at the top is refused", () => {
    const f = k.path("app.env");
    writeFileSync(f, "API_KEY=k1\n");
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    writeFileSync(f, `AWS_PROFILE=\n${readFileSync(f, "utf8")}`);
    const r = k.hush(["exec-env", f, "touch started-env"], { env: { AWS_PROFILE: "prod-readonly" } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env AWS_PROFILE");
    expect(existsSync(k.path("started-env"))).toBe(false);
  });

  it("an empty value for a variable the caller does not have, and encrypted values, still go through", () => {
    const f = withAddedLines("fresh.yaml", 'OPTIONAL_FLAG: ""\n');
    const r = k.hush(["exec-env", f, 'printf "[%s][%s]" "${OPTIONAL_FLAG-unset}" "$API_KEY"'], { env: { API_KEY: "old" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("[][k1]");
  });

  it("a value left in clear may not replace the caller's variable, with or without mac_only_encrypted; an encrypted one may", () => {
    // Under mac_only_encrypted a clear value is outside the MAC; without it, the MAC hashes values
    // without their names, so a clear value can be moved to another clear key.
    for (const macOnly of [true, false]) {
      const name = `clear-${macOnly}.yaml`;
      writeFileSync(k.path(name), "API_KEY: k1\nREGION: eu-west-1\n");
      const args = ["encrypt", "-i", "--age", k.recipient, "--unencrypted-regex", "^REGION$", ...(macOnly ? ["--mac-only-encrypted"] : []), k.path(name)];
      expect(k.hush(args).status).toBe(0);
      const r = k.hush(["exec-env", k.path(name), 'printf "%s" "$REGION"'], { env: { REGION: "us-east-1" } });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("--allow-env REGION");
      const fresh = k.hush(["exec-env", k.path(name), 'printf "%s|%s" "$REGION" "$API_KEY"'], { env: { API_KEY: "old" } });
      expect(fresh.status, fresh.stderr).toBe(0);
      expect(fresh.stdout).toBe("eu-west-1|k1");
    }
  });
});
