/**
 * Vault transit files written by hush, opened by real SOPS (3.9.2, see @hush/testkit's
 * sops-oracle) against the project's Vault test server: the `hc_vault` entry hush writes has the
 * fields, encoding and ciphertext SOPS's `hcvault` key source reads, on its own and in key groups
 * and Shamir with age. The server's log shows SOPS's own requests reaching it with the token.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startVaultTestServer, type VaultTestServer } from "@hush/testkit";
import { makeAgeKey, type AgeKey } from "../keys/helpers.ts";
import { runCase, type CaseEnv } from "./oracle-case.ts";

const PLAIN = "db:\n  user: admin\n  password: s3cr3t\napi_key: abc123\n";

let tmp: { path: string; cleanup: () => void };
let vault: VaultTestServer;
let age: AgeKey;
let k: CaseEnv;

beforeAll(async () => {
  tmp = makeTempDir("hush-sops-vault-");
  vault = await startVaultTestServer();
  vault.createKey("app");
  vault.createKey("ops", "secret-transit");
  age = await makeAgeKey(tmp.path, "vault-oracle");
  k = { dir: tmp.path, env: { VAULT_TOKEN: vault.token, VAULT_ADDR: vault.address } };
});

afterAll(async () => {
  await vault?.stop();
  tmp?.cleanup();
});

describe("real SOPS opens hush's Vault transit files", () => {
  it("a file wrapped only with Vault transit (two keys, two engines)", async () => {
    const before = vault.calls.length;
    const outcome = await runCase(
      { name: "vault-only", format: "yaml", plaintext: PLAIN, encrypt: ["--hc-vault-transit", `${vault.uri("app")},${vault.uri("ops", "secret-transit")}`] },
      k,
    );
    expect(outcome.problem).toBeUndefined();
    expect(outcome.encrypted).toContain("engine_path: secret-transit");
    // hush's two encrypts and one decrypt, then SOPS's own decrypt: every request carried the token.
    const decrypts = vault.calls.slice(before).filter((c) => c.path.includes("/decrypt/"));
    expect(decrypts.length).toBeGreaterThanOrEqual(2);
    expect(vault.calls.every((c) => c.token === vault.token)).toBe(true);
  });

  it("Vault transit in a key group with age, and Shamir 2 of 2 across Vault and age", async () => {
    const groups = await runCase(
      {
        name: "vault-groups",
        format: "json",
        plaintext: '{"password": "s3cr3t", "port": 5432}',
        encrypt: [],
        config: `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - hc_vault: ['${vault.uri("app")}']\n      - age: [${age.recipient}]\n`,
        // SOPS needs both groups: the Vault share and the age share.
        sopsEnv: { VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file },
      },
      { dir: k.dir, env: { ...k.env, SOPS_AGE_KEY_FILE: age.file } },
    );
    expect(groups.problem).toBeUndefined();
    expect(groups.encrypted).toContain('"shamir_threshold":2');
  });

  it("after rotate and a Vault key added by updatekeys", async () => {
    const outcome = await runCase(
      {
        name: "vault-rotated",
        format: "dotenv",
        plaintext: "PASSWORD=s3cr3t\nUSER=admin\n",
        encrypt: [],
        config: `creation_rules:\n  - age: ${age.recipient}\n`,
        configAfter: `creation_rules:\n  - age: ${age.recipient}\n    hc_vault_transit_uri: ${vault.uri("app")}\n`,
        steps: [["updatekeys", "-y", "{}"], ["rotate", "-i", "{}"]],
        // Only the Vault token: SOPS must open the file through the Vault entry updatekeys added.
        sopsEnv: { VAULT_TOKEN: vault.token },
      },
      { dir: k.dir, env: { ...k.env, SOPS_AGE_KEY_FILE: age.file } },
    );
    expect(outcome.problem).toBeUndefined();
  });
});
