import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startKmsTestServer, type KmsTestServer } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * A file's `aws_profile` and `role` are untrusted: a profile selects part of the reader's own AWS
 * config, whose `credential_process` is a command; a role is a principal to act as. hush uses
 * them only when the user allows them (HUSH_AWS_PROFILES / HUSH_AWS_ROLES, AWS_PROFILE, or the
 * command's own --aws-profile / --kms ARN+ROLE). Tested with the project's KMS test server and a
 * private HOME whose AWS config has a profile with a credential_process that leaves a marker.
 */

const PLAIN = "password: s3cr3t\n";
const ROLE = "arn:aws:iam::111122223333:role/hush-deployer";

describe("aws_profile and role from a file", () => {
  let server: KmsTestServer;
  const tmp = makeTempDir("hush-kms-trust-");
  const home = join(tmp.path, "home");
  const marker = join(tmp.path, "credential-process-ran");
  let awsEnv: Record<string, string>;
  beforeAll(async () => {
    server = await startKmsTestServer({ roles: [ROLE] });
    mkdirSync(join(home, ".aws"), { recursive: true });
    const script = join(tmp.path, "creds.sh");
    writeFileSync(
      script,
      `#!/bin/sh\ntouch '${marker}'\nprintf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"%s"}' '${server.credentials.accessKeyId}' '${server.credentials.secretAccessKey}'\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(join(home, ".aws", "config"), `[profile attacker-picked]\nregion = us-east-1\ncredential_process = ${script}\n`);
    // Only the endpoint comes from the environment: credentials must come from the profile.
    awsEnv = { HOME: home, AWS_ENDPOINT_URL_KMS: server.endpoint, AWS_ENDPOINT_URL_STS: server.endpoint, AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" };
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  /** A file encrypted for a fresh key with the given profile (by a user who allowed it). */
  const encryptedWithProfile = async (name: string): Promise<string> => {
    const arn = server.createKey();
    const f = join(tmp.path, name);
    writeFileSync(f, PLAIN);
    const enc = await hush(["encrypt", "-i", "--kms", arn, "--aws-profile", "attacker-picked", f], { env: awsEnv });
    expect(enc.stderr).toBe("");
    expect(enc.status).toBe(0);
    expect(readFileSync(f, "utf8")).toContain("aws_profile: attacker-picked");
    rmSync(marker, { force: true });
    return f;
  };

  it("a profile named only by the file is not used: its credential_process never runs", async () => {
    const f = await encryptedWithProfile("profile.yaml");
    server.resetStats();
    const r = await hush(["decrypt", f], { env: awsEnv });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain('the file asks for the AWS profile "attacker-picked" of your AWS config; hush uses a profile named by a file only when you allow it: set HUSH_AWS_PROFILES=attacker-picked');
    // What `git diff` runs on a cloned repository's file.
    const textconv = await hush(["git", "textconv", f], { env: awsEnv });
    expect(textconv.stdout).not.toContain("s3cr3t");
    expect(existsSync(marker), "the profile's credential_process ran").toBe(false);
    expect(server.callCount).toBe(0);
  });

  it("HUSH_AWS_PROFILES (or AWS_PROFILE) allows it", async () => {
    const f = await encryptedWithProfile("allowed.yaml");
    const r = await hush(["decrypt", f], { env: { ...awsEnv, HUSH_AWS_PROFILES: "other,attacker-picked" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(PLAIN);
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);
    const viaProfile = await hush(["decrypt", f], { env: { ...awsEnv, AWS_PROFILE: "attacker-picked" } });
    expect(viaProfile.stdout).toBe(PLAIN);
  });

  it("a role named only by the file is not assumed; HUSH_AWS_ROLES allows it", async () => {
    const arn = server.createKey();
    const f = join(tmp.path, "role.yaml");
    writeFileSync(f, PLAIN);
    const env = { ...server.env, HOME: home };
    const enc = await hush(["encrypt", "-i", "--kms", `${arn}+${ROLE}`, f], { env });
    expect(enc.stderr).toBe("");
    expect(readFileSync(f, "utf8")).toContain(`role: ${ROLE}`);
    server.resetStats();
    const r = await hush(["decrypt", f], { env });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain(`the file asks to assume the IAM role "${ROLE}"; hush assumes a role named by a file only when you allow it: set HUSH_AWS_ROLES=${ROLE}`);
    expect(server.calls.filter((c) => c.service === "sts")).toEqual([]);
    const allowed = await hush(["decrypt", f], { env: { ...env, HUSH_AWS_ROLES: ROLE } });
    expect(allowed.stderr).toBe("");
    expect(allowed.stdout).toBe(PLAIN);
    expect(server.calls.filter((c) => c.service === "sts").map((c) => c.roleArn)).toEqual([ROLE]);
  });

  it("a repository's .sops.yaml cannot pick a profile either", async () => {
    rmSync(marker, { force: true });
    const arn = server.createKey();
    const dir = join(tmp.path, "repo");
    mkdirSync(dir);
    writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - kms: ${arn}\n    aws_profile: attacker-picked\n`);
    writeFileSync(join(dir, "s.yaml"), PLAIN);
    const r = await hush(["encrypt", "-i", "s.yaml"], { cwd: dir, env: awsEnv });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("HUSH_AWS_PROFILES=attacker-picked");
    expect(existsSync(marker)).toBe(false);
    expect(readFileSync(join(dir, "s.yaml"), "utf8")).toBe(PLAIN);
  });

  /**
   * A clone holding `s.yaml` (encrypted for a fresh key by a user with keys in the environment)
   * and `HOMEDIR/.aws/config`, whose default profile runs a program of the clone's: its marker
   * file is the returned `ran`.
   */
  const cloneWithAwsConfig = async (name: string, homeDir: string): Promise<{ clone: string; ran: string }> => {
    const arn = server.createKey();
    const clone = join(tmp.path, name);
    mkdirSync(join(clone, homeDir, ".aws"), { recursive: true });
    const plain = join(clone, "s.yaml");
    writeFileSync(plain, PLAIN);
    const keys = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey };
    const enc = await hush(["encrypt", "-i", "--kms", arn, plain], { env: { ...awsEnv, ...keys } });
    expect(enc.status, enc.stderr).toBe(0);
    const ran = join(clone, "ran");
    writeFileSync(join(clone, homeDir, ".aws", "config"), `[default]\nregion = us-east-1\ncredential_process = sh -c 'touch ${ran}; exit 1'\n`);
    return { clone, ran };
  };

  it("a relative HOME never makes the AWS SDK read a clone's AWS config: its default profile's credential_process does not run", async () => {
    const { clone, ran } = await cloneWithAwsConfig("clone", "h");
    const r = await hush(["decrypt", "s.yaml"], { cwd: clone, env: { ...awsEnv, HOME: "h" } });
    expect(existsSync(ran), "the clone's credential_process ran").toBe(false);
    expect(r.status).toBe(128);
    expect(r.stdout).toBe("");
    // An absolute HOME is the user's own: the same files there are read as they always were.
    const own = await hush(["decrypt", "s.yaml"], { cwd: clone, env: { ...awsEnv, HOME: join(clone, "h") } });
    expect(existsSync(ran), "an absolute HOME's config is the user's").toBe(true);
    expect(own.status).toBe(128);
  });

  it("nor an empty HOME, which the SDK takes for the working directory (Node's home directory is then \"\"): the clone's .aws/config is not read", async () => {
    const { clone, ran } = await cloneWithAwsConfig("clone-empty-home", ".");
    const r = await hush(["decrypt", "s.yaml"], { cwd: clone, env: { ...awsEnv, HOME: "" } });
    expect(existsSync(ran), "the clone's credential_process ran").toBe(false);
    expect(r.status).toBe(128);
    expect(r.stdout).toBe("");
  });
});
