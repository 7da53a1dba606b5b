import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, makeTestCertificate, startVaultTestServer, type VaultTestServer } from "@hush/testkit";
import { hush, makeAgeKey } from "./helpers.ts";

/**
 * Vault transit (`hc_vault`) through the built CLI, against the project's Vault test server. The
 * point is the token: SOPS sends the reader's Vault token to whatever `vault_address` a file
 * names (GHSA-jgf3-f6rg-8x3h); hush sends it only to VAULT_ADDR or HUSH_VAULT_ADDRS.
 */

const PLAIN = "password: s3cr3t\n";

describe("hc_vault keys", () => {
  let vault: VaultTestServer;
  let attacker: VaultTestServer;
  const tmp = makeTempDir("hush-hc-vault-");
  let env: Record<string, string>;
  beforeAll(async () => {
    vault = await startVaultTestServer();
    attacker = await startVaultTestServer();
    vault.createKey("app");
    env = { VAULT_TOKEN: vault.token, VAULT_ADDR: vault.address };
  });
  afterAll(async () => {
    await vault.stop();
    await attacker.stop();
    tmp.cleanup();
  });

  /** A file encrypted with `--hc-vault-transit` for the `app` key of the test server. */
  const encrypted = async (name: string): Promise<string> => {
    const f = join(tmp.path, name);
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--hc-vault-transit", vault.uri("app"), f], { env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return f;
  };

  it("encrypts with --hc-vault-transit and decrypts, writing SOPS's entry fields in SOPS 3.13's order", async () => {
    const f = await encrypted("basic.yaml");
    const text = readFileSync(f, "utf8");
    expect(text).toMatch(
      new RegExp(
        `\\n {4}hc_vault:\\n {8}- created_at: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\n {10}enc: vault:v1:[A-Za-z0-9+/]+=*\\n {10}engine_path: transit\\n {10}key_name: app\\n {10}vault_address: ${vault.address.replace(/\./g, "\\.")}\\n`,
      ),
    );
    const r = await hush(["decrypt", f], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(vault.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toContain("PUT /v1/transit/decrypt/app 200");
    expect(vault.calls.every((c) => c.token === vault.token)).toBe(true);
  });

  it("a file naming a server the user has not allowed gets no token: refused before any request", async () => {
    const f = await encrypted("attack.yaml");
    // The attacker's branch changes only the address (metadata is not under the MAC).
    writeFileSync(f, readFileSync(f, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${attacker.address}`));
    for (const args of [["decrypt", f], ["git", "textconv", f]]) {
      const r = await hush(args, { env });
      expect(attacker.calls, "the attacker's server received a request").toEqual([]);
      expect(r.stdout).not.toContain("s3cr3t");
      if (args[0] === "decrypt") {
        expect(r.status).toBe(128);
        expect(r.stderr).toContain(`the file names the Vault server ${attacker.address}; hush sends your Vault token only to a server you allow: set VAULT_ADDR=${attacker.address} or add it to HUSH_VAULT_ADDRS`);
      }
    }
    // Also with the token in ~/.vault-token and no VAULT_ADDR at all.
    const home = join(tmp.path, "home");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, ".vault-token"), `${vault.token}\n`, { mode: 0o600 });
    const fromFile = await hush(["decrypt", f], { env: { HOME: home } });
    expect(fromFile.status).toBe(128);
    expect(fromFile.stderr).toContain("HUSH_VAULT_ADDRS");
    expect(attacker.calls).toEqual([]);
  });

  it("addresses and paths that parse differently (userinfo, backslash, fragment, query, dot segments, escapes) get no token anywhere else", async () => {
    const f = await encrypted("differential.yaml");
    const original = readFileSync(f, "utf8");
    const allowed = vault.address;
    const other = attacker.address.replace(/^http:\/\//, "");
    const field = (name: string, from: string, to: string): [string, string] => [`${name}: ${from}`, `${name}: ${JSON.stringify(to)}`];
    const cases: Array<[string, string]> = [
      field("vault_address", allowed, `${allowed}@${other}`),
      field("vault_address", allowed, `http://${other}\\@${allowed.replace(/^http:\/\//, "")}`),
      field("vault_address", allowed, `http://${other}#@${allowed.replace(/^http:\/\//, "")}`),
      field("vault_address", allowed, `http://${other}?@${allowed.replace(/^http:\/\//, "")}`),
      field("vault_address", allowed, `${allowed}.`),
      field("engine_path", "transit", "transit/../../sys/wrapping"),
      field("engine_path", "transit", "transit/%2e%2e/sys"),
      field("engine_path", "transit", "transit?x="),
      field("key_name", "app", "app/../../../sys"),
      field("key_name", "app", "app#"),
      field("key_name", "app", "app%2f..%2f"),
    ];
    const before = vault.calls.length;
    for (const [from, to] of cases) {
      writeFileSync(f, original.replace(from, to));
      const r = await hush(["decrypt", f], { env });
      expect(r.status, to).toBe(128);
      expect(r.stdout).not.toContain("s3cr3t");
    }
    expect(attacker.calls, "the attacker's server received a request").toEqual([]);
    // The allowed server saw only the transit decrypt path (none of these reached it with another).
    expect(vault.calls.slice(before).every((c) => c.path === "/v1/transit/decrypt/app")).toBe(true);
  });

  it("HUSH_VAULT_ADDRS and VAULT_ADDR (normalised) allow a server; ~/.vault-token is read", async () => {
    const f = await encrypted("allowed.yaml");
    const listed = await hush(["decrypt", f], { env: { VAULT_TOKEN: vault.token, HUSH_VAULT_ADDRS: `https://vault.example.com, ${vault.address}/` } });
    expect(listed.stderr).toBe("");
    expect(listed.stdout).toBe(PLAIN);
    const trailingSlash = await hush(["decrypt", f], { env: { VAULT_TOKEN: vault.token, VAULT_ADDR: `${vault.address.toUpperCase().replace("HTTP", "http")}/` } });
    expect(trailingSlash.stdout).toBe(PLAIN);
    const home = join(tmp.path, "home2");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, ".vault-token"), `${vault.token}\n`, { mode: 0o600 });
    const tokenFile = await hush(["decrypt", f], { env: { HOME: home, VAULT_ADDR: vault.address } });
    expect(tokenFile.stdout).toBe(PLAIN);
  });

  it("a relative HOME does not make ~/.vault-token a token file of the working directory (a repository someone else wrote)", async () => {
    const f = await encrypted("relative-home.yaml");
    const clone = join(tmp.path, "clone");
    mkdirSync(join(clone, "home"), { recursive: true });
    writeFileSync(join(clone, "home", ".vault-token"), `${vault.token}\n`);
    const r = await hush(["decrypt", f], { cwd: clone, env: { HOME: "home", VAULT_ADDR: vault.address } });
    expect(r.stdout).toBe("");
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("no Vault token: set VAULT_TOKEN");
  });

  it("a wrong token is a one-line error naming the key, exit 128, nothing written", async () => {
    const f = await encrypted("wrong-token.yaml");
    const before = readFileSync(f);
    const r = await hush(["decrypt", "-i", f], { env: { ...env, VAULT_TOKEN: "hvs.wrong" } });
    expect(r.status).toBe(128);
    const [line, ...rest] = r.stderr.trim().split("\n");
    expect(line).toMatch(new RegExp(`^hush: .*wrong-token\\.yaml: could not decrypt the data key: group 0: hc_vault ${vault.uri("app").replace(/\./g, "\\.")}: Vault transit decrypt failed: AccessDenied \\(HTTP 403: permission denied\\)$`));
    expect(rest.every((l) => l.startsWith("  next:")), r.stderr).toBe(true);
    expect(readFileSync(f)).toEqual(before);
    const none = await hush(["decrypt", f], { env: { VAULT_ADDR: vault.address } });
    expect(none.status).toBe(128);
    expect(none.stderr).toContain("no Vault token: set VAULT_TOKEN");
  });

  it("a denied key and a server error: one line naming the group and key, exit 128, nothing written", async () => {
    for (const [name, breakKey, reason] of [
      ["denied", (k: string) => vault.deny(k), "AccessDenied \\(HTTP 403: 1 error occurred:.*permission denied.*\\)"],
      ["erroring", (k: string) => vault.failWith(k, 503), "ServerError \\(HTTP 503: local node not active but active cluster node not found\\)"],
    ] as const) {
      vault.createKey(name);
      const f = join(tmp.path, `${name}.yaml`);
      writeFileSync(f, PLAIN);
      const enc = await hush(["encrypt", "-i", "--hc-vault-transit", vault.uri(name), f], { env });
      expect(enc.status, enc.stderr).toBe(0);
      const before = readFileSync(f);
      breakKey(name);
      const r = await hush(["decrypt", "-i", f], { env });
      expect(r.status).toBe(128);
      const [line, ...rest] = r.stderr.trim().split("\n");
      expect(line).toMatch(new RegExp(`: could not decrypt the data key: group 0: hc_vault ${vault.uri(name).replace(/\./g, "\\.")}: Vault transit decrypt failed: ${reason}$`));
      expect(rest.every((l) => l.startsWith("  next:")), r.stderr).toBe(true);
      expect(readFileSync(f)).toEqual(before);
      // Wrapping to it fails the same way, and writes nothing.
      const again = await hush(["rotate", "-i", f], { env });
      expect(again.status).toBe(128);
      expect(readFileSync(f)).toEqual(before);
    }
  });

  it("a key group mixing age and hc_vault (.sops.yaml) opens with either key", async () => {
    const dir = join(tmp.path, "mixed");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "alice");
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        hc_vault: ["${vault.uri("app")}"]\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const enc = await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env });
    expect(enc.stderr).toBe("");
    const text = readFileSync(join(dir, "s.yaml"), "utf8");
    expect(text).toContain("key_name: app");
    expect(text).toContain(age.recipient);
    const calls = vault.calls.length;
    const byAge = await hush(["decrypt", "s.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: age.file } });
    expect(byAge.stdout).toBe(PLAIN);
    expect(vault.calls.length).toBe(calls);
    const byVault = await hush(["decrypt", "s.yaml"], { cwd: dir, env });
    expect(byVault.stdout).toBe(PLAIN);
  });

  it("hc_vault_transit_uri in a rule: its server must be allowed too (a clone brings its own .sops.yaml); http only to loopback", async () => {
    const dir = join(tmp.path, "rule");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - path_regex: ^s\\.yaml$\n    hc_vault_transit_uri: "${vault.uri("app")}"\n  - path_regex: ^evil\\.yaml$\n    hc_vault_transit_uri: "${attacker.uri("app")}"\n  - path_regex: ^t\\.yaml$\n    hc_vault_transit_uri: "${vault.uri("app")}"\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const enc = await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env });
    expect(enc.stderr).toBe("");
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env })).stdout).toBe(PLAIN);
    writeFileSync(join(dir, "evil.yaml"), PLAIN);
    const evil = await hush(["encrypt", "-i", "evil.yaml"], { cwd: dir, env });
    expect(evil.status).toBe(1);
    expect(evil.stderr).toContain(`names the Vault server ${attacker.address}; hush sends your Vault token only to a server you allow: set VAULT_ADDR=${attacker.address} or add it to HUSH_VAULT_ADDRS`);
    expect(readFileSync(join(dir, "evil.yaml"), "utf8")).toBe(PLAIN);
    expect(attacker.calls).toEqual([]);
    writeFileSync(join(dir, "t.yaml"), PLAIN);
    const http = await hush(["encrypt", "--hc-vault-transit", "http://vault.example.com:8200/v1/transit/keys/app", "t.yaml"], { cwd: dir, env });
    expect(http.status).not.toBe(0);
    expect(http.stderr).toContain("is not https");
    expect(readFileSync(join(dir, "t.yaml"), "utf8")).toBe(PLAIN);
  });

  it("a vault_address written as the .sops.yaml URI spells it (SOPS keeps case and port) is the rule's key: updatekeys keeps it, rotate does not ask about it", async () => {
    const dir = join(tmp.path, "spelled");
    mkdirSync(dir);
    const port = new URL(vault.address).port;
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - hc_vault_transit_uri: "http://LocalHost:${port}/v1/transit/keys/app"\n`);
    const local = { ...env, VAULT_ADDR: `http://localhost:${port}` };
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env: local })).status).toBe(0);
    // What SOPS writes for that rule: the address as the URI has it.
    writeFileSync(join(dir, "s.yaml"), readFileSync(join(dir, "s.yaml"), "utf8").replace(`vault_address: http://localhost:${port}`, `vault_address: http://LocalHost:${port}`));
    const before = readFileSync(join(dir, "s.yaml"), "utf8");
    const up = await hush(["updatekeys", "-y", "s.yaml"], { cwd: dir, env: local });
    expect(up.stdout + up.stderr).not.toContain("+++");
    expect(up.status).toBe(0);
    expect(readFileSync(join(dir, "s.yaml"), "utf8")).toBe(before);
    const r = await hush(["rotate", "-i", "s.yaml"], { cwd: dir, env: local });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env: local })).stdout).toBe(PLAIN);
  });

  it("a file in SOPS 3.12's field order and SOPS's URI forms round-trip (entries rewritten sorted)", async () => {
    const f = await encrypted("order.yaml");
    const text = readFileSync(f, "utf8");
    const m = /- created_at: (.*)\n {10}enc: (.*)\n {10}engine_path: (.*)\n {10}key_name: (.*)\n {10}vault_address: (.*)\n/.exec(text)!;
    const legacy = text.replace(m[0], `- vault_address: ${m[5]}\n          engine_path: ${m[3]}\n          key_name: ${m[4]}\n          created_at: ${m[1]}\n          enc: ${m[2]}\n`);
    writeFileSync(f, legacy);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    const rot = await hush(["rotate", "-i", f], { env });
    expect(rot.stderr).toBe("");
    expect(readFileSync(f, "utf8")).toMatch(/- created_at: .*\n {10}enc: vault:v1:.*\n {10}engine_path: transit\n {10}key_name: app\n {10}vault_address: /);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    const bad = await hush(["encrypt", "--hc-vault-transit", "https://vault:8200/prefix/v1/transit/keys/app", f], { env });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("Invalid Vault transit URI");
  });

  it("rotate --add-hc-vault-transit and --rm-hc-vault-transit", async () => {
    const dir = join(tmp.path, "rotate");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "bob");
    const f = join(dir, "r.yaml");
    writeFileSync(f, PLAIN);
    expect((await hush(["encrypt", "-i", "--age", age.recipient, f])).status).toBe(0);
    const add = await hush(["rotate", "-i", "--add-hc-vault-transit", vault.uri("app"), f], { env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(add.stderr).toBe("");
    expect(readFileSync(f, "utf8")).toContain("key_name: app");
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    const rm = await hush(["rotate", "-i", "--rm-hc-vault-transit", vault.uri("app"), f], { env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(rm.stderr).toBe("");
    expect(readFileSync(f, "utf8")).not.toContain("hc_vault");
    expect((await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
  });

  it("VAULT_NAMESPACE is sent as X-Vault-Namespace; a redirect is not followed (the token stays put)", async () => {
    const ns = await startVaultTestServer({ namespace: "team-a" });
    const redirecting = await startVaultTestServer({ redirectTo: attacker.address });
    try {
      const f = join(tmp.path, "ns.yaml");
      writeFileSync(f, PLAIN);
      const nsEnv = { VAULT_TOKEN: ns.token, VAULT_ADDR: ns.address, VAULT_NAMESPACE: "team-a" };
      expect((await hush(["encrypt", "-i", "--hc-vault-transit", ns.uri("app"), f], { env: nsEnv })).stderr).toBe("");
      expect((await hush(["decrypt", f], { env: nsEnv })).stdout).toBe(PLAIN);
      expect(ns.calls.every((c) => c.namespace === "team-a")).toBe(true);
      const noNs = await hush(["decrypt", f], { env: { ...nsEnv, VAULT_NAMESPACE: "" } });
      expect(noNs.status).toBe(128);
      expect(noNs.stderr).toContain("AccessDenied (HTTP 403: permission denied)");

      writeFileSync(f, readFileSync(f, "utf8").replace(`vault_address: ${ns.address}`, `vault_address: ${redirecting.address}`));
      const r = await hush(["decrypt", f], { env: { VAULT_TOKEN: ns.token, VAULT_ADDR: redirecting.address } });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("HTTP 307 redirect not followed");
      // The mount lookup's redirect says nothing of the mount; the transit call's fails the key. Neither is followed.
      expect(redirecting.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(["GET /v1/sys/internal/ui/mounts/transit 307", "PUT /v1/transit/decrypt/app 307"]);
      expect(attacker.calls).toEqual([]);
    } finally {
      await ns.stop();
      await redirecting.stop();
    }
  });

  it("a mount lookup that says nothing (a proxy's redirect, 404, 200 without data) leaves a transit key working", async () => {
    for (const mountLookup of ["redirect", "not-found", "no-data"] as const) {
      const odd = await startVaultTestServer({ token: vault.token, mountLookup });
      try {
        odd.createKey("app");
        const f = join(tmp.path, `odd-lookup-${mountLookup}.yaml`);
        writeFileSync(f, PLAIN);
        const oddEnv = { VAULT_TOKEN: vault.token, VAULT_ADDR: odd.address };
        const made = await hush(["encrypt", "-i", "--hc-vault-transit", odd.uri("app"), f], { env: oddEnv });
        expect(made.stderr, mountLookup).toBe("");
        // The file's own entry: looked up, and the lookup's answer tells nothing, so decrypt goes ahead.
        const r = await hush(["decrypt", f], { env: oddEnv });
        expect(r.stderr, mountLookup).toBe("");
        expect(r.stdout, mountLookup).toBe(PLAIN);
        expect(odd.calls.map((c) => `${c.method} ${c.path}`), mountLookup).toContain("PUT /v1/transit/decrypt/app");
      } finally {
        await odd.stop();
      }
    }
  });

  it("a server that hangs: NetworkTimeout after VAULT_CLIENT_TIMEOUT, exit 128", async () => {
    const slow = await startVaultTestServer({ token: vault.token, latencyMs: 5000 });
    try {
      const f = await encrypted("slow.yaml");
      writeFileSync(f, readFileSync(f, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${slow.address}`));
      const started = Date.now();
      const r = await hush(["decrypt", f], { env: { VAULT_TOKEN: vault.token, VAULT_ADDR: slow.address, VAULT_CLIENT_TIMEOUT: "1" } });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("Vault transit decrypt failed: NetworkTimeout (no answer within 1000 ms)");
      expect(Date.now() - started).toBeLessThan(4500);
    } finally {
      await slow.stop();
    }
  });

  it("a file listing many keys of a server that hangs waits for it once, not once per key", async () => {
    const slow = await startVaultTestServer({ token: vault.token, latencyMs: 5000 });
    try {
      const f = await encrypted("slow-many.yaml");
      const text = readFileSync(f, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${slow.address}`);
      const entry = /\n( {8}- created_at: [^\n]*\n(?: {10}[^\n]*\n)+)/.exec(text.slice(text.indexOf("hc_vault:")))![1]!;
      const many = Array.from({ length: 12 }, (_, i) => entry.replace("key_name: app", `key_name: app${i}`)).join("");
      writeFileSync(f, text.replace(entry, many));
      const started = Date.now();
      const r = await hush(["decrypt", f], { env: { VAULT_TOKEN: vault.token, VAULT_ADDR: slow.address, VAULT_CLIENT_TIMEOUT: "1" } });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("Vault transit decrypt failed: NetworkTimeout (no answer within 1000 ms)");
      expect(Date.now() - started).toBeLessThan(5000);
      expect(r.stderr.match(/NetworkTimeout \(not asked: it gave no answer within 1000 ms to an earlier request\)/g)).toHaveLength(11);
    } finally {
      await slow.stop();
    }
  });

  it("a file's many entries under made-up engine paths cost a bounded number of requests with the token, not one per path segment", async () => {
    // A server that never says what a path is mounted as (Vault without namespaces answers 404 for
    // a path under a namespace that does not exist): each way of splitting a path is asked.
    const odd = await startVaultTestServer({ token: vault.token, mountLookup: "not-found" });
    try {
      odd.createKey("app");
      const oddEnv = { VAULT_TOKEN: vault.token, VAULT_ADDR: odd.address };
      const f = join(tmp.path, "deep-paths.yaml");
      writeFileSync(f, PLAIN);
      expect((await hush(["encrypt", "-i", "--hc-vault-transit", odd.uri("app"), f], { env: oddEnv })).stderr).toBe("");
      const text = readFileSync(f, "utf8");
      const entry = /\n( {8}- created_at: [^\n]*\n(?: {10}[^\n]*\n)+)/.exec(text.slice(text.indexOf("hc_vault:")))![1]!;
      const path = (i: number, n: number): string => Array.from({ length: n }, (_, j) => `ns${i}x${j}`).join("/");
      const many = Array.from({ length: 100 }, (_, i) => entry.replace("engine_path: transit", `engine_path: ${path(i, 15)}/transit`)).join("");
      writeFileSync(f, text.replace(entry, many));
      const before = odd.calls.length;
      const r = await hush(["decrypt", f], { env: oddEnv });
      expect(r.status).toBe(128);
      // 64 lookups, and the decrypt calls of the 4 entries whose 16 lookups fitted in them.
      expect(odd.calls.length - before).toBe(64 + 4);
      expect(r.stderr).toContain(`Vault transit: not asked: ${odd.address} was already asked 64 times in this run what engine paths are mounted as, and the engine path ns4x0/`);
      // A path of more segments than any real one is refused before any request.
      writeFileSync(f, text.replace("engine_path: transit", `engine_path: ${path(0, 16)}/transit`));
      const deep = await hush(["decrypt", f], { env: oddEnv });
      expect(deep.status).toBe(128);
      expect(deep.stderr).toContain(": 17 segments; hush reads at most 16");
      expect(odd.calls.length - before).toBe(68);
    } finally {
      await odd.stop();
    }
  });

  it("HTTPS with VAULT_CACERT", async () => {
    const cert = makeTestCertificate(tmp.path);
    const tls = await startVaultTestServer({ tls: cert, token: vault.token });
    try {
      const f = join(tmp.path, "tls.yaml");
      writeFileSync(f, PLAIN);
      const tlsEnv = { VAULT_TOKEN: tls.token, VAULT_ADDR: tls.address, VAULT_CACERT: cert.certFile };
      const enc = await hush(["encrypt", "-i", "--hc-vault-transit", tls.uri("app"), f], { env: tlsEnv });
      expect(enc.stderr).toBe("");
      expect((await hush(["decrypt", f], { env: tlsEnv })).stdout).toBe(PLAIN);
      const untrusted = await hush(["decrypt", f], { env: { ...tlsEnv, VAULT_CACERT: "" } });
      expect(untrusted.status).toBe(128);
      expect(untrusted.stderr).toContain("NetworkError");
    } finally {
      await tls.stop();
    }
  });
});
