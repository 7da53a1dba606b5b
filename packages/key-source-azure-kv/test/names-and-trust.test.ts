import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { azureTrustFromEnv, checkVaultUrl, isKeyVaultUrl, parseAzureKeyUrl, readChallenge } from "@hush/key-source-azure-kv";

describe("Azure Key Vault key URLs (SOPS's azkv.NewMasterKeyFromURL)", () => {
  it("reads vault, name and optional version; SOPS's identity puts them back", () => {
    expect(parseAzureKeyUrl(" https://myvault.vault.azure.net/keys/mykey/0123456789abcdef0123456789abcdef ")).toEqual({
      kind: "azure_kv",
      vaultUrl: "https://myvault.vault.azure.net",
      name: "mykey",
      version: "0123456789abcdef0123456789abcdef",
    });
    expect(parseAzureKeyUrl("https://myvault.vault.azure.net/keys/mykey").version).toBe("");
    expect(parseAzureKeyUrl("https://myvault.vault.azure.net/keys/mykey/").version).toBe("");
  });

  it("refuses what SOPS's pattern refuses, and names SOPS would pass to a URL path unchecked", () => {
    for (const bad of [
      "http://myvault.vault.azure.net/keys/k/v",
      "https://myvault.vault.azure.net/secrets/k/v",
      "https://myvault.vault.azure.net/keys/k/v/extra",
      "https://myvault.vault.azure.net/keys/..%2f..%2fsecrets/v",
      "https://myvault.vault.azure.net/keys/k/v?x=1",
      "https://user@myvault.vault.azure.net/keys/k/v",
    ]) {
      const err = (() => {
        try {
          return parseAzureKeyUrl(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(isHushError(err, "INVALID_ARGUMENT"), bad).toBe(true);
    }
  });
});

describe("which vaults may receive the token", () => {
  it("Key Vault and Managed HSM domains of Azure's clouds, one label deep, port 443", () => {
    for (const ok of ["https://myvault.vault.azure.net", "https://MyVault.Vault.Azure.NET/", "https://v1.vault.azure.cn", "https://v.vault.usgovcloudapi.net", "https://hsm.managedhsm.azure.net", "https://v.vault.azure.net:443"]) {
      expect(isKeyVaultUrl(new URL(ok)), ok).toBe(true);
    }
    for (const no of ["https://vault.azure.net", "https://vault.azure.net.evil.example", "https://a.b.vault.azure.net", "https://v.vault.azure.net:8443", "http://v.vault.azure.net", "https://evilvault.azure.net", "https://v-.vault.azure.net"]) {
      expect(isKeyVaultUrl(new URL(no)), no).toBe(false);
    }
  });

  it("HUSH_AZURE_KV_URLS allows other vaults (normalised); the refusal names it", () => {
    const trust = azureTrustFromEnv({ HUSH_AZURE_KV_URLS: " https://KV.internal.example:8443/ , not a url" });
    expect(checkVaultUrl(trust, "https://kv.internal.example:8443", "k").origin).toBe("https://kv.internal.example:8443");
    expect(() => checkVaultUrl(trust, "https://kv.internal.example", "k")).toThrow(/add https:\/\/kv\.internal\.example to HUSH_AZURE_KV_URLS/);
  });
});

describe("the 401 challenge", () => {
  const vault = new URL("https://myvault.vault.azure.net");
  it("takes the resource or scope of the vault's own domain and the tenant id, never the authority host", () => {
    expect(readChallenge('Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net"', vault, "k")).toEqual({
      resource: "https://vault.azure.net",
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    });
    expect(readChallenge('Bearer authorization="https://evil.example/contoso.onmicrosoft.com", scope="https://vault.azure.net/.default"', vault, "k")).toEqual({
      resource: "https://vault.azure.net",
      tenantId: "contoso.onmicrosoft.com",
    });
  });

  it("refuses another service's audience, a bare suffix, a malformed tenant and a missing challenge", () => {
    for (const header of [
      'Bearer authorization="https://login.microsoftonline.com/t", resource="https://management.azure.com"',
      'Bearer authorization="https://login.microsoftonline.com/t", resource="https://net"',
      'Bearer authorization="https://login.microsoftonline.com/t", resource="https://azure.net"',
      'Bearer authorization="https://login.microsoftonline.com/..%2f", resource="https://vault.azure.net"',
      'Basic realm="x"',
      undefined,
    ]) {
      expect(() => readChallenge(header, vault, "k"), String(header)).toThrow(/no token was sent|invalid tenant|without a bearer challenge/);
    }
  });
});
