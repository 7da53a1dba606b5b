import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, makeTestCertificate, startVaultTestServer, type VaultTestServer } from "@hush/testkit";
import { encryptedFile, failsWith, misbehaving, PLAIN } from "./cloud-failures.ts";
import { hush } from "./helpers.ts";

/**
 * Vault transit failures through the built CLI, named as AWS KMS names its own (see cloud-failures.ts):
 * before any request, reaching a token endpoint, and answers that are not the service's.
 */

describe("Vault transit failures", () => {
  let vault: VaultTestServer;
  const tmp = makeTempDir("hush-cloud-failures-");
  const dir = tmp.path;
  let file: string;
  beforeAll(async () => {
    vault = await startVaultTestServer();
    vault.createKey("app");
    file = await encryptedFile(dir, "vault.yaml", "--hc-vault-transit", vault.uri("app"), { VAULT_TOKEN: vault.token, VAULT_ADDR: vault.address });
  });
  afterAll(async () => {
    await vault.stop();
    tmp.cleanup();
  });

  it("a ~/.vault-token that is a directory is CredentialsUnloadable naming it, not 'no Vault token' (which sent the user to log in again); nothing is sent", async () => {
    const home = join(dir, "home-dir-token");
    mkdirSync(join(home, ".vault-token"), { recursive: true });
    const before = vault.calls.length;
    await failsWith(
      file,
      { VAULT_ADDR: vault.address, HOME: home },
      `CredentialsUnloadable (cannot read the Vault token file ${join(home, ".vault-token")}: EISDIR, a directory, not a file): no request was sent; make it a file you can read (\`vault login\` writes it) or set VAULT_TOKEN`,
    );
    expect(vault.calls.length).toBe(before);
    // No token file at all is still "no Vault token", and a readable one still opens the file.
    await failsWith(file, { VAULT_ADDR: vault.address, HOME: join(dir, "no-home") }, "no Vault token: set VAULT_TOKEN");
    const home2 = join(dir, "home-file-token");
    mkdirSync(home2);
    writeFileSync(join(home2, ".vault-token"), `${vault.token}\n`);
    expect((await hush(["decrypt", file], { env: { VAULT_ADDR: vault.address, HOME: home2 } })).stdout).toBe(PLAIN);
  });

  it("a token or namespace with a line break inside is named as the setting to correct, not Node's 'Invalid character in header content'; nothing is sent", async () => {
    const before = vault.calls.length;
    const next = "no request was sent; correct VAULT_TOKEN";
    await failsWith(file, { VAULT_ADDR: vault.address, VAULT_TOKEN: `${vault.token}\nsecond-line-secret` }, `CredentialsUnloadable (VAULT_TOKEN holds a character an HTTP header cannot carry (a line break or control character?)): ${next}`);
    const home = join(dir, "home-two-lines");
    mkdirSync(home);
    writeFileSync(join(home, ".vault-token"), `${vault.token}\n${vault.token}\n`);
    await failsWith(file, { VAULT_ADDR: vault.address, HOME: home }, `CredentialsUnloadable (the Vault token file ${join(home, ".vault-token")} holds a character an HTTP header cannot carry`);
    await failsWith(file, { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, VAULT_NAMESPACE: "team\r\nX-Injected: 1" }, "BadConfiguration (VAULT_NAMESPACE holds a character an HTTP header cannot carry (a line break or control character?)): no request was sent; correct VAULT_NAMESPACE");
    expect(vault.calls.length).toBe(before);
  });

  it("a proxy setting hush cannot use is BadConfiguration naming the variable, never its password; nothing is sent", async () => {
    const remote = "https://vault.hush.invalid:8200";
    const f = join(dir, "vault-remote.yaml");
    writeFileSync(f, readFileSync(file, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${remote}`));
    const env = { VAULT_ADDR: remote, VAULT_TOKEN: vault.token };
    const bad = await failsWith(f, { ...env, HTTPS_PROXY: "http://user:pw-secret-1@[bad" }, "Vault transit decrypt failed: BadConfiguration (HTTPS_PROXY is not a proxy address (http://[user:password@]host:port): correct or unset it): no request was sent");
    const r = await failsWith(f, { ...env, https_proxy: "socks5://user:pw-secret-2@proxy:1080" }, "BadConfiguration (https_proxy names a socks5 proxy; hush goes through http and https proxies only");
    expect(bad + r).not.toContain("pw-secret");
  });

  it("a VAULT_CACERT that is not there is BadConfiguration naming it, and nothing is sent", async () => {
    const cert = makeTestCertificate(dir);
    const tlsVault = await startVaultTestServer({ tls: cert });
    try {
      tlsVault.createKey("app");
      const env = { VAULT_TOKEN: tlsVault.token, VAULT_ADDR: tlsVault.address, VAULT_CACERT: cert.certFile };
      const f = await encryptedFile(dir, "vault-tls.yaml", "--hc-vault-transit", tlsVault.uri("app"), env);
      const missing = join(dir, "absent-ca.pem");
      const before = tlsVault.calls.length;
      await failsWith(f, { ...env, VAULT_CACERT: missing }, `BadConfiguration (cannot read VAULT_CACERT ${missing}: ENOENT, no such file): no request was sent; correct or unset VAULT_CACERT`);
      expect(tlsVault.calls.length).toBe(before);
      // Without the CA, the certificate check fails, and the message says what to do.
      await failsWith(f, { VAULT_TOKEN: tlsVault.token, VAULT_ADDR: tlsVault.address }, "NetworkError (DEPTH_ZERO_SELF_SIGNED_CERT: the server's TLS certificate was not accepted; trust its CA with NODE_EXTRA_CA_CERTS (Vault: VAULT_CACERT), or check the address)");
    } finally {
      await tlsVault.stop();
    }
  });

  it("an error answer that is not Vault's JSON says so; 401 and 404 get the reasons the other key services give", async () => {
    for (const [status, reason] of [
      [502, "ServerError (HTTP 502: the answer is not JSON (text/html): not the service's own; is a proxy or gateway in between?)"],
      [401, "Unauthorized (HTTP 401: the answer is not JSON"],
      [404, "KeyNotFound (HTTP 404: the answer is not JSON"],
    ] as const) {
      const server = await misbehaving(status);
      try {
        const f = join(dir, `vault-${status}.yaml`);
        writeFileSync(f, readFileSync(file, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${server.address}`));
        await failsWith(f, { VAULT_TOKEN: "hvs.secret-token-value", VAULT_ADDR: server.address }, `Vault transit decrypt failed: ${reason}`);
      } finally {
        await server.stop();
      }
    }
  });

  it("an answer larger than any key service gives is MalformedResponse, as an answer that cannot be read", async () => {
    const server = await misbehaving(200, 100_000);
    try {
      const f = join(dir, "vault-large.yaml");
      writeFileSync(f, readFileSync(file, "utf8").replace(`vault_address: ${vault.address}`, `vault_address: ${server.address}`));
      await failsWith(f, { VAULT_TOKEN: "hvs.secret-token-value", VAULT_ADDR: server.address }, "Vault transit decrypt failed: MalformedResponse (an answer larger than 65536 bytes)");
    } finally {
      await server.stop();
    }
  });
});
