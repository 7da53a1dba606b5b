#!/usr/bin/env node
/**
 * Builds the standalone `hush` executable: Node itself with the whole CLI inside, for machines
 * without Node (CI images, as with SOPS's Go binary). It uses Node's single executable
 * applications: the CLI bundled into one CommonJS file (a single executable runs one script,
 * whose `require` reaches only Node's built-in modules), turned into a blob with V8's code cache
 * by `node --experimental-sea-config`, and injected into a copy of this Node binary by postject.
 *
 * Usage: node build/sea.mjs [--out DIR] (default packages/hush-secrets/out-sea); prints the path
 * of the executable. The executable runs on machines like this one (same OS, architecture, libc).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { common } from "./build.mjs";

/** The fuse Node's binary carries for postject (documented with single executable applications). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** Runs a build step quietly (postject warns about ELF notes it does not know); its output only on failure. */
function run(file, args) {
  try {
    execFileSync(file, args, { stdio: "pipe" });
  } catch (err) {
    process.stderr.write(`${err.stdout ?? ""}${err.stderr ?? ""}`);
    throw err;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" } } });
const out = resolve(values.out ?? join(here, "..", "out-sea"));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const script = join(out, "hush-sea.cjs");
// installation.ts reads import.meta.url only when no entry point stated the installation; sea.ts does.
await build({ ...common, entryPoints: [join(here, "..", "src", "sea.ts")], outfile: script, format: "cjs", logOverride: { "empty-import-meta": "silent" } });
// A single executable's script has no loader for import(): Node's built-in modules are required.
const code = readFileSync(script, "utf8").replace(/\bimport\("(node:[a-z_/]+)"\)/g, 'Promise.resolve().then(()=>require("$1"))');
if (/\bimport\(/.test(code)) throw new Error("the standalone bundle still has an import() a single executable cannot run");
// Any other require is of an optional module a dependency tries inside try/catch (debug's
// supports-color, the AWS SDK's CRT signer): it can only fail, but Node's own require would first
// print a warning about single executables on every run that reaches it (`hush check` does).
const quietRequire =
  'require=(r=>Object.assign(id=>{if(r("node:module").isBuiltin(id))return r(id);throw Object.assign(new Error("Cannot find module \'"+id+"\'"),{code:"MODULE_NOT_FOUND"})},r))(require);\n';
writeFileSync(script, quietRequire + code);

const blob = join(out, "hush.blob");
const config = join(out, "sea-config.json");
writeFileSync(config, JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
run(process.execPath, ["--experimental-sea-config", config]);

const exe = join(out, process.platform === "win32" ? "hush.exe" : "hush");
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
const postject = join(dirname(createRequire(import.meta.url).resolve("postject/package.json")), "dist", "cli.js");
const macho = process.platform === "darwin" ? ["--macho-segment-name", "NODE_SEA"] : [];
if (process.platform === "darwin") execFileSync("codesign", ["--remove-signature", exe]);
run(process.execPath, [postject, exe, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE, ...macho]);
if (process.platform === "darwin") execFileSync("codesign", ["--sign", "-", exe]);
for (const f of [script, blob, config]) rmSync(f);
process.stdout.write(`${exe}\n`);
