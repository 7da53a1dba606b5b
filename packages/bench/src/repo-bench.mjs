/**
 * The keyless gate and the reports on a generated repository (repo-generate.mjs): `hush check`
 * (the tree, `--base`, `--staged` with every file staged, `--strict`), `hush access` (text and
 * `--json`) and `hush audit` (and `--max-age`), in interleaved rounds with two floors measured in
 * the same rounds: the git reads each command cannot do without, as plain git pipelines —
 * every file's blob of the tree (`git ls-files --stage` into `git cat-file --batch`: what check
 * and access read) and every blob of the history (`git log --raw` into `git cat-file --batch`:
 * what audit reads). Each row also gives the git processes the command starts (counted with
 * GIT_TRACE, in one more run), which must not grow with the files or the commits.
 *
 * From run.mjs (`pnpm bench`; `--no-repo` skips it, `--repo-files N --repo-commits H` sizes it),
 * or as a program that compares hush builds on one repository:
 *   node repo-bench.mjs --files 2000 --commits 50 [--runs 3] [--dir DIR] HUSH_JS [OTHER_HUSH_JS…]
 * (with --dir, a repository generated there before is measured again rather than generated anew).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateRepository } from "./repo-generate.mjs";
import { measureRounds } from "./measure.mjs";

/** A command of the table: its name and hush's arguments, and whether it runs in the worktree where every file is staged. */
const COMMANDS = [
  { name: "hush check", args: ["check"], floor: "tree" },
  { name: "hush check --base HEAD~10", args: ["check", "--base", "HEAD~10"], floor: "tree" },
  { name: "hush check --staged", args: ["check", "--staged"], floor: "tree", staged: true },
  { name: "hush check --strict", args: ["check", "--strict"], floor: "tree" },
  { name: "hush access", args: ["access"], floor: "tree" },
  { name: "hush access --json", args: ["access", "--json"], floor: "tree" },
  { name: "hush audit", args: ["audit"], floor: "history" },
  // A limit no generated value is over: the exit status stays 0, the ages are still compared.
  { name: "hush audit --max-age 3650d", args: ["audit", "--max-age", "3650d"], floor: "history" },
];

const FLOORS = {
  tree: { name: "floor: every file's blob (`git ls-files --stage` into `git cat-file --batch`)", script: "git ls-files --stage | cut -d' ' -f2 | git cat-file --batch > /dev/null" },
  history: { name: "floor: every version's blob (`git log --raw` into `git cat-file --batch`)", script: "git log --format= --raw --no-abbrev --full-history HEAD | awk '{print $4}' | grep -v '^0*$' | sort -u | git cat-file --batch > /dev/null" },
};

/**
 * Generates a repository of `files` encrypted files and `commits` commits under `scratch`, and a
 * second worktree of it on an unborn branch, so that every file is staged. Returns the paths.
 */
export async function prepareRepository({ scratch, files, commits, hush, env }) {
  const dir = join(scratch, `repo-${files}x${commits}`);
  // One prepared before in this directory (`--dir`) is measured again as it is.
  if (existsSync(join(dir, "staged"))) return { repo: join(dir, "repo"), staged: join(dir, "staged") };
  mkdirSync(dir, { recursive: true });
  const generated = await generateRepository({ dir, files, commits, hush, env });
  const staged = join(dir, "staged");
  const git = (cwd, ...args) => {
    const r = spawnSync("git", args, { cwd, env: { ...env, GIT_CONFIG_NOSYSTEM: "1" }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  };
  git(generated.repo, "worktree", "add", "-q", "--detach", staged, "HEAD");
  git(staged, "checkout", "-q", "--orphan", "every-file-staged");
  return { ...generated, staged };
}

/** How many git processes `command` starts (GIT_TRACE's one `built-in: git` line each). */
function gitProcesses(command, cwd, env, scratch) {
  const trace = join(scratch, "git.trace");
  rmSync(trace, { force: true });
  const r = spawnSync(command[0], command.slice(1), { cwd, env: { ...env, GIT_TRACE: trace }, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${command.join(" ")} failed with status ${r.status}`);
  return existsSync(trace) ? (readFileSync(trace, "utf8").match(/trace: built-in: git /g) ?? []).length : 0;
}

/** Files at HEAD and versions in the history of the generated repository (the per-file and per-version figures). */
function counts(repo, env) {
  const run = (args) => spawnSync("git", args, { cwd: repo, env, encoding: "utf8", maxBuffer: 1 << 28 }).stdout;
  const files = run(["ls-files", "-z", "--", "*.enc.*"]).split("\0").filter((p) => p !== "").length;
  const versions = new Set(
    run(["log", "--format=", "--raw", "--no-abbrev", "--full-history", "HEAD", "--", "*.enc.*"])
      .split("\n")
      .map((l) => l.split(" ")[3])
      .filter((b) => b !== undefined && !/^0+$/.test(b)),
  ).size;
  const commits = Number(run(["rev-list", "--count", "HEAD"]).trim());
  return { files, versions, commits };
}

/**
 * Measures every command with each of `hushes` (`{ name, command }`: how to run that hush) on
 * `prepared`, in rounds with the floors. Returns rows: { command, hush, ms, ratio (× its floor),
 * perItemUs, gitProcesses }, and the floors and counts.
 */
export function measureRepository({ prepared, hushes, env, runs, warmup = 1, scratch }) {
  const gitEnv = { ...env, GIT_CONFIG_NOSYSTEM: "1", GIT_PAGER: "cat" };
  const size = counts(prepared.repo, gitEnv);
  const floorBench = (key, cwd) => ({ name: FLOORS[key].name, command: ["sh", "-c", FLOORS[key].script], cwd, env: gitEnv });
  const rows = [];
  const floors = {};
  for (const key of ["tree", "history"]) {
    const benches = [floorBench(key, prepared.repo)];
    const which = [];
    for (const c of COMMANDS.filter((c) => c.floor === key)) {
      for (const h of hushes) {
        benches.push({ name: `${c.name} (${h.name})`, command: [...h.command, ...c.args], cwd: c.staged ? prepared.staged : prepared.repo, env: gitEnv });
        which.push({ c, h });
      }
    }
    const measured = measureRounds(benches, { runs, warmup, scratch });
    floors[key] = measured[0];
    which.forEach(({ c, h }, i) => {
      const m = measured[i + 1];
      const per = key === "history" ? size.versions : size.files;
      rows.push({ command: c.name, hush: h.name, ms: m.ms, ratio: m.ratio, perItemUs: (m.ms * 1000) / per, per: key === "history" ? "version" : "file", gitProcesses: gitProcesses([...h.command, ...c.args], c.staged ? prepared.staged : prepared.repo, gitEnv, scratch) });
    });
  }
  return { rows, floors, size };
}

/** Runs the repository rows of `pnpm bench` (ctx from run.mjs: NODE, HUSH, ENV, scratch, quick, log, out, fmtMs, fmtX, base, files, commits). */
export async function runRepoBench(ctx) {
  const { NODE, HUSH, ENV, scratch, quick, log, out, fmtMs, fmtX, base } = ctx;
  const files = ctx.files ?? (quick ? 50 : 500);
  const commits = ctx.commits ?? (quick ? 30 : 100);
  log(`repository: generating ${files} encrypted files, ${commits} commits …`);
  const prepared = await prepareRepository({ scratch, files, commits, hush: [NODE, HUSH], env: ENV });
  log("repository: check, access and audit against the git reads they need …");
  const { rows, floors, size } = measureRepository({ prepared, hushes: [{ name: "bundle", command: [NODE, HUSH] }], env: ENV, runs: quick ? 1 : 3, scratch });
  out("");
  out(`### The gate and the reports on a repository of ${size.files.toLocaleString("en-US")} encrypted files and ${size.commits.toLocaleString("en-US")} commits (${size.versions.toLocaleString("en-US")} versions of them)`);
  out("");
  out("Generated by repo-generate.mjs; `--staged` runs in a worktree where every file is staged. Interleaved rounds; × floor: median of per-round ratios over the plain git reads the command needs (below); per file (check, access) or version (audit): the time over `node -e 0`'s, divided; git: processes started, counted with GIT_TRACE.");
  out("");
  out("| command | time | × floor | × node -e 0 | per file or version | git |");
  out("|---|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    const count = r.per === "version" ? size.versions : size.files;
    out(`| \`${r.command}\` | ${fmtMs(r.ms)} | ${fmtX(r.ratio)} | ${fmtX(r.ms / base.ms)} | ${fmtMs((r.ms - base.ms) / count)}/${r.per} | ${r.gitProcesses} |`);
  }
  for (const f of Object.values(floors)) out(`| ${f.name} | ${fmtMs(f.ms)} | 1× | ${fmtX(f.ms / base.ms)} |  |  |`);
  return rows;
}

// As a program: compare hush builds on one generated repository.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { files: { type: "string", default: "200" }, commits: { type: "string", default: "50" }, runs: { type: "string", default: "3" }, dir: { type: "string" } } });
  if (positionals.length === 0) {
    process.stderr.write("usage: node repo-bench.mjs [--files N] [--commits H] [--runs R] [--dir DIR] HUSH_JS [OTHER_HUSH_JS…]\n");
    process.exit(2);
  }
  const scratch = values.dir ?? mkdtempSync(join(tmpdir(), "hush-repo-bench-"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: join(scratch, "home"), LANG: "C" };
  mkdirSync(env.HOME, { recursive: true });
  const hushes = positionals.map((p, i) => ({ name: positionals.length === 1 ? "hush" : `${i}: ${p}`, command: [process.execPath, resolve(p)] }));
  const started = Date.now();
  const prepared = await prepareRepository({ scratch, files: Number(values.files), commits: Number(values.commits), hush: hushes[0].command, env });
  process.stderr.write(`generated in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const { rows, floors, size } = measureRepository({ prepared, hushes, env, runs: Number(values.runs), scratch });
  console.log(`${size.files} encrypted files, ${size.commits} commits, ${size.versions} versions`);
  for (const f of Object.values(floors)) console.log(`${f.name}: ${f.ms.toFixed(0)} ms`);
  for (const r of rows) console.log(`${r.command.padEnd(42)} ${r.hush.padEnd(50)} ${r.ms.toFixed(0).padStart(7)} ms  ×floor ${r.ratio.toFixed(2).padStart(6)}  ${(r.perItemUs / 1000).toFixed(2)} ms/${r.per}  git ${r.gitProcesses}`);
  if (values.dir === undefined) rmSync(scratch, { recursive: true, force: true });
}
