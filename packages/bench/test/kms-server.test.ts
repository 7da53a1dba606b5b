import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { loadStartKmsTestServer } from "../src/kms-server.mjs";

/**
 * `pnpm bench` runs testkit's KMS test server from a transpiled copy; nothing else runs that copy,
 * so a testkit file split in two once left the benchmark importing a module that was not there.
 */
describe("the benchmark's KMS test server", () => {
  const dir = makeTempDir("hush-bench-kms-");
  afterAll(() => dir.cleanup());

  it("loads with every testkit module it imports, and makes keys", async () => {
    const start = await loadStartKmsTestServer(dir.path);
    const server = await start();
    try {
      expect(server.createKey({ description: "bench" })).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\//);
    } finally {
      await server.stop();
    }
    expect(readdirSync(dir.path).sort()).toEqual(["kms-test-keyring.mjs", "kms-test-server.mjs", "sigv4.mjs"]);
  });
});
