import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  makeTempDir,
  makeTestCertificate,
  startAzureKvTestServer,
  startAzureTokenTestServer,
  type AzureKvTestServer,
  type AzureKvTestServerOptions,
  type AzureTokenTestServer,
} from "@hush/testkit";

/**
 * The Azure world of the azure_kv tests: a fake Entra ID (token endpoint, managed identity) and
 * Key Vaults on https://127.0.0.1 with one test certificate, which the CLI trusts through
 * NODE_EXTRA_CA_CERTS.
 */
export interface AzureWorld {
  readonly entra: AzureTokenTestServer;
  readonly tmp: { readonly path: string };
  /** A PEM file with the service principal's certificate and RSA key (AZURE_CLIENT_CERTIFICATE_PATH). */
  readonly clientCertificateFile: string;
  /** Another certificate and key, which Entra ID does not know. */
  readonly strangerCertificateFile: string;
  /** A vault whose tokens come from `entra`. */
  vault(options?: Partial<Omit<AzureKvTestServerOptions, "tls" | "audienceOf" | "tenantId">>): Promise<AzureKvTestServer>;
  /**
   * The environment of a user with a service principal (client secret) who allows `vaults`
   * (HUSH_AZURE_KV_URLS); the metadata service points at a closed port.
   */
  env(vaults: readonly AzureKvTestServer[], extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

/** A self-signed RSA certificate and its key in one PEM file, as Azure's certificate credential reads it. */
function rsaCertificate(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", key, "-out", cert], { stdio: "ignore" });
  } catch (err) {
    throw new Error(`openssl is needed to make a test certificate (apt-get install openssl): ${(err as Error).message}`);
  }
  const both = join(dir, `${name}.pem`);
  writeFileSync(both, readFileSync(cert, "utf8") + readFileSync(key, "utf8"), { mode: 0o600 });
  return both;
}

export async function startAzureWorld(): Promise<AzureWorld> {
  const tmp = makeTempDir("hush-azure-kv-");
  const cert = makeTestCertificate(tmp.path);
  const tls = { key: cert.key, cert: cert.cert };
  const clientCertificateFile = rsaCertificate(tmp.path, "principal");
  const strangerCertificateFile = rsaCertificate(tmp.path, "stranger");
  const entra = await startAzureTokenTestServer({ tls, clientCertificate: readFileSync(clientCertificateFile, "utf8") });
  const vaults: AzureKvTestServer[] = [];
  return {
    entra,
    tmp,
    clientCertificateFile,
    strangerCertificateFile,
    vault: async (options = {}) => {
      const v = await startAzureKvTestServer({ tls, audienceOf: entra.audienceOf, tenantId: entra.tenantId, ...options });
      vaults.push(v);
      return v;
    },
    env: (allowed, extra = {}) => ({
      NODE_EXTRA_CA_CERTS: cert.certFile,
      AZURE_AUTHORITY_HOST: entra.address,
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: entra.clientId,
      AZURE_CLIENT_SECRET: entra.clientSecret,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: "http://127.0.0.1:9",
      HUSH_AZURE_KV_URLS: allowed.map((v) => v.address).join(","),
      ...extra,
    }),
    stop: async () => {
      for (const v of vaults) await v.stop();
      await entra.stop();
      tmp.cleanup();
    },
  };
}
