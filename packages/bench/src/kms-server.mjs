/**
 * The project's KMS test server (packages/testkit, TypeScript, never built) for the benchmarks:
 * its two source files are transpiled into a scratch directory and imported from there, so
 * `pnpm bench` needs nothing beyond `pnpm install` and `pnpm build`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Returns testkit's `startKmsTestServer`, loaded from a transpiled copy in `dir`. */
export async function loadStartKmsTestServer(dir) {
  const ts = (await import("typescript")).default;
  const src = join(root, "packages", "testkit", "src");
  for (const name of ["kms-test-server", "sigv4"]) {
    const out = ts.transpileModule(readFileSync(join(src, `${name}.ts`), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, verbatimModuleSyntax: true },
      fileName: `${name}.ts`,
    });
    writeFileSync(join(dir, `${name}.mjs`), out.outputText.replace(/from "\.\/sigv4\.(?:js|ts)"/g, 'from "./sigv4.mjs"'));
  }
  return (await import(pathToFileURL(join(dir, "kms-test-server.mjs")).href)).startKmsTestServer;
}
