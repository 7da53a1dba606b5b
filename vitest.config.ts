import { configDefaults, defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

const pkg = (name: string, entry = "index"): string => fileURLToPath(new URL(`./packages/${name}/src/${entry}.ts`, import.meta.url));

const ALL_TESTS = ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"];

/**
 * The test files that only `pnpm test:all` (CI, the README's test command) runs. Everyday
 * `pnpm test` runs every other file (the "fast" project) and stays well under two minutes on a
 * two-core machine; these took the most time in a full run's per-file durations:
 * - the proofs: fuzzing, tampering, hostile input, leak and bound checks (test/proof);
 * - the real-SOPS matrix of formats × key types × workflows × rule flags (the fast tier runs its
 *   smoke file, test/interop/sops-oracle-smoke.test.ts: the harness and one file per format);
 * - the crash tests, which kill hush at every write;
 * - the install tests: `npm pack` and install of the bundled package, and the standalone
 *   executable (built from scratch: a copy of the node binary);
 * - the longest end-to-end files (over ~14 s each in a full run on a busy machine), whose areas
 *   keep quicker files in the fast tier (git: check, check-recipients, setup, setup-untrusted,
 *   exclude, merge-rules and packages/git's unit tests; keys: rotate, kms-trust, rekey-units;
 *   workflows: edit; SOPS-written files: core/cli-interop).
 * No test is skipped by this: every file belongs to exactly one of the two projects.
 */
const FULL_ONLY = [
  "test/proof/**/*.test.ts",
  "test/interop/sops-oracle.test.ts",
  "test/workflows/crash.test.ts",
  "test/workflows/set.test.ts",
  "test/workflows/sops-cli.test.ts",
  "test/workflows/exec.test.ts",
  "test/workflows/first-hour.test.ts",
  "test/git/diff.test.ts",
  "test/git/merge.test.ts",
  "test/git/merge-keys.test.ts",
  "test/git/review.test.ts",
  "test/git/review-one-process.test.ts",
  "test/keys/kms.test.ts",
  "test/keys/shamir.test.ts",
  "test/keys/updatekeys.test.ts",
  "test/workflows/links.test.ts",
  "test/core/sops-reader.test.ts",
  // Headless Chromium renders the report twice.
  "test/git/audit-html.test.ts",
  // packs every package and installs the tarballs with npm (about a minute), then runs the README
  "test/workflows/readme.test.ts",
  // a real editor (vi) in a real terminal (tmux)
  "test/workflows/editor-terminal.test.ts",
  "test/workflows/passphrase-terminal.test.ts",
  "test/install/**/*.test.ts",
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
      { extends: true, test: { name: "fast", include: ALL_TESTS, exclude: [...configDefaults.exclude, ...FULL_ONLY] } },
      { extends: true, test: { name: "full-only", include: FULL_ONLY } },
    ],
  },
});
