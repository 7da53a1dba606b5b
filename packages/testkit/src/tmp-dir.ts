import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/**
 * Absolute path of a file inside the repository (test data, docs). Tests read nothing outside the
 * repository, so they pass on any fresh clone.
 */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

/** Absolute path of a SOPS-written test vector or its keys under `testdata/sops/` (see its README). */
export function sopsVector(name: string): string {
  return join(repoRoot, "testdata", "sops", name);
}

/** A fresh private temporary directory and a function that removes it. */
export function makeTempDir(prefix = "hush-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
