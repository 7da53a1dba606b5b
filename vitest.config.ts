import { configDefaults, defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const pkg = (name: string, entry = "index"): string => fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

const UNIT_TESTS = ["packages/*/test/**/*.test.ts"];
const END_TO_END_TESTS = ["test/**/*.test.ts"];

/**
 * The end-to-end files that everyday `pnpm test` runs beside every unit test: the quickest file
 * that runs the built CLI through each area, about 50 s of test time in all. The "fast" project is
 * these and the unit tests: `pnpm test` took 2 min 27 s on an idle two-core machine, build and
 * type-check included, where vitest runs one worker (2026-12-05; it took 9 min 30 s when every
 * end-to-end file not listed as slow ran in it, and `pnpm test:all` takes about 13 min).
 *
 * Every other end-to-end file runs only in `pnpm test:all` (CI, the README's test command): the
 * proofs (fuzzing, tampering, hostile input, leaks, bounds), the real-SOPS matrix, the crash tests,
 * the install tests, the attack suites and the longer workflow files. A new end-to-end file joins
 * the full run by default, so the everyday tier stays quick as the suite grows; list it here only
 * when it is the quickest cover of an area. No test is skipped by this: every file belongs to
 * exactly one of the two projects.
 */
const FAST_END_TO_END = [
  // the Node API and the CLI on files SOPS wrote; real SOPS on hush's files, one per format
  "test/core/node-api.test.ts",
  "test/core/cli-interop.test.ts",
  "test/interop/sops-oracle-smoke.test.ts",
  // git: the keyless check, the review view, merges by rule, the repository's exclude file
  "test/git/check.test.ts",
  "test/git/review-binary-text.test.ts",
  "test/git/merge-rules.test.ts",
  "test/git/exclude.test.ts",
  // keys: re-keying, the review's key tries, KMS addresses a file names, gpg's output
  "test/keys/rekey-units.test.ts",
  "test/keys/textconv-key-tries.test.ts",
  "test/keys/kms-trust.test.ts",
  "test/keys/gpg-output-bound.test.ts",
  // run time: the demo, the env loader, exec's user check, plaintext kept off the disk
  "test/workflows/examples.test.ts",
  "test/workflows/loader.test.ts",
  "test/workflows/exec-user-not-root.test.ts",
  "test/workflows/plaintext-write.test.ts",
];

// Unit tests import workspace packages from source; end-to-end tests under test/ run the built CLI.
export default defineConfig({
  resolve: {
    alias: {
      // Subpaths first: an alias also matches the names it is a prefix of.
      "@hush/key-source-age/backend": pkg("key-source-age", "backend"),
      "@hush/key-source-pgp/backend": pkg("key-source-pgp", "backend"),
      "@hush/key-source-aws-kms/backend": pkg("key-source-aws-kms", "backend"),
      "@hush/key-source-hc-vault/backend": pkg("key-source-hc-vault", "backend"),
      "@hush/key-source-gcp-kms/backend": pkg("key-source-gcp-kms", "backend"),
      "@hush/key-source-azure-kv/backend": pkg("key-source-azure-kv", "backend"),
      "@hush/key-http/addresses": pkg("key-http", "addresses"),
      "@hush/key-http/proxy-agent": pkg("key-http", "proxy-agent"),
      "@hush/core": pkg("core"),
      "@hush/key-source-age": pkg("key-source-age"),
      "@hush/key-source-pgp": pkg("key-source-pgp"),
      "@hush/key-source-aws-kms": pkg("key-source-aws-kms"),
      "@hush/key-source-hc-vault": pkg("key-source-hc-vault"),
      "@hush/key-source-gcp-kms": pkg("key-source-gcp-kms"),
      "@hush/key-source-azure-kv": pkg("key-source-azure-kv"),
      "@hush/key-http": pkg("key-http"),
      // Before "@hush/git", which would otherwise take this subpath as a prefix match.
      "@hush/git/report": fileURLToPath(new URL("./packages/git/src/report/index.ts", import.meta.url)),
      "@hush/git": pkg("git"),
      "@hush/testkit": pkg("testkit"),
    },
  },
  test: {
    testTimeout: 60_000,
    // Unit tests read and write metadata through hush's key backends, as the CLI registers them.
    setupFiles: ["./test/register-key-backends.ts"],
    hookTimeout: 60_000,
    pool: "forks",
    // The default report, then one plain "N passed, N failed" line for CI.
    reporters: ["default", "./test/summary-reporter.ts"],
    // `vitest run --project fast` is `pnpm test`; `vitest run` (both) is `pnpm test:all`.
    projects: [
      { extends: true, test: { name: "fast", include: [...UNIT_TESTS, ...FAST_END_TO_END] } },
      { extends: true, test: { name: "full-only", include: END_TO_END_TESTS, exclude: [...configDefaults.exclude, ...FAST_END_TO_END] } },
    ],
  },
});
