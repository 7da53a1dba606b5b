import { spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, startVaultTestServer, type GnupgHome, type LoopbackListener, type VaultTestServer } from "@hush/testkit";
import { startAzureWorld, type AzureWorld } from "./azure-kv-setup.ts";
import { hush, HUSH_JS, makeAgeKey } from "./helpers.ts";

/**
 * What a file's metadata can reach on the reader's machine: hosts, programs and keys beyond the
 * ones the reader configured. Each attack is played by someone who controls only the file.
 */

/** An HTTP server on 127.0.0.1 that records every request it gets (with its body) and answers 404. */
async function recordingServer(): Promise<{ readonly url: string; readonly hits: string[]; readonly stop: () => Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on("data", (c: Buffer) => body.push(c));
    req.on("end", () => {
      hits.push(`${req.method ?? "?"} ${req.url ?? ""} ${Buffer.concat(body).toString("utf8")}`.trimEnd());
      res.statusCode = 404;
      res.end();
    });
  });
  const listener: LoopbackListener = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${listener.port}`, hits, stop: () => listener.stop() };
}

function gpg(env: Record<string, string | undefined>, args: readonly string[], input?: Buffer | string): Buffer {
  const r = spawnSync("gpg", ["--batch", ...args], { env, input: input ?? "", maxBuffer: 16 << 20 });
  if (r.error !== undefined) throw new Error(`cannot run gpg (apt-get install -y gnupg): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`gpg ${args.join(" ")} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

describe("a PGP entry is only decrypted, whatever the reader's gpg.conf", () => {
  // The message is the file writer's. A signature on it made the reader's gpg fetch the signer's
  // key (auto-key-retrieve: from the keyserver the signature names with honor-keyserver-url, or by
  // WKD from the signer's domain); a file name in it made gpg create that file
  // (use-embedded-filename). hush needs neither: it reads the data key from gpg's stdout.
  const fp = SOPS_TEST_PGP_KEYS.key1;
  let reader: GnupgHome;
  let writerHome: string;
  let tmp: ReturnType<typeof makeTempDir>;
  let keyserver: Awaited<ReturnType<typeof recordingServer>>;
  let file: string;
  let planting: string;
  let planted: string;
  let asking: string;
  let pinentryLog: string;

  beforeAll(async () => {
    keyserver = await recordingServer();
    reader = makeGnupgHome();
    // Options some readers have in gpg.conf; each lets an encrypted message act on its own.
    writeFileSync(join(reader.home, "gpg.conf"), "auto-key-retrieve\nkeyserver-options honor-keyserver-url\nuse-embedded-filename\n");
    tmp = makeTempDir("hush-metadata-reach-");
    // The reader's pinentry (the dialog gpg-agent shows for passphrases): it logs and cancels.
    pinentryLog = join(tmp.path, "pinentry.log");
    const pinentry = join(tmp.path, "pinentry");
    writeFileSync(
      pinentry,
      `#!/bin/sh\necho launched >> '${pinentryLog}'\necho OK\nwhile read -r line; do case "$line" in GETPIN*) echo "ERR 83886179 Operation cancelled";; BYE*) echo OK; exit 0;; *) echo OK;; esac; done\n`,
    );
    chmodSync(pinentry, 0o755);
    writeFileSync(join(reader.home, "gpg-agent.conf"), `pinentry-program ${pinentry}\n`);
    // The keyring import started an agent: the next one reads the configuration.
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: reader.env, stdio: "ignore" });
    file = join(tmp.path, "app.json");
    writeFileSync(file, '{"password": "hunter2"}\n');
    const enc = await hush(["encrypt", "-i", "--pgp", fp, file], { env: { GNUPGHOME: reader.home } });
    if (enc.status !== 0) throw new Error(`encrypt failed: ${enc.stderr}`);
    const doc = JSON.parse(readFileSync(file, "utf8")) as { sops: { pgp: Array<{ enc: string }> } };
    // The writer knows the data key (they wrote the file) and the reader's public key.
    const dataKey = gpg({ ...reader.env, GNUPGHOME: reader.home }, ["--quiet", "--skip-verify", "--decrypt"], doc.sops.pgp[0]!.enc);
    writerHome = mkdtempSync(join(tmpdir(), "hush-gnupg-writer-"));
    chmodSync(writerHome, 0o700);
    const writer = { ...process.env, GNUPGHOME: writerHome };
    gpg(writer, ["--passphrase", "", "--quick-gen-key", "writer@example.com", "future-default", "default", "never"]);
    gpg(writer, ["--import"], gpg(reader.env, ["--armor", "--export", fp]));
    const signed = gpg(writer, ["--trust-model", "always", "--sig-keyserver-url", keyserver.url, "-u", "writer@example.com", "-r", fp, "--armor", "--sign", "--encrypt"], dataKey);
    doc.sops.pgp[0]!.enc = signed.toString("utf8");
    writeFileSync(file, JSON.stringify(doc, null, 4));
    // The literal data packet names a file: with use-embedded-filename, gpg --decrypt creates it
    // in the working directory (a .sops.yaml of the writer's recipients, an .npmrc…), with
    // whatever content the writer encrypted, and gives hush nothing.
    planted = join(tmp.path, ".sops.yaml");
    const plant = "creation_rules:\n  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n";
    doc.sops.pgp[0]!.enc = gpg(writer, ["--trust-model", "always", "--set-filename", ".sops.yaml", "-r", fp, "--armor", "--encrypt"], plant).toString("utf8");
    planting = join(tmp.path, "planting.json");
    writeFileSync(planting, JSON.stringify(doc, null, 4));
    // A hidden recipient (any secret key may be the one, so gpg runs) and a passphrase packet:
    // when no key of the reader opens it, gpg-agent asks the reader for "the passphrase".
    const symmetric = ["--pinentry-mode", "loopback", "--passphrase", "the-writers", "--trust-model", "always", "--symmetric", "--encrypt", "-R", "writer@example.com", "--armor"];
    doc.sops.pgp[0]!.enc = gpg(writer, symmetric, dataKey).toString("utf8");
    asking = join(tmp.path, "asking.json");
    writeFileSync(asking, JSON.stringify(doc, null, 4));
  }, 120_000);

  afterAll(async () => {
    for (const home of [reader?.home, writerHome]) {
      if (home !== undefined) spawnSync("gpgconf", ["--kill", "all"], { env: { ...process.env, GNUPGHOME: home }, stdio: "ignore" });
    }
    reader?.cleanup();
    if (writerHome !== undefined) rmSync(writerHome, { recursive: true, force: true });
    tmp?.cleanup();
    await keyserver?.stop();
  });

  it("decrypt and git textconv open it without checking the signature: gpg contacts no host the file names", async () => {
    const r = await hush(["decrypt", file], { env: { GNUPGHOME: reader.home } });
    const view = await hush(["git", "textconv", file], { env: { GNUPGHOME: reader.home } });
    expect(keyserver.hits).toEqual([]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ password: "hunter2" });
    expect(view.status).toBe(0);
    expect(view.stdout).toContain("hunter2");
  });

  it("decrypt and git textconv create no file the message names (use-embedded-filename): gpg writes only to hush", async () => {
    const r = await hush(["decrypt", planting], { cwd: tmp.path, env: { GNUPGHOME: reader.home } });
    const view = await hush(["git", "textconv", planting], { cwd: tmp.path, env: { GNUPGHOME: reader.home } });
    expect(existsSync(planted)).toBe(false);
    // The entry holds no data key: it fails as any wrong entry does, exit 128, nothing printed.
    expect(r.stdout).toBe("");
    expect(r.status).toBe(128);
    expect(r.stderr).toMatch(/^hush: .*planting\.json: could not decrypt the data key: group 0: pgp FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4: .* decrypted to \d+ bytes, expected a 32-byte data key/);
    expect(view.status).toBe(0);
    expect(view.stdout).not.toContain("hunter2");
  });

  it("an entry that a passphrase also opens is refused before gpg runs: no passphrase dialog in decrypt or git diff", async () => {
    const r = await hush(["decrypt", asking], { env: { GNUPGHOME: reader.home } });
    const view = await hush(["git", "textconv", asking], { env: { GNUPGHOME: reader.home } });
    expect(existsSync(pinentryLog)).toBe(false);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(128);
    expect(r.stderr).toMatch(/^hush: .*asking\.json: could not decrypt the data key: group 0: pgp FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4: the PGP entry .* passphrase/);
    expect(view.status).toBe(0);
    expect(view.stdout).not.toContain("hunter2");
  });
});

describe("an encrypted env file cannot send the caller's cloud credentials elsewhere", () => {
  // `hush exec-env app.env -- deploy` (or the Node loader) puts a file's values in the
  // environment of a program that uses the caller's own credentials: the CI job's Azure client
  // secret, App Service's identity header, its Vault or OpenBao token, its gcloud token. A
  // variable naming where those go is a setting of the caller's, not a secret of the file's.
  let world: AzureWorld;
  let thief: Awaited<ReturnType<typeof recordingServer>>;
  beforeAll(async () => {
    world = await startAzureWorld();
    thief = await recordingServer();
  });
  afterAll(async () => {
    await thief?.stop();
    await world?.stop();
  });

  it("AZURE_AUTHORITY_HOST from the file is refused: the child's Key Vault login never sends the client secret there", async () => {
    const vault = await world.vault();
    const version = vault.createKey("app");
    const env = world.env([vault]);
    const kv = join(world.tmp.path, "kv.yaml");
    writeFileSync(kv, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--azure-kv", vault.url("app", version), kv], { env })).stderr).toBe("");
    const age = await makeAgeKey(world.tmp.path, "reader");
    const app = join(world.tmp.path, "app.env");
    writeFileSync(app, `API_TOKEN=t0k3n\nAZURE_AUTHORITY_HOST=${thief.url}\n`);
    expect((await hush(["encrypt", "-i", "--age", age.recipient, app], { env })).status).toBe(0);
    const r = await hush(["exec-env", app, "--", process.execPath, HUSH_JS, "decrypt", kv], { env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(thief.hits).toEqual([]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${app}: `);
    expect(r.stderr).toContain("--allow-env AZURE_AUTHORITY_HOST");
    expect(r.stderr).not.toContain("t0k3n");
  });

  it("every variable that says where a credential of the caller goes, or where its tokens come from, is refused", async () => {
    const age = await makeAgeKey(world.tmp.path, "names");
    const names = [
      "AZURE_AUTHORITY_HOST",
      "IDENTITY_ENDPOINT",
      "MSI_ENDPOINT",
      "IMDS_ENDPOINT",
      "AZURE_POD_IDENTITY_AUTHORITY_HOST",
      "GCE_METADATA_HOST",
      "GCE_METADATA_IP",
      "GCE_METADATA_ROOT",
      "CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS",
      "CLOUDSDK_PROXY_ADDRESS",
      "BAO_ADDR",
      "BAO_AGENT_ADDR",
      "VAULT_PROXY_ADDR",
      "VAULT_HTTP_PROXY",
    ];
    const f = join(world.tmp.path, "names.yaml");
    writeFileSync(f, `${names.map((n) => `${n}: x\n`).join("")}AZURE_CLIENT_SECRET: allowed-secret\n`);
    expect((await hush(["encrypt", "-i", "--age", age.recipient, f])).status).toBe(0);
    const started = join(world.tmp.path, "started");
    const r = await hush(["exec-env", f, "--", "touch", started], { env: { SOPS_AGE_KEY_FILE: age.file } });
    expect(r.status).toBe(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toContain("AZURE_CLIENT_SECRET");
    expect(existsSync(started)).toBe(false);
  });
});

describe("a Vault key named by .sops.yaml or a file gets a data key only if it is a transit key", () => {
  // The Vault server is one the reader allows (VAULT_ADDR), but the engine path is the
  // repository's to choose, and any mount of that server can sit there. A KV version 1 mount
  // stores the body of `PUT /v1/team-kv/stash/encrypt/app` (the data key, in base64) where
  // everyone who can read team-kv finds it; `updatekeys` wraps each file's existing data key.
  // hush asks Vault what the path is mounted as first; a server that does not say gets a test
  // encryption (`legacy`, without the mount lookup).
  let vault: VaultTestServer;
  let legacy: VaultTestServer;
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(async () => {
    // `child` is a child namespace (Vault Enterprise) with a KV mount of its own.
    vault = await startVaultTestServer({ kvMounts: ["team-kv", "child/kv"], pathNamespaces: ["child"] });
    legacy = await startVaultTestServer({ kvMounts: ["team-kv"], mountLookup: "not-found" });
    tmp = makeTempDir("hush-vault-kv-");
  });
  afterAll(async () => {
    await vault?.stop();
    await legacy?.stop();
    tmp?.cleanup();
  });

  it("updatekeys, encrypt and rotate of a key on a KV mount: refused by the mount lookup, nothing sent to the mount", async () => {
    const age = await makeAgeKey(tmp.path, "lookup");
    const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file };
    const dir = join(tmp.path, "lookup");
    mkdirSync(dir);
    const file = join(dir, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", age.recipient, file], { cwd: dir, env })).status).toBe(0);
    const before = readFileSync(file, "utf8");
    const uri = `${vault.address}/v1/team-kv/stash/keys/app`;
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        hc_vault: [${uri}]\n`);
    const fresh = join(dir, "new.yaml");
    writeFileSync(fresh, "token: t0k3n\n");
    const runs = [await hush(["updatekeys", "-y", file], { cwd: dir, env }), await hush(["encrypt", "-i", fresh], { cwd: dir, env })];
    for (const r of runs) {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`hc_vault key ${uri}: Vault transit: the engine path team-kv/stash is a kv mount on ${vault.address}, not a transit engine; nothing was sent to it`);
    }
    expect(vault.calls.filter((c) => c.path.startsWith("/v1/team-kv/"))).toEqual([]);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readFileSync(fresh, "utf8")).toBe("token: t0k3n\n");
  });

  it("a file whose Vault entry names a KV mount: decrypt and git diff's textconv do not write into it, and other keys still open the file", async () => {
    vault.createKey("app");
    const age = await makeAgeKey(tmp.path, "reader");
    const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file };
    const dir = join(tmp.path, "read-kv");
    mkdirSync(dir);
    const file = join(dir, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    const made = await hush(["encrypt", "-i", "--hc-vault-transit", vault.uri("app"), file], { cwd: dir, env });
    expect(made.status, made.stderr).toBe(0);
    // The pull request moves the entry onto the team's KV mount, where `decrypt/app` holds a secret.
    writeFileSync(file, readFileSync(file, "utf8").replace("engine_path: transit", "engine_path: team-kv"));
    const d0 = await hush(["decrypt", file], { cwd: dir, env });
    expect(d0.stderr).toContain(`Vault transit: the engine path team-kv is a kv mount on ${vault.address}, not a transit engine; nothing was sent to it`);
    expect(d0.stdout).toBe("");
    const view = await hush(["git", "textconv", file], { cwd: dir, env });
    expect(view.stdout).toContain("values hidden: no key for this file");
    expect(view.stdout).not.toContain("s3cr3t");
    expect(vault.kvData("team-kv/decrypt/app")).toBeUndefined();
    expect(vault.calls.filter((c) => c.path.startsWith("/v1/team-kv/"))).toEqual([]);
    // A KV mount of a child namespace, which a lookup from the namespace above does not see.
    writeFileSync(file, readFileSync(file, "utf8").replace("engine_path: team-kv", "engine_path: child/kv"));
    const inChild = await hush(["decrypt", file], { cwd: dir, env });
    expect(inChild.stderr).toContain(`Vault transit: the engine path child/kv is a kv mount on ${vault.address}, not a transit engine; nothing was sent to it`);
    expect(vault.kvData("child/kv/decrypt/app")).toBeUndefined();
    expect(vault.calls.filter((c) => c.method === "PUT" && c.path.startsWith("/v1/child/"))).toEqual([]);
    // The same entry on a transit mount, beside an age key: the file opens with the age key.
    const both = join(dir, "both.yaml");
    writeFileSync(both, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", age.recipient, "--hc-vault-transit", vault.uri("app"), both], { cwd: dir, env })).status).toBe(0);
    writeFileSync(both, readFileSync(both, "utf8").replace("engine_path: transit", "engine_path: team-kv"));
    const d = await hush(["decrypt", both], { cwd: dir, env });
    expect(d.stdout).toBe("password: s3cr3t\n");
    expect(vault.kvData("team-kv/decrypt/app")).toBeUndefined();
  });

  it("a server that does not answer the mount lookup: updatekeys and encrypt send a test encryption first; a KV mount answers 204, no data key is sent, nothing is written", async () => {
    const vault = legacy;
    const age = await makeAgeKey(tmp.path, "team");
    const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file };
    const file = join(tmp.path, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", age.recipient, file], { cwd: tmp.path, env })).status).toBe(0);
    const before = readFileSync(file, "utf8");
    // The pull request's .sops.yaml: a "transit key" on the team's own Vault.
    const uri = `${vault.address}/v1/team-kv/stash/keys/app`;
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        hc_vault: [${uri}]\n`);
    const r = await hush(["updatekeys", "-y", file], { cwd: tmp.path, env });
    const fresh = join(tmp.path, "new.yaml");
    writeFileSync(fresh, "token: t0k3n\n");
    const e = await hush(["encrypt", "-i", fresh], { cwd: tmp.path, env });
    const stored = vault.kvData("team-kv/stash/encrypt/app") as { plaintext?: string } | undefined;
    // Only the test encryption's 32 zero bytes may reach the mount.
    expect(Buffer.from(stored?.plaintext ?? "", "base64").some((b) => b !== 0)).toBe(false);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`hush: app.yaml: group 0: hc_vault key ${uri}: Vault transit: the key did not answer a test encryption as a transit key does (HTTP 204)`);
    expect(r.stderr).toContain("no data key was sent to it");
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(e.status).not.toBe(0);
    expect(e.stderr).toContain("no data key was sent to it");
    expect(readFileSync(fresh, "utf8")).toBe("token: t0k3n\n");
  });

  it("rotate --add-hc-vault-transit vouches for the key it names, not for every key of its server a file plants (a server without the mount lookup)", async () => {
    const vault = legacy;
    vault.createKey("added");
    vault.createKey("planted");
    const age = await makeAgeKey(tmp.path, "rotator");
    const env = { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file };
    const dir = join(tmp.path, "rotate-planted");
    mkdirSync(dir);
    const file = join(dir, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", "--age", age.recipient, "--hc-vault-transit", vault.uri("planted"), file], { cwd: dir, env })).status).toBe(0);
    // The pull request moves the Vault entry onto the KV mount of the same server.
    writeFileSync(file, readFileSync(file, "utf8").replace("engine_path: transit", "engine_path: team-kv/rotate"));
    const before = readFileSync(file, "utf8");
    const r = await hush(["rotate", "-i", "--yes", "--add-hc-vault-transit", vault.uri("added"), file], { cwd: dir, env });
    const stored = vault.kvData("team-kv/rotate/encrypt/planted") as { plaintext?: string } | undefined;
    expect(Buffer.from(stored?.plaintext ?? "", "base64").some((b) => b !== 0)).toBe(false);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no data key was sent to it");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("a refused test encryption (a wrong token) is reported as Vault's refusal, not as another engine", async () => {
    vault.createKey("refused");
    const age = await makeAgeKey(tmp.path, "refused");
    const dir = join(tmp.path, "refused");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        hc_vault: [${vault.uri("refused")}]\n`);
    writeFileSync(join(dir, "c.yaml"), "x: 1\n");
    const r = await hush(["encrypt", "-i", join(dir, "c.yaml")], { cwd: dir, env: { VAULT_ADDR: vault.address, VAULT_TOKEN: "not-the-token", SOPS_AGE_KEY_FILE: age.file } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("AccessDenied (HTTP 403");
    expect(r.stderr).not.toContain("did not answer a test encryption");
    expect(readFileSync(join(dir, "c.yaml"), "utf8")).toBe("x: 1\n");
  });

  it("a transit key of .sops.yaml is tested once per run, then wrapped to as before", async () => {
    vault.createKey("shared");
    const age = await makeAgeKey(tmp.path, "ok");
    const dir = join(tmp.path, "ok");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - age: [${age.recipient}]\n        hc_vault: [${vault.uri("shared")}]\n`);
    const files = ["a.yaml", "b.yaml"].map((n) => join(dir, n));
    for (const f of files) {
      writeFileSync(f, "x: 1\n");
      expect((await hush(["encrypt", "-i", "--age", age.recipient, f], { cwd: dir })).status).toBe(0);
    }
    const calls = vault.calls.length;
    const r = await hush(["updatekeys", "-y", ...files], { cwd: dir, env: { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token, SOPS_AGE_KEY_FILE: age.file } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // The mount lookup and one test encryption, then one encryption per file.
    expect(vault.calls.slice(calls).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(["GET /v1/sys/internal/ui/mounts/transit 200", ...Array(3).fill("PUT /v1/transit/encrypt/shared 200")]);
    const d = await hush(["decrypt", files[0]!], { cwd: dir, env: { VAULT_ADDR: vault.address, VAULT_TOKEN: vault.token } });
    expect(d.stdout).toBe("x: 1\n");
  });
});

describe("a shamir_threshold no set of groups can meet is refused before any key is tried", () => {
  // Each key tried may run a key command, a plugin, gpg or a KMS call (in git diff too): a file
  // that can never open must not cost them. SOPS writes thresholds from 2 to the number of groups.
  let tmp: ReturnType<typeof makeTempDir>;
  beforeAll(() => {
    tmp = makeTempDir("hush-threshold-");
  });
  afterAll(() => tmp?.cleanup());

  it.each([
    [1, "shamir_threshold is 1 with 2 key groups; a Shamir threshold is at least 2"],
    [3, "shamir_threshold is 3 with 2 key groups"],
  ])("shamir_threshold %i over 2 groups: exit 2 naming the threshold; the key command never runs", async (threshold, message) => {
    const a = await makeAgeKey(tmp.path, `a${threshold}`);
    const b = await makeAgeKey(tmp.path, `b${threshold}`);
    const dir = join(tmp.path, `t${threshold}`);
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a.recipient}]\n      - age: [${b.recipient}]\n`);
    const file = join(dir, "app.yaml");
    writeFileSync(file, "password: s3cr3t\n");
    expect((await hush(["encrypt", "-i", file], { cwd: dir })).status).toBe(0);
    writeFileSync(file, readFileSync(file, "utf8").replace("shamir_threshold: 2", `shamir_threshold: ${threshold}`));
    const log = join(dir, "key-cmd.log");
    const keyCmd = join(dir, "key-cmd");
    writeFileSync(keyCmd, `#!/bin/sh\necho run >> '${log}'\ncat '${a.file}' '${b.file}'\n`);
    chmodSync(keyCmd, 0o755);
    const r = await hush(["decrypt", file], { cwd: dir, env: { SOPS_AGE_KEY_CMD: keyCmd } });
    expect(existsSync(log)).toBe(false);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${file}: invalid sops metadata: ${message}`);
    expect(r.status).toBe(2);
  });
});
