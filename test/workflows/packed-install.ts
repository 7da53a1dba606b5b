import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * hush installed as a user installs it: `pnpm pack` of every published workspace package, then
 * `npm install` of the tarballs into an empty folder. Offline: npm's cache is an empty folder of
 * the test's own and the third-party dependencies are given as tarballs too, packed from the
 * workspace's installed copies (node_modules/.pnpm), so npm needs no registry metadata at all.
 * (`npm install --offline` of the hush tarballs alone fails with ENOTCACHED for `commander`:
 * resolving their dependencies needs the registry or a warm npm cache.)
 */

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The workspace packages a user installs (testkit and bench are not published). */
const PUBLISHED = ["core", "key-source-age", "key-source-pgp", "key-source-aws-kms", "key-http", "key-source-hc-vault", "key-source-gcp-kms", "key-source-azure-kv", "git", "cli"];

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: 300_000 });
  if (r.error !== undefined) throw new Error(`${cmd} could not run (${r.error.message}): install ${cmd} to run this test`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Node's lookup of `name` from a package directory (pnpm puts a package's dependencies beside it). */
function findPackage(from: string, name: string): string | undefined {
  for (let d = from; ; d = dirname(d)) {
    const p = join(d, "node_modules", name);
    if (existsSync(join(p, "package.json"))) return realpathSync(p);
    if (dirname(d) === d) return undefined;
  }
}

/** Every third-party package the published packages need at run time, by directory. */
function runtimeDependencies(): Map<string, PackageJson> {
  const found = new Map<string, PackageJson>();
  const visit = (dir: string, pkg: PackageJson): void => {
    const wanted = { ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies };
    for (const name of Object.keys(wanted)) {
      if (name.startsWith("@hush/")) continue;
      const at = findPackage(dir, name);
      if (at === undefined) {
        if (pkg.dependencies?.[name] !== undefined) throw new Error(`${name} (needed by ${pkg.name}) is not installed: run pnpm install`);
        continue;
      }
      if (found.has(at)) continue;
      const child = JSON.parse(readFileSync(join(at, "package.json"), "utf8")) as PackageJson;
      found.set(at, child);
      visit(at, child);
    }
  };
  for (const name of PUBLISHED) {
    const dir = join(REPO_ROOT, "packages", name);
    visit(dir, JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson);
  }
  return found;
}

/**
 * Packs the published packages (the build must be current) and installs them with npm, offline,
 * into `dir` (made if missing). Returns the install folder; `node_modules/.bin/hush` is there.
 */
export function installPackedPackages(dir: string): string {
  const packs = join(dir, "packs");
  const deps = join(dir, "deps");
  const install = join(dir, "install");
  for (const d of [packs, deps, install]) mkdirSync(d, { recursive: true });
  // The README's command selects the packages (`pnpm pack:packages`): the same filters, another destination.
  sh("pnpm", ["-r", ...packPackagesFilters(), "pack", "--pack-destination", packs], REPO_ROOT);
  const packed = readdirSync(packs).sort();
  const expected = PUBLISHED.map((n) => `hush-${n}-`).sort();
  if (packed.length !== expected.length || !expected.every((prefix, i) => packed[i]!.startsWith(prefix))) {
    throw new Error(`pnpm pack:packages packs ${packed.join(", ")}, not the published packages (${PUBLISHED.join(", ")}): fix its filters in package.json`);
  }
  for (const [at, pkg] of runtimeDependencies()) {
    sh("tar", ["czf", join(deps, `${pkg.name.replace(/[@/]/g, "_")}-${pkg.version}.tgz`), "-C", at, "--exclude=./node_modules", "--transform", "s,^\\.,package,", "."], at);
  }
  writeFileSync(join(install, "package.json"), `${JSON.stringify({ name: "readme-example", private: true, type: "module" })}\n`);
  const tarballs = [...readdirSync(packs).map((f) => join(packs, f)), ...readdirSync(deps).map((f) => join(deps, f))];
  const env = { ...process.env, npm_config_cache: join(dir, "npm-cache"), npm_config_update_notifier: "false" };
  sh("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ...tarballs], install, env);
  return install;
}

/** The `--filter` arguments of the root package.json's `pack:packages` script, in order. */
function packPackagesFilters(): string[] {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { scripts?: Record<string, string> }).scripts ?? {};
  const script = scripts["pack:packages"];
  if (script === undefined) throw new Error("package.json has no pack:packages script (the README's way to pack the packages)");
  return [...script.matchAll(/--filter '([^']+)'/g)].flatMap((m) => ["--filter", m[1]!]);
}

/** The fenced blocks that follow a `<!-- readme-test: KIND -->` line in README.md, in order. */
export function readmeBlocks(kind: "shell" | "node"): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const blocks: string[] = [];
  const marker = new RegExp(`<!-- readme-test: ${kind} -->\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\`\\n`, "g");
  for (const m of readme.matchAll(marker)) blocks.push(m[1]!);
  return blocks;
}
