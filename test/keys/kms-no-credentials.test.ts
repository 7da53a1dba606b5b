import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenOnLoopback, makeTempDir } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * Without AWS credentials, the AWS SDK's default chain ends at the instance metadata address,
 * which on most machines off EC2 never answers: each search waits there. The search is the same
 * for every KMS key of a file, so it is made once: a file listing 20 keys (it may list 128) made
 * a decrypt or a `git diff` wait 20 times.
 */

const KEYS = 20;

/** A sops file whose one group lists `count` KMS keys, none of which anyone here can open. */
function manyKmsKeys(count: number): string {
  const enc = Buffer.alloc(100, 1).toString("base64");
  const entries = Array.from({ length: count }, (_, i) =>
    [`        - arn: arn:aws:kms:eu-west-1:111122223333:key/key-${i}`, '          created_at: "2024-01-01T00:00:00Z"', `          enc: ${enc}`, '          aws_profile: ""'].join("\n"),
  );
  const mac = "ENC[AES256_GCM,data:AAAA,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]";
  return `a: ${mac.replace("type:str", "type:int")}\nsops:\n    kms:\n${entries.join("\n")}\n    lastmodified: "2024-01-01T00:00:00Z"\n    mac: ${mac}\n    version: 3.9.2\n`;
}

describe("no AWS credentials: looked for once per run, not once per key", () => {
  const tmp = makeTempDir("hush-kms-no-creds-");
  const requests: string[] = [];
  let metadata: { port: number; stop: () => Promise<void> };
  beforeAll(async () => {
    // An instance metadata address that takes requests and never answers, as off EC2.
    const server = createServer((req: IncomingMessage, _res: ServerResponse) => void requests.push(`${req.method ?? ""} ${req.url ?? ""}`));
    metadata = await listenOnLoopback(server);
  });
  afterAll(async () => {
    await metadata.stop();
    tmp.cleanup();
  });

  it(`a file with ${KEYS} KMS keys asks the instance metadata address for one search, and says why the others were not tried`, async () => {
    const f = join(tmp.path, "many.yaml");
    writeFileSync(f, manyKmsKeys(KEYS));
    const started = Date.now();
    const r = await hush(["decrypt", f], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${metadata.port}` } });
    expect(r.status).toBe(128);
    expect(r.stderr).toContain("key/key-0: AWS KMS Decrypt with arn:aws:kms:eu-west-1:111122223333:key/key-0 failed: NoCredentials (");
    expect(r.stderr).toContain(`key/key-${KEYS - 1}: AWS KMS Decrypt with arn:aws:kms:eu-west-1:111122223333:key/key-${KEYS - 1} failed: NoCredentials (not looked for again: `);
    // One search: the SDK asks for a session token and then the role (two requests), not 2 × 20.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.length).toBeLessThanOrEqual(2);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
