import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  makeTempDir,
  startConnectProxy,
  startGcpKmsTestServer,
  startKmsTestServer,
  startTlsFront,
  startVaultTestServer,
  testCertificate,
  type ConnectProxy,
  type KmsTestServer,
  type TlsFront,
  type VaultTestServer,
} from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * Key services behind an HTTPS proxy (HTTPS_PROXY, NO_PROXY), as SOPS's Go client reaches them.
 * Requests to loopback never use a proxy, so the services are given names that are not loopback
 * (`*.hush.test`, which resolve nowhere): the test proxy opens every tunnel to 127.0.0.1, and
 * the services' certificates are made for those names. A request that reached a service went
 * through the proxy; TLS runs inside the tunnel, checked against the service's name.
 */

const PLAIN = "password: s3cr3t\n";
const VAULT_HOST = "vault.hush.test";
const KMS_HOST = "kms.hush.test";

describe("key services through an HTTPS proxy", () => {
  const tmp = makeTempDir("hush-proxy-");
  const cert = testCertificate([VAULT_HOST, KMS_HOST]);
  const caFile = join(tmp.path, "ca.pem");
  let vault: VaultTestServer;
  let vaultAddress: string;
  let proxy: ConnectProxy;
  let kms: KmsTestServer;
  let kmsFront: TlsFront;
  let vaultEnv: Record<string, string>;

  beforeAll(async () => {
    writeFileSync(caFile, cert.certPem);
    vault = await startVaultTestServer({ tls: { key: cert.keyPem, cert: cert.certPem } });
    vault.createKey("app");
    vaultAddress = vault.address.replace("127.0.0.1", VAULT_HOST);
    proxy = await startConnectProxy({ credentials: "alice:p@ss w0rd" });
    kms = await startKmsTestServer();
    kmsFront = await startTlsFront(Number(new URL(kms.endpoint).port), cert);
  });
  beforeEach(() => {
    proxy.setMode("tunnel");
    vaultEnv = {
      VAULT_TOKEN: vault.token,
      VAULT_ADDR: vaultAddress,
      VAULT_CACERT: caFile,
      HTTPS_PROXY: `http://alice:p%40ss%20w0rd@127.0.0.1:${proxy.port}`,
    };
  });
  afterAll(async () => {
    await vault.stop();
    await proxy.stop();
    await kmsFront.stop();
    await kms.stop();
    tmp.cleanup();
  });

  /** A file encrypted for the Vault key `app`, through the proxy. */
  const vaultFile = async (name: string): Promise<string> => {
    const f = join(tmp.path, name);
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--hc-vault-transit", `${vaultAddress}/v1/transit/keys/app`, f], { env: vaultEnv });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return f;
  };

  it("Vault: encrypt and decrypt go through the proxy's tunnel, with the proxy's credentials sent to the proxy only", async () => {
    const before = proxy.tunnels;
    const f = await vaultFile("vault.yaml");
    const r = await hush(["decrypt", f], { env: vaultEnv });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(proxy.tunnels - before).toBeGreaterThanOrEqual(2);
    const port = new URL(vaultAddress).port;
    expect(proxy.calls.at(-1)).toEqual({ target: `${VAULT_HOST}:${port}`, proxyAuthorization: `Basic ${Buffer.from("alice:p@ss w0rd").toString("base64")}`, status: 200 });
    expect(vault.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toContain("PUT /v1/transit/decrypt/app 200");
  });

  it("lower-case https_proxy is read too; NO_PROXY matching the host (suffix, with or without a dot, or *) sends the request direct", async () => {
    const f = await vaultFile("no-proxy.yaml");
    const lower = { ...vaultEnv, HTTPS_PROXY: undefined, https_proxy: vaultEnv["HTTPS_PROXY"] };
    const before = proxy.tunnels;
    expect((await hush(["decrypt", f], { env: lower })).stdout).toBe(PLAIN);
    expect(proxy.tunnels).toBeGreaterThan(before);
    for (const noProxy of ["hush.test", ".hush.test", "*.hush.test", `other.example,${VAULT_HOST}:${new URL(vaultAddress).port}`, "*", "10.0.0.0/8, vault.hush.test"]) {
      const calls = proxy.calls.length;
      const r = await hush(["decrypt", f], { env: { ...vaultEnv, NO_PROXY: noProxy } });
      // Direct, the name resolves nowhere.
      expect(r.status, noProxy).not.toBe(0);
      expect(r.stderr, noProxy).toMatch(/NetworkError \((ENOTFOUND|EAI_AGAIN)\)/);
      expect(proxy.calls.length, noProxy).toBe(calls);
    }
    // Entries that do not match the host leave the proxy in use.
    for (const noProxy of ["example.com", "ault.hush.test", `${VAULT_HOST}:1`, "127.0.0.1"]) {
      const r = await hush(["decrypt", f], { env: { ...vaultEnv, no_proxy: noProxy } });
      expect(r.stdout, noProxy).toBe(PLAIN);
    }
  });

  it("a loopback address never goes through the proxy", async () => {
    const local = await startVaultTestServer();
    try {
      local.createKey("app");
      const f = join(tmp.path, "loopback.yaml");
      writeFileSync(f, PLAIN);
      const env = { ...vaultEnv, VAULT_TOKEN: local.token, VAULT_ADDR: local.address };
      const calls = proxy.calls.length;
      const enc = await hush(["encrypt", "-i", "--hc-vault-transit", local.uri("app"), f], { env });
      expect(enc.stderr).toBe("");
      expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
      expect(proxy.calls.length).toBe(calls);
      expect(local.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      await local.stop();
    }
  });

  it("a proxy that refuses, closes or never answers: a short error naming the proxy (never its password) and the host; the service gets nothing", async () => {
    const f = await vaultFile("refused.yaml");
    const target = `${VAULT_HOST}:${new URL(vaultAddress).port}`;
    const proxyName = `proxy http://127.0.0.1:${proxy.port}`;
    const cases: { mode: "tunnel" | "forbid" | "close" | "hang"; env: Record<string, string>; says: string }[] = [
      { mode: "tunnel", env: { HTTPS_PROXY: `http://alice:wrong-secret@127.0.0.1:${proxy.port}` }, says: `${proxyName} refused the tunnel to ${target}: HTTP 407 Proxy Authentication Required: check the user and password in HTTPS_PROXY` },
      { mode: "forbid", env: {}, says: `${proxyName} refused the tunnel to ${target}: HTTP 403 Forbidden` },
      { mode: "close", env: {}, says: `${proxyName} closed the connection before opening a tunnel to ${target}` },
      { mode: "hang", env: { VAULT_CLIENT_TIMEOUT: "1" }, says: `NetworkTimeout (no answer within 1000 ms, through proxy http://127.0.0.1:${proxy.port})` },
    ];
    for (const c of cases) {
      proxy.setMode(c.mode);
      const served = vault.calls.length;
      const r = await hush(["decrypt", f], { env: { ...vaultEnv, ...c.env }, timeoutMs: 20_000 });
      expect(r.status, c.mode).toBe(128);
      expect(r.stderr, c.mode).toContain(c.says);
      expect(r.stderr, c.mode).not.toMatch(/wrong-secret|p%40ss|p@ss|alice/);
      expect(r.stdout).not.toContain("s3cr3t");
      expect(vault.calls.length, c.mode).toBe(served);
    }
  });

  it("an https:// proxy: TLS to the proxy, and TLS to the service inside it", async () => {
    const proxyCert = testCertificate(["localhost"]);
    const tlsProxy = await startConnectProxy({ tls: proxyCert });
    try {
      const f = await vaultFile("https-proxy.yaml");
      const trust = join(tmp.path, "proxy-ca.pem");
      writeFileSync(trust, proxyCert.certPem);
      const r = await hush(["decrypt", f], { env: { ...vaultEnv, HTTPS_PROXY: `https://localhost:${tlsProxy.port}`, NODE_EXTRA_CA_CERTS: trust } });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(PLAIN);
      expect(tlsProxy.calls.map((c) => `${c.target} ${c.status}`)).toContain(`${VAULT_HOST}:${new URL(vaultAddress).port} 200`);
      // Not trusted: refused at the proxy, before anything reaches the service.
      const served = vault.calls.length;
      const untrusted = await hush(["decrypt", f], { env: { ...vaultEnv, HTTPS_PROXY: `https://localhost:${tlsProxy.port}` } });
      expect(untrusted.status).toBe(128);
      expect(untrusted.stderr).toContain(`cannot reach proxy https://localhost:${tlsProxy.port} for ${VAULT_HOST}:`);
      expect(vault.calls.length).toBe(served);
    } finally {
      await tlsProxy.stop();
    }
  });

  it("a proxy setting that is not an http(s) proxy URL is named, without its password", async () => {
    const f = await vaultFile("bad-proxy.yaml");
    const r = await hush(["decrypt", f], { env: { ...vaultEnv, HTTPS_PROXY: "socks5://bob:hunter2@127.0.0.1:1080" } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("HTTPS_PROXY names a socks5 proxy; hush goes through http and https proxies only");
    expect(r.stderr).not.toContain("hunter2");
  });

  it("the certificate is checked against the key service's name inside the tunnel, not the proxy's", async () => {
    const f = await vaultFile("wrong-name.yaml");
    // The same server under a name its certificate does not hold.
    const other = vaultAddress.replace(VAULT_HOST, "other.hush.test");
    const text = (await import("node:fs")).readFileSync(f, "utf8").replace(`vault_address: ${vaultAddress}`, `vault_address: ${other}`);
    writeFileSync(f, text);
    const served = vault.calls.length;
    const r = await hush(["decrypt", f], { env: { ...vaultEnv, VAULT_ADDR: other } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    expect(vault.calls.length).toBe(served);
  });

  it("AWS KMS: encrypt and decrypt go through the proxy's tunnel to the KMS endpoint", async () => {
    const arn = kms.createKey();
    const endpoint = `https://${KMS_HOST}:${kmsFront.port}`;
    const env = { ...kms.env, AWS_ENDPOINT_URL_KMS: endpoint, AWS_ENDPOINT_URL_STS: endpoint, NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: vaultEnv["HTTPS_PROXY"] };
    const f = join(tmp.path, "kms.yaml");
    writeFileSync(f, PLAIN);
    const before = proxy.tunnels;
    const enc = await hush(["encrypt", "-i", "--kms", arn, f], { env });
    expect(enc.stderr).toBe("");
    const dec = await hush(["decrypt", f], { env });
    expect(dec.stderr).toBe("");
    expect(dec.stdout).toBe(PLAIN);
    expect(proxy.tunnels - before).toBeGreaterThanOrEqual(2);
    expect(proxy.calls.at(-1)?.target).toBe(`${KMS_HOST}:${kmsFront.port}`);
    expect(kms.calls.map((c) => `${c.operation} ${c.status}`)).toEqual(expect.arrayContaining(["Encrypt 200", "Decrypt 200"]));
    // NO_PROXY: direct, to a name that resolves nowhere.
    const calls = proxy.calls.length;
    const direct = await hush(["decrypt", f], { env: { ...env, NO_PROXY: ".hush.test" } });
    expect(direct.status).not.toBe(0);
    expect(proxy.calls.length).toBe(calls);
    // A refusing proxy: KMS is not reached, and the password is not shown.
    proxy.setMode("forbid");
    const served = kms.calls.length;
    const refused = await hush(["decrypt", f], { env });
    expect(refused.status).toBe(128);
    expect(refused.stderr).toContain(`refused the tunnel to ${KMS_HOST}:${kmsFront.port}: HTTP 403`);
    expect(refused.stderr).not.toMatch(/p%40ss|p@ss|alice/);
    expect(kms.calls.length).toBe(served);
  });

  it("AWS KMS: a proxy that never answers costs one timeout, not one per key of the endpoint", async () => {
    const arns = [kms.createKey(), kms.createKey(), kms.createKey()];
    const endpoint = `https://${KMS_HOST}:${kmsFront.port}`;
    const env = { ...kms.env, AWS_ENDPOINT_URL_KMS: endpoint, AWS_ENDPOINT_URL_STS: endpoint, NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: vaultEnv["HTTPS_PROXY"] };
    const f = join(tmp.path, "kms-many.yaml");
    writeFileSync(f, PLAIN);
    expect((await hush(["encrypt", "-i", "--kms", arns.join(","), f], { env })).stderr).toBe("");
    proxy.setMode("hang");
    const r = await hush(["decrypt", f], { env });
    // One wait of the 10 s default, then the other keys are not asked (counted, not timed).
    expect(r.status).toBe(128);
    expect(r.stderr).toContain(`NetworkTimeout (proxy http://127.0.0.1:${proxy.port} did not open a tunnel to ${KMS_HOST}:${kmsFront.port} within 10000 ms)`);
    expect(r.stderr.match(/NetworkTimeout \(not asked/g)?.length).toBe(2);
  });

  it("Google Cloud KMS: the request and its token go through the proxy's tunnel", async () => {
    const gcp = await startGcpKmsTestServer({ tls: { key: cert.keyPem, cert: cert.certPem } });
    try {
      const key = gcp.resourceId("app");
      gcp.createKey(key);
      const endpoint = gcp.address.replace("127.0.0.1", KMS_HOST);
      const env = { SOPS_GCP_KMS_ENDPOINT: endpoint, GOOGLE_OAUTH_ACCESS_TOKEN: gcp.token, NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: vaultEnv["HTTPS_PROXY"] };
      const f = join(tmp.path, "gcp.yaml");
      writeFileSync(f, PLAIN);
      const before = proxy.tunnels;
      expect((await hush(["encrypt", "-i", "--gcp-kms", key, f], { env })).stderr).toBe("");
      const r = await hush(["decrypt", f], { env });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(PLAIN);
      expect(proxy.tunnels - before).toBe(2);
      expect(proxy.calls.at(-1)?.target).toBe(`${KMS_HOST}:${new URL(endpoint).port}`);
      expect(gcp.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`POST /v1/${key}:encrypt 200`, `POST /v1/${key}:decrypt 200`]);
    } finally {
      await gcp.stop();
    }
  });

  it("a proxy setting hush cannot use (socks5) stops only the requests that would go through it", async () => {
    const arn = kms.createKey();
    const socks = { HTTPS_PROXY: "socks5://bob:hunter2@127.0.0.1:1080" };
    const f = join(tmp.path, "kms-socks.yaml");
    writeFileSync(f, PLAIN);
    // The test server's own address is loopback: never proxied, so the setting is not used.
    const direct = await hush(["encrypt", "-i", "--kms", arn, f], { env: { ...kms.env, ...socks } });
    expect(direct.stderr).toBe("");
    expect((await hush(["decrypt", f], { env: { ...kms.env, ...socks, NO_PROXY: "example.com" } })).stdout).toBe(PLAIN);
    // Through the name, it would be used: refused, naming the variable, not the password.
    const endpoint = `https://${KMS_HOST}:${kmsFront.port}`;
    const r = await hush(["decrypt", f], { env: { ...kms.env, AWS_ENDPOINT_URL_KMS: endpoint, NODE_EXTRA_CA_CERTS: caFile, ...socks } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("NetworkError (HTTPS_PROXY names a socks5 proxy; hush goes through http and https proxies only");
    expect(r.stderr).not.toContain("hunter2");
  });

  it("a proxy that never answers is waited for once, not once per key service host a file names", async () => {
    const second = await startVaultTestServer({ token: vault.token, tls: { key: cert.keyPem, cert: cert.certPem } });
    try {
      second.createKey("app");
      const secondAddress = second.address.replace("127.0.0.1", VAULT_HOST);
      const env = { ...vaultEnv, HUSH_VAULT_ADDRS: secondAddress, VAULT_CLIENT_TIMEOUT: "1" };
      const f = join(tmp.path, "two-servers.yaml");
      writeFileSync(f, PLAIN);
      const made = await hush(["encrypt", "-i", "--hc-vault-transit", `${vaultAddress}/v1/transit/keys/app,${secondAddress}/v1/transit/keys/app`, f], { env });
      expect(made.stderr).toBe("");
      proxy.setMode("hang");
      const calls = proxy.calls.length;
      const r = await hush(["decrypt", f], { env });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain(`NetworkTimeout (no answer within 1000 ms, through proxy http://127.0.0.1:${proxy.port})`);
      expect(r.stderr).toContain(`NetworkTimeout (proxy http://127.0.0.1:${proxy.port} not asked for ${VAULT_HOST}:${new URL(secondAddress).port}: it did not answer an earlier CONNECT within 1000 ms)`);
      expect(proxy.calls.length - calls).toBe(1);
    } finally {
      await second.stop();
    }
  });

  it("AWS KMS: a certificate that does not fit the endpoint's name is a NetworkError naming the TLS check, directly or through the proxy", async () => {
    const arn = kms.createKey();
    const f = join(tmp.path, "kms-cert.yaml");
    writeFileSync(f, PLAIN);
    // The front's certificate names *.hush.test hosts, not localhost nor other.hush.test.
    for (const host of ["localhost", "other.hush.test"]) {
      const env = { ...kms.env, AWS_ENDPOINT_URL_KMS: `https://${host}:${kmsFront.port}`, NODE_EXTRA_CA_CERTS: caFile, HTTPS_PROXY: vaultEnv["HTTPS_PROXY"] };
      const served = kms.calls.length;
      const r = await hush(["encrypt", "-i", "--kms", arn, f], { env });
      expect(r.status, host).not.toBe(0);
      expect(r.stderr, host).toContain("NetworkError (ERR_TLS_CERT_ALTNAME_INVALID)");
      expect(kms.calls.length, host).toBe(served);
    }
  });
});
