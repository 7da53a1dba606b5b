import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AzureKvTestServer } from "@hush/testkit";
import { startAzureWorld, type AzureWorld } from "./azure-kv-setup.ts";
import { goneSoon, hush, waitForPids } from "./helpers.ts";
import { startHush } from "../workflows/helpers.ts";

/**
 * Who gets the Azure token, and how azure_kv failures read. A file's `vault_url` is untrusted:
 * SOPS sends a Key Vault token to whatever it names; hush only to Key Vault domains or vaults in
 * HUSH_AZURE_KV_URLS, asks for a token only for the vault's own domain, and asks only the
 * authority host from the environment. The test servers' request logs prove where tokens went.
 */

const PLAIN = "password: s3cr3t\n";
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("azure_kv trust and failures", () => {
  let world: AzureWorld;
  let vault: AzureKvTestServer;
  let attacker: AzureKvTestServer;
  let env: Record<string, string>;
  let version: string;
  beforeAll(async () => {
    world = await startAzureWorld();
    vault = await world.vault();
    attacker = await world.vault();
    version = vault.createKey("app");
    attacker.createKey("app");
    env = world.env([vault]);
  });
  afterAll(async () => world.stop());

  const encrypted = async (name: string): Promise<string> => {
    const f = join(world.tmp.path, name);
    writeFileSync(f, PLAIN);
    const r = await hush(["encrypt", "-i", "--azure-kv", vault.url("app", version), f], { env });
    expect(r.stderr).toBe("");
    return f;
  };
  /** The file with its vault_url replaced (metadata is not under the MAC). */
  const pointedAt = (f: string, url: string): void => writeFileSync(f, readFileSync(f, "utf8").replace(`vault_url: ${vault.address}`, `vault_url: ${url}`));

  it("a file naming a vault that is neither on a Key Vault domain nor allowed gets no token: refused before any request", async () => {
    const f = await encrypted("attack.yaml");
    pointedAt(f, attacker.address);
    const tokens = world.entra.calls.length;
    for (const args of [["decrypt", f], ["git", "textconv", f]]) {
      const r = await hush(args, { env });
      expect(r.stdout).not.toContain("s3cr3t");
      if (args[0] === "decrypt") {
        expect(r.status).toBe(128);
        expect(r.stderr).toContain(
          `the file names the vault ${attacker.address}, which is not on a Key Vault domain (*.vault.azure.net, …); hush sends your Azure token only to Key Vault or a vault you allow: add ${attacker.address} to HUSH_AZURE_KV_URLS`,
        );
      }
    }
    expect(attacker.calls, "the attacker's vault received a request").toEqual([]);
    expect(world.entra.calls.length, "a token was asked for").toBe(tokens);
    // Allowing it is the user's call, from the environment.
    const allowed = await hush(["decrypt", f], { env: world.env([vault, attacker]) });
    expect(allowed.status).toBe(128);
    expect(attacker.calls.some((c) => c.token !== "")).toBe(true);
  });

  it("lookalike hosts, other ports, plain http and paths are refused without a network call or a token", async () => {
    const f = await encrypted("lookalike.yaml");
    const tokens = world.entra.calls.length;
    const cases: Array<[string, string]> = [
      ["https://vault.azure.net.evil.example", "HUSH_AZURE_KV_URLS"],
      ["https://myvault.vault.azure.net.evil.example", "HUSH_AZURE_KV_URLS"],
      ["https://evilvault.azure.net", "HUSH_AZURE_KV_URLS"],
      ["https://myvault.vault.azure.net:8443", "HUSH_AZURE_KV_URLS"],
      ["https://a.b.vault.azure.net", "HUSH_AZURE_KV_URLS"],
      ["http://myvault.vault.azure.net", "is not https"],
      ["https://myvault.vault.azure.net/path", "must be https://host only"],
      ["https://myvault.vault.azure.net\\u001b[31m", "\\u001b"],
    ];
    for (const [url, message] of cases) {
      const copy = join(world.tmp.path, "lookalike-copy.yaml");
      writeFileSync(copy, readFileSync(f, "utf8"));
      pointedAt(copy, url.includes("\\u001b") ? `"${url}"` : url);
      const r = await hush(["decrypt", copy], { env, timeoutMs: 20_000 });
      expect(r.status, url).toBe(128);
      expect(r.stderr, url).toContain(message);
      expect(r.stderr).not.toContain("\u001b");
    }
    expect(world.entra.calls.length, "a token was asked for").toBe(tokens);
  });

  it("a vault named on the command line may be used to encrypt; reading the file back needs it allowed", async () => {
    const f = join(world.tmp.path, "chosen.yaml");
    writeFileSync(f, PLAIN);
    const notAllowed = world.env([]);
    const enc = await hush(["encrypt", "-i", "--azure-kv", vault.url("app", version), f], { env: notAllowed });
    expect(enc.stderr).toBe("");
    const dec = await hush(["decrypt", f], { env: notAllowed });
    expect(dec.status).toBe(128);
    expect(dec.stderr).toContain(`add ${vault.address} to HUSH_AZURE_KV_URLS`);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
  });

  it("a .sops.yaml rule naming a vault the user has not allowed: nothing sent, nothing written", async () => {
    const dir = join(world.tmp.path, "rule");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - azure_keyvault: "${attacker.url("app")}"\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const before = attacker.calls.length;
    const r = await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`(from .sops.yaml or the file) names the vault ${attacker.address}`);
    expect(r.stderr).toContain("HUSH_AZURE_KV_URLS");
    expect(readFileSync(join(dir, "s.yaml"), "utf8")).toBe(PLAIN);
    expect(attacker.calls.length).toBe(before);
  });

  it("a challenge asking for another service's token (not the vault's domain) gets none", async () => {
    const greedy = await world.vault({ challengeResource: "https://management.azure.com" });
    greedy.createKey("app");
    const f = await encrypted("greedy.yaml");
    pointedAt(f, greedy.address);
    const tokens = world.entra.calls.length;
    const r = await hush(["decrypt", f], { env: world.env([greedy]) });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain(`the vault ${greedy.address} asked for a token of https://management.azure.com, which is not its own domain; no token was sent`);
    expect(greedy.calls.map((c) => `${c.status} ${c.token}`)).toEqual(["401 "]);
    expect(world.entra.calls.length).toBe(tokens);
  });

  it("a wrong client secret, a denied key, a 5xx and a wrong tenant: one line naming the key and group, exit 128, file unchanged", async () => {
    const f = await encrypted("failures.yaml");
    const before = readFileSync(f);
    const id = escape(vault.url("app", version));
    const line = (why: string): RegExp => new RegExp(`^hush: .*failures\\.yaml: could not decrypt the data key: group 0: azure_kv ${id}: ${why}$`);
    const check = async (runEnv: Record<string, string>, why: string): Promise<void> => {
      const r = await hush(["decrypt", "-i", f], { env: runEnv });
      expect(r.status).toBe(128);
      const [first, ...rest] = r.stderr.trim().split("\n");
      expect(first).toMatch(line(why));
      expect(rest.every((l) => l.startsWith("  next:")), r.stderr).toBe(true);
      expect(readFileSync(f)).toEqual(before);
    };
    await check({ ...env, AZURE_CLIENT_SECRET: "wrong" }, "Azure Key Vault decrypt failed: Azure client secret token request refused: HTTP 401 \\(invalid_client: AADSTS7000215: Invalid client secret provided\\.\\)");
    await check({ ...env, AZURE_TENANT_ID: "contoso.onmicrosoft.com" }, `Azure Key Vault decrypt failed: the vault asks for a token of tenant ${world.entra.tenantId}, not AZURE_TENANT_ID; add it to AZURE_ADDITIONALLY_ALLOWED_TENANTS to allow it`);
    const denied = await world.vault();
    const failing = await world.vault({ failWith: 503 });
    for (const [server, why] of [
      [denied, "Azure Key Vault decrypt failed: AccessDenied \\(HTTP 403: Forbidden: Caller is not authorized .*\\)"],
      [failing, "Azure Key Vault decrypt failed: ServerError \\(HTTP 503: ServiceUnavailable: The service is temporarily unavailable\\.\\)"],
    ] as const) {
      server.createKey("app");
      server.deny("app");
      writeFileSync(f, before.toString("utf8").replace(`vault_url: ${vault.address}`, `vault_url: ${server.address}`));
      const changed = readFileSync(f);
      const r = await hush(["decrypt", "-i", f], { env: world.env([server]) });
      expect(r.status).toBe(128);
      expect(r.stderr.trim().split("\n")[0]).toMatch(new RegExp(`group 0: azure_kv ${escape(server.address)}/keys/app/${version}: ${why}$`));
      expect(readFileSync(f)).toEqual(changed);
    }
    writeFileSync(f, before);
  });

  it("a vault that hangs: NetworkTimeout after HUSH_AZURE_KV_TIMEOUT; a redirect is not followed", async () => {
    const slow = await world.vault({ latencyMs: 5000 });
    const redirecting = await world.vault({ redirectTo: attacker.address });
    const f = await encrypted("slow.yaml");
    const text = readFileSync(f, "utf8");
    pointedAt(f, slow.address);
    const started = Date.now();
    const r = await hush(["decrypt", f], { env: world.env([slow], { HUSH_AZURE_KV_TIMEOUT: "1" }) });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("Azure Key Vault decrypt failed: NetworkTimeout (no answer within 1000 ms)");
    expect(Date.now() - started).toBeLessThan(4500);
    writeFileSync(f, text);
    pointedAt(f, redirecting.address);
    const before = attacker.calls.length;
    const red = await hush(["decrypt", f], { env: world.env([redirecting]) });
    expect(red.status).toBe(128);
    expect(red.stderr).toContain("Azure Key Vault decrypt failed: HTTP 307 redirect not followed");
    expect(attacker.calls.length).toBe(before);
  });

  it("client certificate, workload identity, App Service and VM managed identity, az CLI; no credential at all says what to set", async () => {
    const f = await encrypted("identities.yaml");
    const noSecret = { ...env, AZURE_CLIENT_SECRET: "" };
    const tokenFile = join(world.tmp.path, "federated-token");
    writeFileSync(tokenFile, `${world.entra.federatedToken}\n`);
    const variants: Array<[Record<string, string>, string]> = [
      [{ ...noSecret, AZURE_CLIENT_CERTIFICATE_PATH: world.clientCertificateFile }, "client_certificate"],
      [{ ...noSecret, AZURE_FEDERATED_TOKEN_FILE: tokenFile }, "client_assertion"],
      [{ ...noSecret, AZURE_TENANT_ID: "", IDENTITY_ENDPOINT: world.entra.identityEndpoint, IDENTITY_HEADER: world.entra.identityHeader }, "app_service"],
      [{ ...noSecret, AZURE_TENANT_ID: "", AZURE_POD_IDENTITY_AUTHORITY_HOST: world.entra.address }, "imds"],
    ];
    for (const [runEnv, grant] of variants) {
      const r = await hush(["decrypt", f], { env: runEnv });
      expect(r.stderr, grant).toBe("");
      expect(r.stdout).toBe(PLAIN);
      expect(world.entra.calls.at(-1)).toMatchObject({ grant, resource: vault.address, status: 200 });
    }
    // The Azure CLI, run without a shell with SOPS's resource and the challenge's tenant.
    const bin = join(world.tmp.path, "bin");
    mkdirSync(bin, { recursive: true });
    const argsFile = join(world.tmp.path, "az-args");
    const token = world.entra.issue(vault.address);
    writeFileSync(join(bin, "az"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nprintf '{"accessToken": "${token}", "expiresOn": "2099-01-01 00:00:00.000000", "tokenType": "Bearer"}'\n`, { mode: 0o755 });
    const viaCli = await hush(["decrypt", f], { env: { ...noSecret, PATH: `${bin}:/usr/bin:/bin` } });
    expect(viaCli.stderr).toBe("");
    expect(viaCli.stdout).toBe(PLAIN);
    expect(readFileSync(argsFile, "utf8").trim().split("\n")).toEqual(["account", "get-access-token", "--output", "json", "--resource", vault.address, "--tenant", world.entra.tenantId]);
    const stranger = await hush(["decrypt", f], { env: { ...noSecret, AZURE_CLIENT_CERTIFICATE_PATH: world.strangerCertificateFile } });
    expect(stranger.status).toBe(128);
    expect(stranger.stderr).toContain("Azure client certificate token request refused: HTTP 401 (invalid_client: AADSTS700027: Client assertion failed signature validation (x5t).)");
    // No secret, no certificate, no federated token, no managed identity, no `az` on PATH.
    const none = await hush(["decrypt", f], { env: { ...noSecret, PATH: "/nonexistent" } });
    expect(none.status).toBe(128);
    expect(none.stderr).toContain("no Azure credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, or AZURE_FEDERATED_TOKEN_FILE), use a managed identity, or log in with `az login`");
  });

  it("a SIGTERM while az waits (on the network, a login) ends az, and hush by SIGTERM", { timeout: 15_000 }, async () => {
    const f = await encrypted("slow-az.yaml");
    const bin = join(world.tmp.path, "bin-slow-az");
    mkdirSync(bin, { recursive: true });
    const pidFile = join(world.tmp.path, "slow-az-pid");
    writeFileSync(join(bin, "az"), `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`, { mode: 0o755 });
    const run = startHush(["decrypt", f], { cwd: world.tmp.path, env: { ...env, AZURE_CLIENT_SECRET: "", PATH: `${bin}:/usr/bin:/bin` } });
    const [pid] = await waitForPids(pidFile);
    run.child.kill("SIGTERM");
    const result = await run.done;
    expect({ code: result.code, signal: result.signal }).toEqual({ code: null, signal: "SIGTERM" });
    expect(await goneSoon(pid!), "az").toBe(true);
  });

  it("the Azure CLI runs outside the repository: a pip-installed az (python -m azure.cli) does not import the repository's azure package", async () => {
    // pip installs `az` as a script running `python -m azure.cli`, and `python -m` puts the
    // working directory first on the module path: a repository with azure/cli/__main__.py would run.
    let python: string;
    try {
      python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    } catch (err) {
      throw new Error(`python3 is needed for this test (apt-get install python3): ${(err as Error).message}`);
    }
    const repo = join(world.tmp.path, "cloned-repo-python");
    mkdirSync(join(repo, "azure", "cli"), { recursive: true });
    const f = await encrypted("repo-python.yaml");
    writeFileSync(join(repo, "app.yaml"), readFileSync(f, "utf8"));
    const marker = join(world.tmp.path, "repo-azure-package-ran");
    writeFileSync(join(repo, "azure", "__init__.py"), "");
    writeFileSync(join(repo, "azure", "cli", "__init__.py"), "");
    writeFileSync(join(repo, "azure", "cli", "__main__.py"), `open(${JSON.stringify(marker)}, "w").write("ran")\nraise SystemExit(1)\n`);
    const bin = join(world.tmp.path, "pip-bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "az"), `#!/bin/sh\nexec '${python}' -m azure.cli "$@"\n`, { mode: 0o755 });
    for (const args of [["decrypt", "app.yaml"], ["git", "textconv", "app.yaml"]]) {
      const r = await hush(args, { cwd: repo, env: { ...env, AZURE_CLIENT_SECRET: "", PATH: `${bin}:/usr/bin:/bin` } });
      expect(r.stdout).not.toContain("s3cr3t");
      expect(existsSync(marker), `hush ${args.join(" ")} let az import the repository's azure package`).toBe(false);
    }
  });

  it("nor the azure package another local user planted in the shared temporary directory", async () => {
    // /tmp is writable by every user of the machine: run there, a pip-installed az would import
    // /tmp/azure/cli/__main__.py, which anyone could have put there first.
    const python = execFileSync("python3", ["-c", "import sys; print(sys.executable)"], { encoding: "utf8" }).trim();
    const shared = join(world.tmp.path, "shared-tmp");
    mkdirSync(join(shared, "azure", "cli"), { recursive: true });
    chmodSync(shared, 0o1777);
    const marker = join(world.tmp.path, "shared-azure-package-ran");
    writeFileSync(join(shared, "azure", "__init__.py"), "");
    writeFileSync(join(shared, "azure", "cli", "__init__.py"), "");
    writeFileSync(join(shared, "azure", "cli", "__main__.py"), `open(${JSON.stringify(marker)}, "w").write("ran")\nraise SystemExit(1)\n`);
    const bin = join(world.tmp.path, "pip-bin-shared");
    mkdirSync(bin, { recursive: true });
    const ranIn = join(world.tmp.path, "az-ran-in");
    writeFileSync(join(bin, "az"), `#!/bin/sh\npwd > '${ranIn}'\nexec '${python}' -m azure.cli "$@"\n`, { mode: 0o755 });
    const f = await encrypted("shared-tmp.yaml");
    for (const args of [["decrypt", f], ["git", "textconv", f]]) {
      const r = await hush(args, { env: { ...env, AZURE_CLIENT_SECRET: "", TMPDIR: shared, PATH: `${bin}:/usr/bin:/bin` } });
      expect(r.stdout).not.toContain("s3cr3t");
      expect(readFileSync(ranIn, "utf8"), "az did not run").not.toBe("");
      expect(existsSync(marker), `hush ${args.join(" ")} let az import the shared directory's azure package`).toBe(false);
      expect(readFileSync(ranIn, "utf8").trim()).not.toBe(shared);
    }
  });

  it("an `az` in the repository is never run, even when PATH has an empty or relative entry", async () => {
    // A cloned repository brings its own `az`; a PATH entry that is empty or relative ("." or a
    // trailing ':') means the working directory. A file with an azure_kv key makes hush reach for
    // the Azure CLI when no other credential is set up: only an `az` in an absolute PATH directory may run.
    const repo = join(world.tmp.path, "cloned-repo");
    mkdirSync(join(repo, "bin"), { recursive: true });
    const f = await encrypted("repo-az.yaml");
    writeFileSync(join(repo, "app.yaml"), readFileSync(f, "utf8"));
    const marker = join(world.tmp.path, "repo-az-ran");
    const planted = `#!/bin/sh\necho ran > '${marker}'\nexit 1\n`;
    writeFileSync(join(repo, "az"), planted, { mode: 0o755 });
    writeFileSync(join(repo, "bin", "az"), planted, { mode: 0o755 });
    const noSecret = { ...env, AZURE_CLIENT_SECRET: "" };
    for (const path of ["/nonexistent:", ".:/nonexistent", "bin:/nonexistent", "/nonexistent::/also-nonexistent"]) {
      for (const args of [["decrypt", "app.yaml"], ["git", "textconv", "app.yaml"]]) {
        const r = await hush(args, { cwd: repo, env: { ...noSecret, PATH: path } });
        expect(r.stdout).not.toContain("s3cr3t");
        expect(existsSync(marker), `PATH=${path}: hush ${args.join(" ")} ran the repository's az`).toBe(false);
        if (args[0] === "decrypt") {
          expect(r.status).toBe(128);
          expect(r.stderr).toContain("no Azure credential: set AZURE_TENANT_ID");
        }
      }
    }
  });
});
