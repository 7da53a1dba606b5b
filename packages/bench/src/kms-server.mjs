/**
 * The project's KMS test server (packages/testkit, TypeScript, never built) for the benchmarks:
 * its source file and every testkit file it imports are transpiled into a scratch directory and
 * imported from there, so `pnpm bench` needs nothing beyond `pnpm install` and `pnpm build`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const TESTKIT_SRC = join(root, "packages", "testkit", "src");
/** A relative import of a sibling module, as the transpiler writes it (`from "./sigv4.js"`). */
const SIBLING_IMPORT = /from "\.\/([\w-]+)\.(?:js|ts)"/g;

/**
 * Transpiles testkit's `name`.ts and, following its relative imports, the files it needs, into
 * `dir` as `.mjs` modules. The imports are followed rather than listed, so a file split in two
 * cannot leave the benchmark importing a module that is not there.
 */
async function transpileWithImports(name, dir) {
  const ts = (await import("typescript")).default;
  const pending = [name];
  const done = new Set();
  while (pending.length > 0) {
    const next = pending.pop();
    if (done.has(next)) continue;
    done.add(next);
    const out = ts.transpileModule(readFileSync(join(TESTKIT_SRC, `${next}.ts`), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, rewriteRelativeImportExtensions: true, verbatimModuleSyntax: true },
      fileName: `${next}.ts`,
    });
    const text = out.outputText.replace(SIBLING_IMPORT, (_, sibling) => {
      pending.push(sibling);
      return `from "./${sibling}.mjs"`;
    });
    writeFileSync(join(dir, `${next}.mjs`), text);
  }
}

/** Returns testkit's `startKmsTestServer`, loaded from a transpiled copy in `dir`. */
export async function loadStartKmsTestServer(dir) {
  await transpileWithImports("kms-test-server", dir);
  return (await import(pathToFileURL(join(dir, "kms-test-server.mjs")).href)).startKmsTestServer;
}
