#!/usr/bin/env node
/**
 * Builds the `hush-secrets` package into packages/hush-secrets/out: the hush CLI and its API
 * bundled with esbuild from the workspace's sources, with no runtime dependencies.
 *
 * 1. esbuild bundles the entry points as ES modules with code splitting: every `import()` in the
 *    sources (a command's implementation, a key backend such as the AWS SDK or gpg, a file
 *    format's parser) becomes a chunk loaded only when a run needs it.
 * 2. Each output file is turned into CommonJS (`require` between chunks), so that bin/hush.cjs can
 *    load it with V8's code cache (`vm.Script` cachedData), which Node 20 offers for scripts only.
 *    CommonJS packages inside the bundle keep their named exports: esbuild converts them while
 *    bundling, with the whole dependency graph in view.
 *
 * The package exposes what @hush/cli's package.json exports (the API index and any other
 * subpath, e.g. `./config`), so it can replace @hush/cli for users. `npm pack out` gives the one
 * tarball (`pnpm --filter @hush/hush-secrets pack` does both).
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";
import { directImports } from "./direct-imports.mjs";
import { hotPackGroups, packId, packText } from "./hot-pack.mjs";
import { leanExports, refuseChunkCycles } from "./lean-exports.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const packagesDir = join(pkgDir, "..");
const root = join(packagesDir, "..");
const out = join(pkgDir, "out");
const staging = join(pkgDir, "out-esm");

const cliManifest = JSON.parse(readFileSync(join(packagesDir, "cli", "package.json"), "utf8"));
const VERSION = cliManifest.version;

/** The TypeScript source of a workspace import (`@hush/NAME` or `@hush/NAME/SUB`), or undefined. */
function workspaceSource(specifier) {
  const m = /^@hush\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(specifier);
  if (m === null) return undefined;
  const file = join(packagesDir, m[1], "src", `${m[2] ?? "index"}.ts`);
  return existsSync(file) ? file : undefined;
}

/** Workspace packages are bundled from their TypeScript sources (no `tsc` build needed). */
export const workspaceSources = {
  name: "workspace-sources",
  setup(b) {
    b.onResolve({ filter: /^@hush\/[a-z-]+(\/[a-z-]+)?$/ }, (args) => {
      const file = workspaceSource(args.path);
      return file === undefined ? undefined : { path: file };
    });
  },
};

/**
 * `await import("pkg")` of a CommonJS package: in split ES-module output esbuild gives such a
 * chunk only a default export, so `const { parseDocument } = await import("yaml")` would find
 * nothing. Each such import goes through a small module that names the package's exports.
 */
export const commonJsDynamicImports = {
  name: "commonjs-dynamic-imports",
  setup(b) {
    const again = Symbol("resolving");
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== "dynamic-import" || args.pluginData === again) return undefined;
      const r = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: again });
      if (r.errors.length > 0 || r.external || !isCommonJs(r.path)) return undefined;
      return { path: r.path, namespace: "commonjs-namespace" };
    });
    b.onLoad({ filter: /.*/, namespace: "commonjs-namespace" }, (args) => {
      const names = Object.keys(createRequire(args.path)(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== "default" && n !== "__esModule");
      const from = JSON.stringify(args.path);
      return { contents: `import m from ${from};\nexport default m;\nexport { ${names.join(", ")} } from ${from};\n`, resolveDir: dirname(args.path) };
    });
  },
};

/** Whether Node would load this file as CommonJS (and it runs as such: ES syntax in a .js file of a package without "type" fails). */
function isCommonJs(file) {
  if (file.endsWith(".mjs")) return false;
  if (!file.endsWith(".cjs")) {
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      const manifest = join(dir, "package.json");
      if (!existsSync(manifest)) continue;
      if (JSON.parse(readFileSync(manifest, "utf8")).type === "module") return false;
      break;
    }
  }
  try {
    createRequire(file)(file);
    return true;
  } catch {
    return false;
  }
}

/** esbuild options shared by this package and the standalone executable. */
export const common = {
  bundle: true,
  platform: "node",
  target: "node20.19",
  minify: true,
  legalComments: "none",
  define: { HUSH_VERSION: JSON.stringify(VERSION) },
  plugins: [workspaceSources, directImports(packagesDir, workspaceSource), commonJsDynamicImports],
  logLevel: "warning",
  // The AWS SDK warns about Node 20 from a module-level check; hush sets the variable it reads.
  mainFields: ["module", "main"],
  conditions: ["node", "import"],
};

/** The entry points: the CLI, the API index, and each further subpath @hush/cli exports. */
function entryPoints() {
  const entries = { cli: join(pkgDir, "src", "cli.ts"), index: join(pkgDir, "src", "index.ts") };
  // Each public entry point has declarations in types/ (hand-written: the loader's surface).
  const exportsMap = { ".": { types: "./types/index.d.ts", default: "./dist/index.cjs" } };
  for (const [subpath, target] of Object.entries(cliManifest.exports ?? {})) {
    if (subpath === "." || subpath === "./package.json") continue;
    const built = typeof target === "string" ? target : (target.default ?? target.import);
    const m = /^\.\/dist\/(.+)\.js$/.exec(built ?? "");
    if (m === null) throw new Error(`@hush/cli exports ${subpath} as ${JSON.stringify(target)}: the bundle does not know its source`);
    if (subpath === "./config") {
      // The env loader must finish before the program's own modules run, so it awaits at top
      // level, which CommonJS cannot: the subpath is a small ES module around its CommonJS body.
      entries["env-startup"] = join(packagesDir, "cli", "src", "env-startup.ts");
      // `require` (and `node -r`) gets the launcher as a CommonJS file, which holds the program
      // back until the variables are set (build/config-require.cjs).
      exportsMap[subpath] = {
        import: { types: "./types/config.d.mts", default: "./dist/config.mjs" },
        require: { types: "./types/config.d.cts", default: "./dist/config.cjs" },
      };
      continue;
    }
    entries[m[1]] = join(packagesDir, "cli", "src", `${m[1]}.ts`);
    exportsMap[subpath] = `./dist/${m[1]}.cjs`;
  }
  exportsMap["./package.json"] = "./package.json";
  return { entries, exportsMap };
}

/**
 * How config-worker.cjs ends: the protocol config-require.cjs waits on. The thread that started
 * the worker is blocked until the answer, so the worker answers once on every path it can see: the
 * loader's outcome, a failure to load the bundle, an error thrown outside the loader's reach, and
 * its own exit (process.exit in code it runs). Only the worker's death by running out of memory
 * goes unseen.
 */
const REQUIRING_THREAD_ANSWER = `(async () => {
  const { workerData } = builtin("node:worker_threads");
  let sent = false;
  const answer = (message) => {
    if (sent) return;
    sent = true;
    workerData.port.postMessage(message);
    Atomics.store(workerData.answered, 0, 1);
    Atomics.notify(workerData.answered, 0);
  };
  const failed = (err) => ({ status: 1, message: \`the env loader failed: \${err instanceof Error ? err.message : String(err)}\` });
  process.once("exit", (code) => answer({ status: code || 1, message: "the env loader stopped without an answer" }));
  process.once("uncaughtException", (err) => {
    answer(failed(err));
    process.exit(1);
  });
  let outcome;
  try {
    outcome = await load("env-startup.cjs").loadEnvForRequiringThread();
  } catch (err) {
    outcome = failed(err);
  }
  saveCaches();
  answer(outcome);
})();`;

async function main() {
  rmSync(out, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
  const { entries, exportsMap } = entryPoints();
  const { metafile } = await build({
    ...common,
    metafile: true,
    entryPoints: entries,
    outdir: staging,
    format: "esm",
    splitting: true,
    chunkNames: "c-[hash]",
    entryNames: "[name]",
    outExtension: { ".js": ".js" },
  });
  // What went into each chunk, for looking into start-up (not part of the package).
  writeFileSync(join(pkgDir, "out-meta.json"), JSON.stringify(metafile));
  refuseChunkCycles(metafile);
  mkdirSync(join(out, "dist"), { recursive: true });
  mkdirSync(join(out, "bin"));
  const commonJs = new Map();
  for (const file of readdirSync(staging)) {
    const esm = readFileSync(join(staging, file), "utf8");
    const cjs = await transform(esm, { format: "cjs", platform: "node", target: "node20.19", minify: true, legalComments: "none" });
    // Chunks refer to each other as ./c-HASH.js: the CommonJS files are .cjs, and a lazy chunk is
    // required (so the launcher's loader, with its code cache, loads it) inside a promise, as
    // import() would give it.
    const code = cjs.code
      .replace(/require\("\.\/([A-Za-z0-9_-]+)\.js"\)/g, 'require("./$1.cjs")')
      .replace(/\bimport\("\.\/([A-Za-z0-9_-]+)\.js"\)/g, 'Promise.resolve().then(()=>require("./$1.cjs"))')
      .replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve().then(()=>require("$1"))');
    if (/require\("\.\/[^"]+\.js"\)|\bimport\(/.test(code)) throw new Error(`${file}: a chunk reference was not converted`);
    // Entries keep esbuild's exports: the API's (dist/index.cjs) are read by Node's detection of
    // CommonJS exports, which knows esbuild's shape.
    const lean = file.startsWith("c-") ? leanExports(code, file) : code;
    writeFileSync(join(out, "dist", file.replace(/\.js$/, ".cjs")), lean);
    commonJs.set(file.replace(/\.js$/, ".cjs"), lean);
  }
  /**
   * Writes the hot packs of the entry output `name` (e.g. cli.js); returns what the launcher needs
   * to find them: each packed chunk's pack, and each pack's identity.
   */
  const writeHotPacks = (name) => {
    const entry = Object.keys(metafile.outputs).find((o) => o.replace(/^.*\//, "") === name);
    if (entry === undefined) throw new Error(`the build has no output ${name}`);
    const manifest = { packs: {}, chunks: {} };
    hotPackGroups(metafile, entry, packagesDir).forEach((outputs, i) => {
      if (outputs.length === 0) return;
      const packName = name.replace(/\.js$/, `.hot${i}.cjs`);
      const chunks = outputs.map((o) => o.replace(/^.*\//, "").replace(/\.js$/, ".cjs"));
      const text = packText(chunks.map((c) => [c, commonJs.get(c)]));
      writeFileSync(join(out, "dist", packName), text);
      manifest.packs[packName] = packId(text);
      for (const c of chunks) manifest.chunks[c] = packName;
    });
    return JSON.stringify(manifest);
  };
  rmSync(staging, { recursive: true, force: true });

  const launcherSource = readFileSync(join(here, "launcher.cjs"), "utf8");
  const launcherId = createHash("sha256").update(launcherSource).digest("hex").slice(0, 16);
  /** The launcher with its blanks filled in. */
  const launcherFor = ({ profiled, hotPacksOf, dist, start }) =>
    launcherSource
      .replace("@@LAUNCHER_ID@@", launcherId)
      .replace("@@PROFILED@@", String(profiled))
      .replace("@@HOT_PACKS@@", () => writeHotPacks(hotPacksOf))
      .replace("@@DIST@@", dist)
      .replace("@@START@@", start);
  const launcher = launcherFor({ profiled: true, hotPacksOf: "cli.js", dist: 'path.join(__dirname, "..", "dist")', start: 'load("cli.cjs").main(__filename);' });
  writeFileSync(join(out, "bin", "hush.cjs"), launcher);
  chmodSync(join(out, "bin", "hush.cjs"), 0o755);
  if (entries["env-startup"] !== undefined) {
    // The env loader is the same launcher (so it gets the code cache) as an ES module, which
    // `--import` can load and whose top-level await holds the application back until the
    // variables are set.
    const envLauncher = launcherFor({
      profiled: false,
      hotPacksOf: "env-startup.js",
      dist: "import.meta.dirname",
      start: 'await load("env-startup.cjs").loadEnvAtStartup();',
    });
    writeFileSync(join(out, "dist", "config.mjs"), envLauncher.replace(/^#!.*\n"use strict";\n/, ""));
    // The same loader in the worker thread that config.cjs starts and waits for: it answers on
    // every path, even when the bundle fails to load, since the requiring thread blocks until it
    // does; the code it compiled is cached before it answers (the program may end before the
    // worker would reach its exit).
    const workerLauncher = launcherFor({
      profiled: false,
      hotPacksOf: "env-startup.js",
      dist: "__dirname",
      start: REQUIRING_THREAD_ANSWER,
    });
    writeFileSync(join(out, "dist", "config-worker.cjs"), workerLauncher.replace(/^#!.*\n/, ""));
    // For CommonJS programs, the launcher as a CommonJS module, handing the bundle to
    // config-require.cjs, which holds the program back until the variables are set.
    const requiredLauncher = launcherFor({
      profiled: false,
      hotPacksOf: "env-startup.js",
      dist: "__dirname",
      start: 'require("./config-require.cjs").loadEnvForCommonJs(() => load("env-startup.cjs"));',
    });
    writeFileSync(join(out, "dist", "config.cjs"), requiredLauncher.replace(/^#!.*\n/, ""));
    copyFileSync(join(here, "config-require.cjs"), join(out, "dist", "config-require.cjs"));
  }

  const manifest = {
    name: "hush-secrets",
    version: VERSION,
    description: "hush: SOPS-compatible encrypted configuration files for git (age, AWS KMS, PGP), one command",
    license: cliManifest.license,
    type: "commonjs",
    bin: { hush: "./bin/hush.cjs" },
    exports: exportsMap,
    types: "./types/index.d.ts",
    files: ["bin", "dist", "types"],
    engines: cliManifest.engines,
    keywords: ["sops", "secrets", "age", "kms", "pgp", "git", "encryption", "config"],
  };
  writeFileSync(join(out, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const doc of ["README.md", "LICENSE"]) if (existsSync(join(root, doc))) copyFileSync(join(root, doc), join(out, doc));
  mkdirSync(join(out, "types"));
  for (const declarations of readdirSync(join(pkgDir, "types"))) copyFileSync(join(pkgDir, "types", declarations), join(out, "types", declarations));
  const files = readdirSync(join(out, "dist"));
  const bytes = files.reduce((n, f) => n + readFileSync(join(out, "dist", f)).length, 0);
  process.stderr.write(`hush-secrets ${VERSION}: ${files.length} files, ${(bytes / 1024).toFixed(0)} KiB in ${out}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
