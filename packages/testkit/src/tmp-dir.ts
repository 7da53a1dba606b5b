import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** Absolute path of a file under ../shared beside the project root (interop fixtures, spec). */
export function sharedPath(...parts: string[]): string {
  return join(repoRoot, "..", "shared", ...parts);
}

/** A fresh private temporary directory and a function that removes it. */
export function makeTempDir(prefix = "hush-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
