import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

/**
 * The TypeScript sources of the shipped packages (not the test servers' in testkit or the
 * benchmarks'): `path` absolute, `file` relative to the repository's root.
 */
export function shippedSources(): Array<{ readonly path: string; readonly file: string }> {
  const out: Array<{ path: string; file: string }> = [];
  for (const pkg of readdirSync(join(repoRoot, "packages"))) {
    if (pkg === "testkit" || pkg === "bench") continue;
    let files: string[];
    try {
      files = sourceFiles(join(repoRoot, "packages", pkg, "src"));
    } catch {
      continue;
    }
    for (const path of files) out.push({ path, file: relative(repoRoot, path) });
  }
  return out;
}
