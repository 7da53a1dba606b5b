import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, makeTestCertificate, startGcpKmsTestServer, type GcpKmsTestServer } from "@hush/testkit";
import { hush, makeAgeKey } from "./helpers.ts";

/**
 * Google Cloud KMS (`gcp_kms`) through the built CLI, against the project's Cloud KMS test server:
 * the flags, `.sops.yaml` keys and metadata SOPS uses, key groups and Shamir across backends,
 * rotate and updatekeys, and each way to give hush a Google credential.
 */

const PLAIN = "password: s3cr3t\n";

describe("gcp_kms keys", () => {
  let kms: GcpKmsTestServer;
  const tmp = makeTempDir("hush-gcp-kms-");
  let env: Record<string, string>;
  let keyA: string;
  let keyB: string;
  beforeAll(async () => {
    kms = await startGcpKmsTestServer();
    keyA = kms.resourceId("app");
    keyB = kms.resourceId("backup");
    kms.createKey(keyA);
    kms.createKey(keyB);
    env = { SOPS_GCP_KMS_ENDPOINT: kms.address, GOOGLE_OAUTH_ACCESS_TOKEN: kms.token };
  });
  afterAll(async () => {
    await kms.stop();
    tmp.cleanup();
  });

  const file = (name: string, text = PLAIN): string => {
    const f = join(tmp.path, name);
    writeFileSync(f, text);
    return f;
  };
  /** A file encrypted with `--gcp-kms` for `ids`. */
  const encrypted = async (name: string, ids: string = keyA): Promise<string> => {
    const f = file(name);
    const r = await hush(["encrypt", "-i", "--gcp-kms", ids, f], { env });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    return f;
  };

  it("encrypts with --gcp-kms and decrypts, writing SOPS's entry (created_at, enc in standard base64, resource_id) in SOPS 3.13's order", async () => {
    const f = await encrypted("basic.yaml");
    const text = readFileSync(f, "utf8");
    expect(text).toMatch(new RegExp(`\\n {4}gcp_kms:\\n {8}- created_at: "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"\\n {10}enc: [A-Za-z0-9+/]{40,}={0,2}\\n {10}resource_id: ${keyA}\\n`));
    const r = await hush(["decrypt", f], { env });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(kms.calls.map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([`POST /v1/${keyA}:encrypt 200`, `POST /v1/${keyA}:decrypt 200`]);
    expect(kms.calls.every((c) => c.authorization === `Bearer ${kms.token}` && c.userProject === "")).toBe(true);
  });

  it("SOPS_GCP_KMS_IDS names the keys of a new file; JSON output keeps SOPS's field names", async () => {
    const f = file("env.json", '{"password": "s3cr3t"}\n');
    const r = await hush(["encrypt", "-i", f], { env: { ...env, SOPS_GCP_KMS_IDS: `${keyA}, ${keyB}` } });
    expect(r.stderr).toBe("");
    const json = JSON.parse(readFileSync(f, "utf8")) as { sops: { gcp_kms: Array<Record<string, string>> } };
    expect(json.sops.gcp_kms.map((k) => Object.keys(k).join(","))).toEqual(["created_at,enc,resource_id", "created_at,enc,resource_id"]);
    expect(json.sops.gcp_kms.map((k) => k["resource_id"])).toEqual([keyA, keyB]);
    expect(JSON.parse((await hush(["decrypt", f], { env })).stdout)).toEqual({ password: "s3cr3t" });
  });

  it("a SOPS-shaped block is read, and rewritten byte for byte by `set`; SOPS 3.12's field order decrypts too", async () => {
    const f = await encrypted("shape.yaml");
    const block = (t: string): string => /\n {4}gcp_kms:\n(?: {8}- .*\n(?: {10}.*\n)*)/.exec(t)![0];
    const before = block(readFileSync(f, "utf8"));
    const set = await hush(["set", f, '["password"]', '"changed"'], { env });
    expect(set.stderr).toBe("");
    expect(block(readFileSync(f, "utf8"))).toBe(before);
    // SOPS 3.9–3.12 wrote the entry in Go struct order: resource_id, created_at, enc.
    const m = /- created_at: (.*)\n {10}enc: (.*)\n {10}resource_id: (.*)\n/.exec(before)!;
    writeFileSync(f, readFileSync(f, "utf8").replace(m[0], `- resource_id: ${m[3]}\n          created_at: ${m[1]}\n          enc: ${m[2]}\n`));
    expect((await hush(["decrypt", f], { env })).stdout).toBe("password: changed\n");
  });

  it("a .sops.yaml rule (gcp_kms string) and a key group (gcp_kms maps) mixing age and gcp_kms open with either key", async () => {
    const dir = join(tmp.path, "rules");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "alice");
    writeFileSync(
      join(dir, ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^flat\\.yaml$\n    gcp_kms: "${keyA},${keyB}"\n  - path_regex: ^group\\.yaml$\n    key_groups:\n      - age: [${age.recipient}]\n        gcp_kms:\n          - resource_id: ${keyB}\n`,
    );
    writeFileSync(join(dir, "flat.yaml"), PLAIN);
    writeFileSync(join(dir, "group.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "flat.yaml"], { cwd: dir, env })).stderr).toBe("");
    expect((await hush(["encrypt", "-i", "group.yaml"], { cwd: dir, env })).stderr).toBe("");
    expect(readFileSync(join(dir, "flat.yaml"), "utf8")).toContain(`resource_id: ${keyB}`);
    const group = readFileSync(join(dir, "group.yaml"), "utf8");
    expect(group).toContain(`resource_id: ${keyB}`);
    expect(group).toContain(age.recipient);
    const calls = kms.calls.length;
    expect((await hush(["decrypt", "group.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    expect(kms.calls.length).toBe(calls);
    expect((await hush(["decrypt", "group.yaml"], { cwd: dir, env })).stdout).toBe(PLAIN);
    expect((await hush(["decrypt", "flat.yaml"], { cwd: dir, env })).stdout).toBe(PLAIN);
    // SOPS reads a key group's gcp_kms as maps with resource_id; a bare string there is refused.
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - key_groups:\n      - gcp_kms: ["${keyA}"]\n`);
    writeFileSync(join(dir, "bad.yaml"), PLAIN);
    const bad = await hush(["encrypt", "-i", "bad.yaml"], { cwd: dir, env });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("creation_rules[0].key_groups[0].gcp_kms[0] must be a map with resource_id");
  });

  it("Shamir threshold 2 across backends: {age}, {gcp_kms A}, {gcp_kms B}", async () => {
    const dir = join(tmp.path, "shamir");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "carol");
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${age.recipient}]\n      - gcp_kms: [{resource_id: ${keyA}}]\n      - gcp_kms: [{resource_id: ${keyB}}]\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env })).stderr).toBe("");
    expect(readFileSync(join(dir, "s.yaml"), "utf8")).toContain("shamir_threshold: 2");
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env })).stdout).toBe(PLAIN);
    expect((await hush(["decrypt", "s.yaml"], { cwd: dir, env: { ...env, SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    const ageOnly = await hush(["decrypt", "s.yaml"], { cwd: dir, env: { SOPS_AGE_KEY_FILE: age.file } });
    expect(ageOnly.status).toBe(128);
    expect(ageOnly.stdout).toBe("");
  });

  it("rotate (new data key, new KMS ciphertext), --add-gcp-kms and --rm-gcp-kms", async () => {
    const dir = join(tmp.path, "rotate");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "bob");
    const f = join(dir, "r.yaml");
    writeFileSync(f, PLAIN);
    const both = { ...env, SOPS_AGE_KEY_FILE: age.file };
    expect((await hush(["encrypt", "-i", "--age", age.recipient, f])).status).toBe(0);
    const add = await hush(["rotate", "-i", "--add-gcp-kms", keyA, f], { env: both });
    expect(add.stderr).toBe("");
    const added = readFileSync(f, "utf8");
    expect(added).toContain(`resource_id: ${keyA}`);
    expect((await hush(["decrypt", f], { env })).stdout).toBe(PLAIN);
    const rot = await hush(["rotate", "-i", f], { env });
    expect(rot.stderr).toBe("");
    const enc = (t: string): string => /enc: (\S+)\n {10}resource_id/.exec(t)![1]!;
    expect(enc(readFileSync(f, "utf8"))).not.toBe(enc(added));
    expect((await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
    const rm = await hush(["rotate", "-i", "--rm-gcp-kms", keyA, f], { env: both });
    expect(rm.stderr).toBe("");
    expect(readFileSync(f, "utf8")).not.toContain("gcp_kms");
    expect((await hush(["decrypt", f], { env: { SOPS_AGE_KEY_FILE: age.file } })).stdout).toBe(PLAIN);
  });

  it("updatekeys adds the gcp_kms key .sops.yaml now names", async () => {
    const dir = join(tmp.path, "update");
    mkdirSync(dir);
    const age = await makeAgeKey(dir, "dave");
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${age.recipient}\n`);
    writeFileSync(join(dir, "u.yaml"), PLAIN);
    expect((await hush(["encrypt", "-i", "u.yaml"], { cwd: dir })).status).toBe(0);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${age.recipient}\n    gcp_kms: ${keyB}\n`);
    const r = await hush(["updatekeys", "-y", "u.yaml"], { cwd: dir, env: { ...env, SOPS_AGE_KEY_FILE: age.file } });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, "u.yaml"), "utf8")).toContain(`resource_id: ${keyB}`);
    expect((await hush(["decrypt", "u.yaml"], { cwd: dir, env })).stdout).toBe(PLAIN);
  });

  it("credentials: a service account (GOOGLE_CREDENTIALS as JSON or path, one token per process), an authorized user in ADC with its quota project, the GCE metadata server", async () => {
    const f = await encrypted("creds.yaml", `${keyA},${keyB}`);
    const endpoint = { SOPS_GCP_KMS_ENDPOINT: kms.address };
    const start = kms.calls.length;
    const json = await hush(["decrypt", f], { env: { ...endpoint, GOOGLE_CREDENTIALS: JSON.stringify(kms.serviceAccount()) } });
    expect(json.stderr).toBe("");
    expect(json.stdout).toBe(PLAIN);
    const saFile = join(tmp.path, "sa.json");
    writeFileSync(saFile, JSON.stringify(kms.serviceAccount({ quota_project_id: "billing-1" })), { mode: 0o600 });
    // Decrypting needs one key; rotating wraps to both: two KMS calls, one token request.
    const rot = await hush(["rotate", "-i", f], { env: { ...endpoint, GOOGLE_CREDENTIALS: saFile } });
    expect(rot.stderr).toBe("");
    const calls = kms.calls.slice(start);
    expect(calls.filter((c) => c.path === "/token").length).toBe(2);
    expect(calls.filter((c) => c.path === "/token").every((c) => c.status === 200 && /^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(c.form["assertion"] ?? ""))).toBe(true);
    expect(calls.at(-1)?.userProject).toBe("billing-1");

    // gcloud's application default credentials: ~/.config/gcloud/application_default_credentials.json.
    const home = join(tmp.path, "home");
    mkdirSync(join(home, ".config", "gcloud"), { recursive: true });
    writeFileSync(join(home, ".config", "gcloud", "application_default_credentials.json"), JSON.stringify(kms.authorizedUser({ quota_project_id: "from-adc" })));
    const adcStart = kms.calls.length;
    const adc = await hush(["decrypt", f], { env: { ...endpoint, HOME: home } });
    expect(adc.stderr).toBe("");
    expect(adc.stdout).toBe(PLAIN);
    const token = kms.calls.slice(adcStart).find((c) => c.path === "/token")!;
    expect(token.form["grant_type"]).toBe("refresh_token");
    expect(kms.calls.at(-1)?.userProject).toBe("from-adc");
    // GOOGLE_CLOUD_QUOTA_PROJECT wins over the credential's quota_project_id, as in Google's libraries.
    const quota = await hush(["decrypt", f], { env: { ...endpoint, HOME: home, GOOGLE_CLOUD_QUOTA_PROJECT: "from-env" } });
    expect(quota.stdout).toBe(PLAIN);
    expect(kms.calls.at(-1)?.userProject).toBe("from-env");
    // CLOUDSDK_CONFIG moves gcloud's directory, as for gcloud itself.
    const sdk = await hush(["decrypt", f], { env: { ...endpoint, CLOUDSDK_CONFIG: join(home, ".config", "gcloud") } });
    expect(sdk.stdout).toBe(PLAIN);
    // GOOGLE_APPLICATION_CREDENTIALS names the file instead.
    const gac = await hush(["decrypt", f], { env: { ...endpoint, GOOGLE_APPLICATION_CREDENTIALS: saFile } });
    expect(gac.stdout).toBe(PLAIN);
    // Last, the GCE metadata server: a GET with Metadata-Flavor, no credential sent.
    const gce = await hush(["decrypt", f], { env: { ...endpoint, GCE_METADATA_HOST: new URL(kms.address).host } });
    expect(gce.stderr).toBe("");
    expect(gce.stdout).toBe(PLAIN);
    expect(kms.calls.at(-2)).toMatchObject({ method: "GET", path: "/computeMetadata/v1/instance/service-accounts/default/token", authorization: "", status: 200 });
  });

  it("HTTPS with a test CA (NODE_EXTRA_CA_CERTS); an untrusted certificate is a NetworkError", async () => {
    const cert = makeTestCertificate(tmp.path);
    const tls = await startGcpKmsTestServer({ tls: cert, token: kms.token });
    try {
      const id = tls.resourceId("tls");
      tls.createKey(id);
      const f = file("tls.yaml");
      const tlsEnv = { SOPS_GCP_KMS_ENDPOINT: tls.address, GOOGLE_CREDENTIALS: JSON.stringify(tls.serviceAccount()), NODE_EXTRA_CA_CERTS: cert.certFile };
      expect((await hush(["encrypt", "-i", "--gcp-kms", id, f], { env: tlsEnv })).stderr).toBe("");
      expect((await hush(["decrypt", f], { env: tlsEnv })).stdout).toBe(PLAIN);
      const untrusted = await hush(["decrypt", f], { env: { ...tlsEnv, NODE_EXTRA_CA_CERTS: "" } });
      expect(untrusted.status).toBe(128);
      expect(untrusted.stderr).toContain("NetworkError");
    } finally {
      await tls.stop();
    }
  });
});
