import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, startKmsTestServer, type KmsTestServer } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * AWS KMS failures before any request is sent: the SDK throws them from the call as it throws an
 * answer it cannot read, and each was reported as "MalformedResponse (unreadable answer)", which
 * sends the user to look at the endpoint. They are told by what they are, with the next step.
 */

const PLAIN = "password: local-failure-pw\n";

describe("AWS KMS failures before any request", () => {
  const tmp = makeTempDir("hush-kms-local-");
  let server: KmsTestServer;
  let file: string;
  const missingToken = join(tmp.path, "no such dir", "token");

  beforeAll(async () => {
    server = await startKmsTestServer();
    file = join(tmp.path, "s.yaml");
    writeFileSync(file, PLAIN);
    const enc = await hush(["encrypt", "-i", "--kms", server.createKey(), file], { env: server.env });
    expect(enc.status, enc.stderr).toBe(0);
  });
  afterAll(async () => {
    await server.stop();
    tmp.cleanup();
  });

  /** The endpoint of the test server, its region, no credentials but what `extra` gives. */
  const envWith = (extra: Record<string, string>): Record<string, string> => ({
    AWS_ENDPOINT_URL_KMS: server.endpoint,
    AWS_ENDPOINT_URL_STS: server.endpoint,
    AWS_REGION: server.region,
    AWS_CONFIG_FILE: join(tmp.path, "absent-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(tmp.path, "absent-credentials"),
    ...extra,
  });

  it("a web identity token file that is not there is CredentialsUnloadable naming the file, and nothing is sent", async () => {
    server.resetStats();
    const r = await hush(["decrypt", file], { env: envWith({ AWS_ROLE_ARN: "arn:aws:iam::111122223333:role/ci", AWS_WEB_IDENTITY_TOKEN_FILE: missingToken }) });
    expect(r.status).toBe(128);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`failed: CredentialsUnloadable (ENOENT: open ${missingToken}) (the AWS credentials could not be loaded, so no request was sent (check the files and programs your AWS settings name:`);
    expect(r.stderr).not.toContain("MalformedResponse");
    expect(server.callCount).toBe(0);
  });

  it("so is a profile's, for a file whose entry names the profile (allowed)", async () => {
    const config = join(tmp.path, "config");
    writeFileSync(config, `[profile ci]\nrole_arn = arn:aws:iam::111122223333:role/ci\nweb_identity_token_file = ${missingToken}\n`);
    const profiled = join(tmp.path, "profiled.yaml");
    writeFileSync(profiled, readFileSync(file, "utf8").replace('aws_profile: ""', "aws_profile: ci"));
    expect(readFileSync(profiled, "utf8")).toContain("aws_profile: ci");
    server.resetStats();
    const r = await hush(["decrypt", profiled], { env: envWith({ AWS_CONFIG_FILE: config, HUSH_AWS_PROFILES: "ci" }) });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain(`failed: CredentialsUnloadable (ENOENT: open ${missingToken})`);
    expect(r.stderr).not.toContain("MalformedResponse");
    expect(server.callCount).toBe(0);
  });

  it("an answer that cannot be read is still MalformedResponse, and the credentials that work still open the file", async () => {
    expect((await hush(["decrypt", file], { env: server.env })).stdout).toBe(PLAIN);
    server.setGarbage("invalid-json");
    try {
      const r = await hush(["decrypt", file], { env: server.env });
      expect(r.status).toBe(128);
      expect(r.stderr).toContain("failed: MalformedResponse (");
    } finally {
      server.setGarbage("off");
    }
  });
});
