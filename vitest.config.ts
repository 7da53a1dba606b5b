import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const pkg = (name: string): string => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

// Unit tests import workspace packages from source; end-to-end tests under test/ run the built CLI.
export default defineConfig({
  resolve: {
    alias: {
      "@hush/core": pkg("core"),
      "@hush/key-source-age": pkg("key-source-age"),
      "@hush/key-source-pgp": pkg("key-source-pgp"),
      "@hush/key-source-aws-kms": pkg("key-source-aws-kms"),
      "@hush/git": pkg("git"),
      "@hush/testkit": pkg("testkit"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The default report, then one plain "N passed, N failed" line for CI.
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
