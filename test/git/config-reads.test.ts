import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createRepo, createSandbox, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * `hush check` and `hush audit` match every file of a repository against the `.sops.yaml` nearest
 * to it. A monorepo has hundreds of directories under a handful of configs: each config is read
 * and parsed once per run, not once per directory that finds it. Counted by the opens of
 * `.sops.yaml` files the run makes (a preloaded counter around `fs.openSync`, which reads them).
 */

let sb: Sandbox;
let repo: string;
/** Directories holding encrypted files, below the root config and below one team's own. */
const DIRECTORIES = 12;
/** Plain files in one more directory. */
const MANY = 200;

beforeAll(() => {
  sb = createSandbox();
  repo = createRepo(sb);
  mkdirSync(join(repo, "team"));
  writeFileSync(join(repo, "team", ".sops.yaml"), `creation_rules:\n  - path_regex: \\.enc\\.yaml$\n    age: ${sb.recipient}\n`);
  for (let i = 0; i < DIRECTORIES; i++) {
    for (const top of ["apps", "team"]) {
      mkdirSync(join(repo, top, `d${i}`), { recursive: true });
      writeEncrypted(sb, repo, `${top}/d${i}/app.enc.yaml`, `password: config-reads-${top}-${i}\n`);
      // Plain configuration beside it: the audit asks the rules whether its path is covered.
      writeFileSync(join(repo, top, `d${i}`, "notes.yaml"), "replicas: 2\n");
    }
  }
  // Many files in one directory: the repository's paths are found per directory, not per file.
  mkdirSync(join(repo, "many"));
  for (let i = 0; i < MANY; i++) writeFileSync(join(repo, "many", `n${i}.txt`), `${i}\n`);
  commitAll(sb, repo, "many directories");
  writeFileSync(join(sb.dir, "count-opens.cjs"), COUNTER);
});

afterAll(() => sb.cleanup());

/** Counts the `.sops.yaml` files a process opens, by path, and the real paths it asks for, and writes them to $CONFIG_OPENS at exit. */
const COUNTER = `
const fs = require("node:fs");
const { syncBuiltinESMExports } = require("node:module");
const opened = [];
const openSync = fs.openSync;
fs.openSync = function (path, ...rest) {
  if (String(path).endsWith(".sops.yaml")) opened.push(String(path));
  return openSync.call(this, path, ...rest);
};
syncBuiltinESMExports();
// Real paths asked for inside the repository (the directory the run starts in).
let realpaths = 0;
const realpathSync = fs.realpathSync;
fs.realpathSync = function (path, ...rest) {
  if (String(path).startsWith(process.cwd())) realpaths++;
  return realpathSync.call(this, path, ...rest);
};
syncBuiltinESMExports();
process.on("exit", () => fs.writeFileSync(process.env.CONFIG_OPENS, JSON.stringify({ opened, realpaths })));
`;

/**
 * The `.sops.yaml` files (relative to the repository) `hush ARGS` opens, sorted, and how many real
 * paths in the repository it asks for, with its exit status.
 */
function configOpens(name: string, args: readonly string[]): { status: number | null; stdout: string; opened: string[]; realpaths: number } {
  const out = join(sb.dir, `${name}.opens`);
  const r = hush(sb, args, { cwd: repo, env: { ...sb.keylessEnv, NODE_OPTIONS: `--require ${join(sb.dir, "count-opens.cjs")}`, CONFIG_OPENS: out } });
  const counted = JSON.parse(readFileSync(out, "utf8")) as { opened: string[]; realpaths: number };
  return { status: r.status, stdout: r.stdout, opened: counted.opened.map((p) => p.slice(repo.length + 1)).sort(), realpaths: counted.realpaths };
}

describe("each .sops.yaml is read once per run, however many directories it covers", () => {
  it("hush check", () => {
    const { status, stdout, opened } = configOpens("check", ["check"]);
    expect(status, stdout).toBe(0);
    // Every file is read: the encrypted ones, the plain ones beside them, the many and both configs.
    expect(stdout).toContain(`${DIRECTORIES * 4 + MANY + 2} file(s) checked, ${DIRECTORIES * 2} encrypted; 0 error(s), 0 warning(s)`);
    // Each twice: once as the rules, once as a file of the tree (scanned like any other).
    expect(opened).toEqual([".sops.yaml", ".sops.yaml", "team/.sops.yaml", "team/.sops.yaml"]);
  });

  it("hush audit", () => {
    const { status, stdout, opened } = configOpens("audit", ["audit", "--json"]);
    expect(status, stdout).toBe(0);
    expect((JSON.parse(stdout) as { summary: { files: number } }).summary.files).toBe(DIRECTORIES * 2);
    // The root config once more: the report's recipient names come from the config found from
    // the working directory.
    expect(opened).toEqual([".sops.yaml", ".sops.yaml", "team/.sops.yaml"]);
  });
});

describe("hush check --base finds each file's path in the repository per directory, not per file", () => {
  it(`${MANY} files in one directory, ${DIRECTORIES * 2} in directories of their own`, () => {
    const { status, stdout, realpaths } = configOpens("base", ["check", "--base", "HEAD"]);
    expect(status, stdout).toBe(0);
    // The top, ".", apps, team, many, and the 24 directories of the encrypted files; each resolved
    // by the attributes check, the base's rules and the rollback check: at most three times.
    const directories = 5 + DIRECTORIES * 2;
    expect(realpaths).toBeLessThanOrEqual(3 * directories);
  });
});
