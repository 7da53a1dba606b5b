import { constants, privateDecrypt, publicEncrypt, createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AzureKvTestServer } from "@hush/testkit";
import { startAzureWorld, type AzureWorld } from "./azure-kv-setup.ts";
import { hush, makeAgeKey } from "./helpers.ts";

/**
 * Azure Key Vault (`azure_kv`) through the built CLI, against the project's Key Vault and Entra ID
 * test servers: SOPS's metadata, flags and `.sops.yaml` keys, the 401 challenge, real
 * RSA-OAEP-256, rotation, updatekeys, groups and Shamir.
 */

const PLAIN = "password: s3cr3t\n";
const OAEP_256 = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" } as const;
const ENTRY = /\n {4}azure_kv:\n {8}- created_at: "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"\n {10}enc: ([A-Za-z0-9_-]+)\n {10}name: ([a-z0-9-]+)\n {10}vault_url: (\S+)\n {10}version: ([0-9a-f]{32})\n/;

describe("azure_kv keys", () => {
  let world: AzureWorld;
  let vault: AzureKvTestServer;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    world = await startAzureWorld();
    vault = await world.vault();
    vault.createKey("app");
    env = world.env([vault]);
    dir = world.tmp.path;
  });
  afterAll(async () => world.stop());

  const encrypted = async (name: string, url = vault.url("app", vault.versions("app").at(-1))): Promise<string> => {
    const f = join(dir, name);
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--azure-kv", url, f], { env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return f;
  };

  it("encrypts with --azure-kv and decrypts: SOPS's fields in SOPS 3.13's order, the 401 challenge, then the token", async () => {
    const before = vault.calls.length;
    const f = await encrypted("basic.yaml");
    const m = ENTRY.exec(readFileSync(f, "utf8"));
    expect(m, readFileSync(f, "utf8")).not.toBeNull();
    expect([m![3], m![4], m![5]]).toEqual(["app", vault.address, vault.versions("app").at(-1)]);
    // RSA-2048: a 256-byte ciphertext, base64url without padding.
    expect(Buffer.from(m![2]!, "base64url").length).toBe(256);
    const r = await hush(["decrypt", f], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    const version = vault.versions("app").at(-1);
    expect(vault.calls.slice(before).map((c) => `${c.method} ${c.path} ${c.status} ${c.token === "" ? "-" : "token"}`)).toEqual([
      `POST /keys/app/${version}/encrypt 401 -`,
      `POST /keys/app/${version}/encrypt 200 token`,
      `POST /keys/app/${version}/decrypt 401 -`,
      `POST /keys/app/${version}/decrypt 200 token`,
    ]);
    // The token was asked for this vault's resource, with the client secret, of the authority from the environment.
    const grants = world.entra.calls.map((c) => `${c.grant} ${c.resource} ${c.status}`);
    expect(grants.at(-1)).toBe(`client_secret ${vault.address} 200`);
  });

  it("the wrapped key is real RSA-OAEP-256 (SHA-256): node:crypto opens it, and a key wrapped by node:crypto opens the file", async () => {
    const f = await encrypted("oaep.yaml");
    const text = readFileSync(f, "utf8");
    const m = ENTRY.exec(text)!;
    const privateKey = vault.privateKey("app", m[5]!);
    const dataKey = privateDecrypt({ key: privateKey, ...OAEP_256 }, Buffer.from(m[2]!, "base64url"));
    expect(dataKey.length).toBe(32);
    const rewrapped = publicEncrypt({ key: createPublicKey(privateKey), ...OAEP_256 }, dataKey).toString("base64url");
    writeFileSync(f, text.replace(m[2]!, rewrapped));
    const r = await hush(["decrypt", f], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
  });

  it("a key URL without a version takes the latest version (GET key), as SOPS does, and records it", async () => {
    vault.createKey("rolling");
    const latest = vault.createKey("rolling");
    const before = vault.calls.length;
    const f = await encrypted("latest.yaml", vault.url("rolling"));
    expect(ENTRY.exec(readFileSync(f, "utf8"))![5]).toBe(latest);
    expect(vault.calls.slice(before).filter((c) => c.status === 200).map((c) => `${c.method} ${c.path}`)).toEqual(["GET /keys/rolling", `POST /keys/rolling/${latest}/encrypt`]);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    // SOPS_AZURE_KEYVAULT_URLS is --azure-kv's default.
    const g = join(dir, "from-env.yaml");
    writeFileSync(g, PLAIN);
    const r = await hush(["encrypt", "-i", g], { env: { ...env, SOPS_AZURE_KEYVAULT_URLS: vault.url("rolling") } });
    expect(r.stderr).toBe("");
    expect(ENTRY.exec(readFileSync(g, "utf8"))![5]).toBe(latest);
  });

  it("a .sops.yaml rule (azure_keyvault URLs) and a key group mixing age with azure_keyvault maps", async () => {
    const d = join(dir, "rules");
    mkdirSync(d);
    const age = await makeAgeKey(d, "alice");
    const version = vault.versions("app").at(-1)!;
    writeFileSync(
      join(d, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^flat\\.yaml$\n    azure_keyvault: "${vault.url("app", version)}"\n  - path_regex: ^mixed\\.yaml$\n    key_groups:\n      - age: [${age.recipient}]\n        azure_keyvault:\n          - vaultUrl: ${vault.address}\n            key: app\n            version: ${version}\n`,
    );
    for (const name of ["flat.yaml", "mixed.yaml"]) {
      writeFileSync(join(d, name), PLAIN);
      const r = await hush(["encrypt", "-i", name], { cwd: d, env });
      expect(r.stderr).toBe("");
      expect(readFileSync(join(d, name), "utf8")).toContain(`vault_url: ${vault.address}`);
    }
    expect((await hush(["decrypt", "flat.yaml"], { cwd: d, env })).stdout).toBe(PLAIN);
    const calls = vault.calls.length;
    const byAge = await hush(["decrypt", "mixed.yaml"], { cwd: d, env: { SOPS_AGE_KEY_FILE: age.file } });
    expect(byAge.stdout).toBe(PLAIN);
    expect(vault.calls.length).toBe(calls);
    expect((await hush(["decrypt", "mixed.yaml"], { cwd: d, env })).stdout).toBe(PLAIN);
  });

  it("Shamir across backends: threshold 2 of {age, Key Vault A, Key Vault B}", async () => {
    const other = await world.vault();
    other.createKey("backup");
    const d = join(dir, "shamir");
    mkdirSync(d);
    const age = await makeAgeKey(d, "carol");
    writeFileSync(
      join(d, ".sops.yaml"),
      `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${age.recipient}]\n      - azure_keyvault: [{vaultUrl: "${vault.address}", key: app, version: "${vault.versions("app").at(-1)}"}]\n      - azure_keyvault: [{vaultUrl: "${other.address}", key: backup}]\n`,
    );
    writeFileSync(join(d, "s.yaml"), PLAIN);
    const both = world.env([vault, other]);
    const enc = await hush(["encrypt", "-i", "s.yaml"], { cwd: d, env: both });
    expect(enc.stderr).toBe("");
    expect(readFileSync(join(d, "s.yaml"), "utf8")).toContain(`version: ${other.versions("backup")[0]}`);
    expect((await hush(["decrypt", "s.yaml"], { cwd: d, env: both })).stdout).toBe(PLAIN);
    expect((await hush(["decrypt", "s.yaml"], { cwd: d, env: { ...world.env([vault]), SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    const one = await hush(["decrypt", "s.yaml"], { cwd: d, env: world.env([vault]) });
    expect(one.status).toBe(128);
    expect(one.stderr).toContain("HUSH_AZURE_KV_URLS");
  });

  it("rotate: a new data key, --add-azure-kv, --rm-azure-kv (a URL without a version removes every version)", async () => {
    const d = join(dir, "rotate");
    mkdirSync(d);
    const age = await makeAgeKey(d, "bob");
    const f = join(d, "r.yaml");
    writeFileSync(f, PLAIN);
    expect((await hush(["encrypt", "-i", "--age", age.recipient, f])).status).toBe(0);
    const withAge = { ...env, SOPS_AGE_KEY_FILE: age.file };
    const add = await hush(["rotate", "-i", "--add-azure-kv", vault.url("app"), f], { env: withAge });
    expect(add.stderr).toBe("");
    const first = ENTRY.exec(readFileSync(f, "utf8"))!;
    expect(first[5]).toBe(vault.versions("app").at(-1));
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    const rot = await hush(["rotate", "-i", f], { env });
    expect(rot.stderr).toBe("");
    expect(ENTRY.exec(readFileSync(f, "utf8"))![2]).not.toBe(first[2]);
    expect((await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    const rm = await hush(["rotate", "-i", "--rm-azure-kv", vault.url("app"), f], { env: withAge });
    expect(rm.stderr).toBe("");
    expect(readFileSync(f, "utf8")).not.toContain("azure_kv");
    expect((await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
  });

  it("updatekeys adds the Key Vault key .sops.yaml names", async () => {
    const d = join(dir, "update");
    mkdirSync(d);
    const age = await makeAgeKey(d, "dave");
    writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - age: ${age.recipient}\n`);
    writeFileSync(join(d, "u.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "u.yaml"], { cwd: d })).status).toBe(0);
    const version = vault.versions("app").at(-1)!;
    writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - age: ${age.recipient}\n    azure_keyvault: ${vault.url("app", version)}\n`);
    const r = await hush(["updatekeys", "-y", "u.yaml"], { cwd: d, env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(ENTRY.exec(readFileSync(join(d, "u.yaml"), "utf8"))![5]).toBe(version);
    expect((await hush(["decrypt", "u.yaml"], { cwd: d, env })).stdout).toBe(PLAIN);
    const again = await hush(["updatekeys", "-y", "u.yaml"], { cwd: d, env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).not.toContain("azure_kv https");
  });

  it("a .sops.yaml key without a version names every version: rotate, set and check accept the one recorded, updatekeys keeps it", async () => {
    const d = join(dir, "versionless");
    mkdirSync(d);
    vault.createKey("team");
    writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - azure_keyvault: ${vault.url("team")}\n`);
    writeFileSync(join(d, "v.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "v.yaml"], { cwd: d, env })).status).toBe(0);
    const recorded = ENTRY.exec(readFileSync(join(d, "v.yaml"), "utf8"))![5];
    // No --yes and no terminal: a question would fail the command.
    const rot = await hush(["rotate", "-i", "v.yaml"], { cwd: d, env });
    expect(rot.stderr).toBe("");
    expect(rot.status).toBe(0);
    const set = await hush(["set", "v.yaml", '["password"]', '"n3w"'], { cwd: d, env });
    expect(set.stderr).toBe("");
    expect(set.status).toBe(0);
    const check = await hush(["check", "v.yaml"], { cwd: d, env });
    expect(check.stdout + check.stderr).not.toContain(recorded);
    expect(check.status).toBe(0);
    const before = readFileSync(join(d, "v.yaml"), "utf8");
    const up = await hush(["updatekeys", "-y", "v.yaml"], { cwd: d, env });
    expect(up.stdout + up.stderr).not.toContain("azure_kv https");
    expect(up.status).toBe(0);
    expect(readFileSync(join(d, "v.yaml"), "utf8")).toBe(before);
    // A version named in .sops.yaml is still what updatekeys wraps to.
    const next = vault.createKey("team");
    writeFileSync(join(d, ".sops.yaml"), `creation_rules:\n  - azure_keyvault: ${vault.url("team", next)}\n`);
    const pinned = await hush(["updatekeys", "-y", "v.yaml"], { cwd: d, env });
    expect(pinned.stdout).toContain(`+++ azure_kv ${vault.url("team", next)}`);
    expect(ENTRY.exec(readFileSync(join(d, "v.yaml"), "utf8"))![5]).toBe(next);
    expect((await hush(["decrypt", "v.yaml"], { cwd: d, env })).stdout).toBe("password: n3w\n");
  });

  it("a SOPS-shaped block (SOPS 3.12's field order, SOPS's encodings) is read; SOPS 3.13's block is rewritten byte for byte", async () => {
    const f = await encrypted("sops-shaped.yaml");
    const text = readFileSync(f, "utf8");
    const m = ENTRY.exec(text)!;
    // What SOPS 3.12 writes (stores.go's struct order): vault_url, name, version, created_at, enc.
    const legacy = text.replace(m[0], `\n    azure_kv:\n        - vault_url: ${m[4]}\n          name: ${m[3]}\n          version: ${m[5]}\n          created_at: "${m[1]}"\n          enc: ${m[2]}\n`);
    writeFileSync(f, legacy);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    expect(readFileSync(f, "utf8")).toBe(legacy);
    // What SOPS 3.13 writes (every map sorted) is kept byte for byte when the file is rewritten
    // without re-wrapping (a value set): the block below `sops:` is the same text.
    writeFileSync(f, text);
    const set = await hush(["set", f, '["password"]', '"n3w"'], { env });
    expect(set.stderr).toBe("");
    const after = readFileSync(f, "utf8");
    expect(after).not.toBe(text);
    expect(ENTRY.exec(after)![0]).toBe(m[0]);
    expect((await hush(["decrypt", f], { env })).stdout).toBe("password: n3w\n");
    // Rewritten in 3.13's sorted order with the same values when re-wrapped.
    writeFileSync(f, legacy);
    const rot = await hush(["rotate", "-i", f], { env });
    expect(rot.stderr).toBe("");
    const again = ENTRY.exec(readFileSync(f, "utf8"))!;
    expect([again[3], again[4], again[5]]).toEqual([m[3], m[4], m[5]]);
  });
});
