import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, type AzureKvTestServer } from "@hush/testkit";
import { startAzureWorld, type AzureWorld } from "./azure-kv-setup.ts";
import { encryptedFile, failsWith, misbehaving, PLAIN, SECRET } from "./cloud-failures.ts";
import { hush } from "./helpers.ts";

/**
 * Azure Key Vault failures through the built CLI, named as AWS KMS names its own (see cloud-failures.ts):
 * before any request, reaching a token endpoint, and answers that are not the service's.
 */

describe("Azure Key Vault failures", () => {
  let world: AzureWorld;
  let vault: AzureKvTestServer;
  let file: string;
  let env: Record<string, string>;
  /** The environment without the client secret: the chain goes on to the next credential. */
  let noSecret: Record<string, string>;
  beforeAll(async () => {
    world = await startAzureWorld();
    vault = await world.vault();
    vault.createKey("app");
    env = world.env([vault]);
    noSecret = Object.fromEntries(Object.entries(env).filter(([k]) => k !== "AZURE_CLIENT_SECRET"));
    file = await encryptedFile(world.tmp.path, "azure.yaml", "--azure-kv", vault.url("app", vault.versions("app").at(-1)), env);
  });
  afterAll(async () => world.stop());

  it("a federated token or certificate file that cannot be read is CredentialsUnloadable naming the variable, and no token is asked for", async () => {
    const missing = join(world.tmp.path, "absent-token");
    const before = world.entra.calls.length;
    await failsWith(file, { ...noSecret, AZURE_FEDERATED_TOKEN_FILE: missing }, `Azure Key Vault decrypt failed: CredentialsUnloadable (cannot read AZURE_FEDERATED_TOKEN_FILE ${missing}: ENOENT, no such file): no request was sent; correct or unset AZURE_FEDERATED_TOKEN_FILE`);
    await failsWith(file, { ...noSecret, AZURE_CLIENT_CERTIFICATE_PATH: world.tmp.path }, `CredentialsUnloadable (cannot read AZURE_CLIENT_CERTIFICATE_PATH ${world.tmp.path}: EISDIR, a directory, not a file): no request was sent; correct or unset AZURE_CLIENT_CERTIFICATE_PATH`);
    const notPem = join(world.tmp.path, "not-pem.pem");
    writeFileSync(notPem, `${SECRET}\n`);
    await failsWith(file, { ...noSecret, AZURE_CLIENT_CERTIFICATE_PATH: notPem }, `CredentialsUnloadable (AZURE_CLIENT_CERTIFICATE_PATH ${notPem} is not a PEM file holding the certificate and its private key (PFX is not read))`);
    expect(world.entra.calls.length).toBe(before);
  });

  it("managed identity settings that are not URLs are BadConfiguration naming the variable, not 'Invalid URL'; a header with a line break names its variable", async () => {
    await failsWith(file, { ...noSecret, IDENTITY_ENDPOINT: "::not a url", IDENTITY_HEADER: "identity-header-secret" }, "BadConfiguration (IDENTITY_ENDPOINT is not an absolute URL): no request was sent; correct or unset IDENTITY_ENDPOINT");
    await failsWith(file, { ...noSecret, IDENTITY_ENDPOINT: "http://127.0.0.1:9/msi", IDENTITY_HEADER: "identity-header-secret\nsecond-line" }, "CredentialsUnloadable (IDENTITY_HEADER holds a character an HTTP header cannot carry (a line break or control character?)): no request was sent; correct IDENTITY_HEADER");
    await failsWith(file, { ...noSecret, AZURE_POD_IDENTITY_AUTHORITY_HOST: "::not a url" }, "BadConfiguration (AZURE_POD_IDENTITY_AUTHORITY_HOST is not an absolute URL): no request was sent; correct or unset AZURE_POD_IDENTITY_AUTHORITY_HOST");
  });

  it("a token endpoint that closes the connection is named, not read as the vault's NetworkError; a 5xx page of it 'failed', not 'refused'", async () => {
    const closing = await misbehaving(0);
    const gateway = await misbehaving(502);
    try {
      const stderr = await failsWith(file, { ...env, AZURE_AUTHORITY_HOST: closing.address }, `Azure Key Vault decrypt failed: no access token from ${closing.address}/${world.entra.tenantId}/oauth2/v2.0/token: NetworkError (`);
      expect(closing.requests()).toBe(1);
      expect(stderr).not.toMatch(/decrypt failed: NetworkError/);
      await failsWith(file, { ...noSecret, IDENTITY_ENDPOINT: `${closing.address}/msi/token`, IDENTITY_HEADER: "identity-header-secret" }, `no access token from ${closing.address}/msi/token: NetworkError (`);
      await failsWith(file, { ...env, AZURE_AUTHORITY_HOST: gateway.address }, "Azure client secret token request failed: HTTP 502 (the answer is not JSON (text/html): not the service's own; is a proxy or gateway in between?)");
    } finally {
      await closing.stop();
      await gateway.stop();
    }
  });

  it("a vault that answers a request without a token with a success is MalformedResponse, not 'Refused (HTTP 200…)'", async () => {
    const server = await misbehaving(200);
    try {
      const f = join(world.tmp.path, "azure-200.yaml");
      writeFileSync(f, readFileSync(file, "utf8").replace(`vault_url: ${vault.address}`, `vault_url: ${server.address}`));
      expect(readFileSync(f, "utf8")).toContain(server.address);
      await failsWith(f, { ...env, HUSH_AZURE_KV_URLS: server.address }, "Azure Key Vault decrypt failed: MalformedResponse (HTTP 200 to a request without a token, which Key Vault answers 401: is the vault URL a Key Vault's?)");
    } finally {
      await server.stop();
    }
  });

  it("a vault whose certificate is not trusted: the message says how to trust it", async () => {
    const { NODE_EXTRA_CA_CERTS: _ca, ...untrusting } = env;
    await failsWith(file, untrusting, "Azure Key Vault decrypt failed: NetworkError (DEPTH_ZERO_SELF_SIGNED_CERT: the server's TLS certificate was not accepted; trust its CA with NODE_EXTRA_CA_CERTS");
  });

  describe("tokens are kept while usable, and no longer", () => {
    /**
     * An authority host whose answers follow `script`, one per token request: `503`, a `bogus`
     * token the vault refuses, or a token Entra ID issued (`valid`) that expires in `seconds`.
     */
    const scriptedAuthority = async (script: ReadonlyArray<"503" | "bogus" | { valid: number }>): Promise<{ address: string; requests: () => number; stop: () => Promise<void> }> => {
      let requests = 0;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const step = script[Math.min(requests++, script.length - 1)];
          const resource = (new URLSearchParams(Buffer.concat(chunks).toString()).get("scope") ?? "").replace(/\/\.default$/, "");
          const reply = (status: number, body: unknown): void => void res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
          if (step === "503") reply(503, { error: "temporarily_unavailable", error_description: "try again" });
          else if (step === "bogus") reply(200, { token_type: "Bearer", expires_in: 3599, access_token: "not-a-token-entra-issued" });
          else reply(200, { token_type: "Bearer", expires_in: step?.valid ?? 3599, access_token: world.entra.issue(resource) });
        });
      });
      const listening = await listenOnLoopback(server);
      return { address: `http://127.0.0.1:${listening.port}`, requests: () => requests, stop: listening.stop };
    };
    let both: string;
    const urls = (): string => ["app", "app2"].map((k) => vault.url(k, vault.versions(k).at(-1))).join(",");
    beforeAll(async () => {
      vault.createKey("app2");
      both = await encryptedFile(world.tmp.path, "azure-both.yaml", "--azure-kv", urls(), env);
    });

    /** Decrypts `file` with tokens from an authority following `script`; the file opens, and the authority was asked `requests` times. */
    const opensAsking = async (file: string, script: Parameters<typeof scriptedAuthority>[0], requests: number): Promise<void> => {
      const authority = await scriptedAuthority(script);
      try {
        const r = await hush(["decrypt", file], { env: { ...env, AZURE_AUTHORITY_HOST: authority.address } });
        expect(r.stdout).toBe(PLAIN);
        expect(authority.requests(), JSON.stringify(script)).toBe(requests);
      } finally {
        await authority.stop();
      }
    };

    it("a token request that failed is not remembered: the file's next key asks again, and opens the file", async () => {
      await opensAsking(both, ["503", { valid: 3599 }], 2);
    });

    it("a token the vault refused (401) is dropped: the next key gets a new one", async () => {
      await opensAsking(both, ["bogus", { valid: 3599 }], 2);
      expect(vault.calls.filter((c) => c.token === "not-a-token-entra-issued").map((c) => c.status)).toEqual([401]);
    });

    it("a token is not used within a minute of its expiry: the file's next key gets a new one, and one that lives longer is kept", async () => {
      // The first key's wrapped key is damaged: the vault refuses it (after the token was used), and the second key is tried.
      const f = join(world.tmp.path, "azure-expiry.yaml");
      writeFileSync(f, readFileSync(both, "utf8").replace(/(\n\s+enc: )[A-Za-z0-9_-]+/, "$1AAAA"));
      await opensAsking(f, [{ valid: 60 }], 2);
      await opensAsking(f, [{ valid: 3599 }], 1);
    });
  });
});
