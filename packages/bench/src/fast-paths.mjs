/**
 * The fast paths of `pnpm bench`, each as a ratio against its baseline in the same run:
 * - YAML decrypt through the span scanner against the general YAML parser (the same Node API
 *   call, `generalParser` set or not), at 10,000 and 100,000 values, and the peak memory of
 *   `hush decrypt` of the 100,000-value file against the file's size;
 * - review of a repository with N changed encrypted files: `git diff` with the tsc build as
 *   textconv driver ("today"; git starts one process per blob side: 2N) against the same with
 *   the bundle, and `hush git diff` (one process), in interleaved rounds, with
 *   `git diff --no-textconv` and N×2 `node -e 0` as floors.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decryptText, encryptText, openText, reencryptText } from "@hush/core";
import { defaultKeySources } from "@hush/cli";
import { generateFile } from "./generate.mjs";
import { measure, measurePair, measureRounds } from "./measure.mjs";
import { todayHush, TODAY_COMMIT } from "./today-build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
/** The repository this bench runs in (its history holds today's hush). */
const REPO_ROOT = join(here, "..", "..", "..");
const READER = join(here, "peers", "hush-decrypt-reader.mjs");

/**
 * Runs the fast-path benchmarks. `ctx`: { NODE, HUSH, TSC_HUSH, ENV, scratch, recipient, quick, sizes,
 * base (the `node -e 0` measurement), log, out, fmtMs, fmtX, fmtMb, goal }.
 */
export async function runFastPathBench(ctx) {
  const { NODE, HUSH, ENV, scratch, quick, log, out, fmtMs, fmtX, fmtMb, goal, base } = ctx;

  // --- YAML decrypt: span scanner against the general parser -------------------------------
  out("");
  out("### YAML decrypt: span scanner against the general parser");
  out("");
  out("Same Node API call (`decryptText`), alternating runs; × general: scanner over parser.");
  out("");
  out("| values | reader | time | × general | peak RSS | × file size |");
  out("|---:|---|---:|---:|---:|---:|");
  for (const size of quick ? [1000] : [10000, 100000]) {
    const enc = join(scratch, `yaml-${size}`, "enc.yaml");
    let file = enc;
    try {
      statSync(enc);
    } catch {
      file = join(scratch, `reader-${size}.enc.yaml`);
      const plain = join(scratch, `reader-${size}.yaml`);
      writeFileSync(plain, generateFile("yaml", size));
      const r = spawnSync(NODE, [HUSH, "encrypt", "--age", ctx.recipient, plain], { env: ENV, maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`hush encrypt failed: ${r.stderr}`);
      writeFileSync(file, r.stdout);
    }
    log(`YAML reader, ${size.toLocaleString("en-US")} values …`);
    const bytes = statSync(file).size;
    const pair = measurePair({ command: [NODE, READER, "general", file], env: ENV }, { command: [NODE, READER, "scan", file], env: ENV }, { runs: quick ? 3 : size >= 100000 ? 3 : 5, warmup: 0, scratch });
    const cli = measure({ command: [NODE, HUSH, "decrypt", file], env: ENV }, { runs: quick ? 3 : 3, warmup: 0, scratch });
    const ratio = pair.b.ms / pair.a.ms;
    const sizeRatio = (rss) => (rss === undefined ? undefined : (rss * 1024) / bytes);
    out(`| ${size.toLocaleString("en-US")} | general parser (API) | ${fmtMs(pair.a.ms)} | 1× | ${fmtMb(pair.a.rssKiB)} | ${fmtX(sizeRatio(pair.a.rssKiB))} |`);
    out(`| ${size.toLocaleString("en-US")} | span scanner (API) | ${fmtMs(pair.b.ms)} | ${fmtX(ratio)} | ${fmtMb(pair.b.rssKiB)} | ${fmtX(sizeRatio(pair.b.rssKiB))} |`);
    out(`| ${size.toLocaleString("en-US")} | \`hush decrypt\` | ${fmtMs(cli.ms)} | ${fmtX(cli.ms / pair.a.ms)} | ${fmtMb(cli.rssKiB)} | ${fmtX(sizeRatio(cli.rssKiB))} |`);
    goal(`${size.toLocaleString("en-US")}-value YAML decrypt: span scanner ≤ 0.7× general parser`, ratio, 0.7, `${fmtMs(pair.b.ms)} vs ${fmtMs(pair.a.ms)}`);
    if (size >= 100000 && cli.rssKiB !== undefined) {
      // What the decrypt adds to a Node process: its peak RSS minus that of `node -e 0` (~40 MB
      // that no input size changes); the total is in the detail.
      const added = base.rssKiB === undefined ? cli.rssKiB : cli.rssKiB - base.rssKiB;
      goal("100,000-value YAML decrypt peak memory (minus `node -e 0`'s) ≤ 10× file size", sizeRatio(added), 10, `${fmtMb(added)} over node -e 0's ${fmtMb(base.rssKiB)} for ${fmtMb(bytes / 1024)}; total ${fmtX(sizeRatio(cli.rssKiB))}`);
    }
  }

  // --- Review: git diff with the textconv driver against hush git diff ------------------------
  // "Today" is hush as it was when the goals were set (today-build.mjs: the tsc build of that
  // commit) as git's textconv driver (one process per blob side, every module a file); the
  // workspace's tsc build of now and the bundle that ships are the new drivers; `hush git diff` is
  // one process for the whole review. All in the same interleaved rounds, as ratios over today's.
  const files = quick ? 10 : 50;
  log(`review: a repository with ${files} changed encrypted files …`);
  const { repo, textconvKey } = await reviewRepository(ctx, files);
  const env = { ...ENV, PATH: `${join(repo, "..", "bin")}:${ENV.PATH}`, GIT_CONFIG_NOSYSTEM: "1", GIT_PAGER: "cat" };
  const driver = (hush) => ["git", "-c", `${textconvKey}='${NODE}' '${hush}' git textconv`, "diff"];
  const built = todayHush(REPO_ROOT, log);
  if (built.hush === undefined) log(`today's hush could not be built (${built.why}); the workspace's tsc build stands in for it`);
  const todayName = built.hush === undefined ? "tsc build of now, standing in" : `hush of ${TODAY_COMMIT}, tsc build`;
  const rows = measureRounds(
    [
      { name: `\`git diff\`, textconv: ${todayName} ("today", ${files * 2} processes)`, command: driver(built.hush ?? ctx.TSC_HUSH), cwd: repo, env },
      { name: `\`git diff\`, textconv: bundle (${files * 2} processes)`, command: driver(HUSH), cwd: repo, env },
      { name: "`hush git diff` (bundle, one process)", command: [NODE, HUSH, "git", "diff"], cwd: repo, env },
      { name: "floor: `git diff --no-textconv` (ciphertext)", command: ["git", "diff", "--no-textconv"], cwd: repo, env },
      ...(built.hush === undefined ? [] : [{ name: `\`git diff\`, textconv: tsc build of now (${files * 2} processes)`, command: driver(ctx.TSC_HUSH), cwd: repo, env }]),
    ],
    { runs: quick ? 1 : 3, warmup: 1, scratch },
  );
  const [today, bundled, oneProcess] = rows;
  const same = spawnSync("git", ["diff"], { cwd: repo, env, maxBuffer: 1 << 28 }).stdout.equals(spawnSync(NODE, [HUSH, "git", "diff"], { cwd: repo, env, maxBuffer: 1 << 28 }).stdout);
  out("");
  out(`### Review of ${files} changed encrypted YAML files (${files * 2} textconv runs)`);
  out("");
  out(`Outputs identical (\`git diff\` with the driver, \`hush git diff\`): ${same ? "yes" : "**no**"}. Interleaved rounds; × today: median of per-round ratios over \`git diff\` with today's hush (${todayName}) as textconv.`);
  out("");
  out("| command | time | × today | × node -e 0 |");
  out("|---|---:|---:|---:|");
  for (const r of rows) out(`| ${r.name} | ${fmtMs(r.ms)} | ${fmtX(r.ratio)} | ${fmtX(r.ms / base.ms)} |`);
  out(`| floor: ${files * 2} × \`node -e 0\` | ${fmtMs(base.ms * files * 2)} | ${fmtX((base.ms * files * 2) / today.ms)} | ${files * 2}× |`);
  goal(`\`git diff\` of ${files} changed files, bundled textconv ≤ 0.5× today's (${todayName})`, bundled.ratio, 0.5, `${fmtMs(bundled.ms)} vs ${fmtMs(today.ms)}`);
  goal(`\`hush git diff\` of ${files} changed files ≤ 0.05× today's \`git diff\``, oneProcess.ratio, 0.05, `${fmtMs(oneProcess.ms)} vs ${fmtMs(today.ms)}${same ? "" : "; OUTPUTS DIFFER"}`);
  goal(`textconv per blob side ≤ 1.5× \`node -e 0\``, bundled.ms / (files * 2) / base.ms, 1.5, `${fmtMs(bundled.ms / (files * 2))} per run`);
}

/** A repository with `files` encrypted YAML files, committed, then one value changed in each (not committed). */
async function reviewRepository(ctx, files) {
  const { NODE, HUSH, ENV, scratch, recipient } = ctx;
  const root = join(scratch, "review");
  const repo = join(root, "repo");
  const bin = join(root, "bin");
  mkdirSync(repo, { recursive: true });
  mkdirSync(bin, { recursive: true });
  // git runs the driver through the shell, finding `hush` on PATH as for an installed hush.
  writeFileSync(join(bin, "hush"), `#!/bin/sh\nexec '${NODE}' '${HUSH}' "$@"\n`, { mode: 0o755 });
  const env = { ...ENV, PATH: `${bin}:${ENV.PATH}`, GIT_CONFIG_NOSYSTEM: "1" };
  const git = (...args) => {
    const r = spawnSync("git", args, { cwd: repo, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${r.stderr}`);
  };
  git("init", "-q");
  git("config", "user.name", "bench");
  git("config", "user.email", "bench@example.com");
  writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
  const setup = spawnSync(NODE, [HUSH, "git", "setup", "*.enc.yaml"], { cwd: repo, env, encoding: "utf8" });
  if (setup.status !== 0) throw new Error(`hush git setup failed: ${setup.stderr}`);
  const keySources = defaultKeySources(ENV);
  const opened = [];
  for (let i = 0; i < files; i++) {
    const plain = generateFile("yaml", 100).toString().replace(/^/, `# file ${i}\n`);
    const text = await encryptText(plain, { format: "yaml", keyGroups: [[{ kind: "age", recipient }]], keySources });
    writeFileSync(join(repo, `f${i}.enc.yaml`), text);
    opened.push({ path: join(repo, `f${i}.enc.yaml`), plain, text });
  }
  git("add", "-A");
  git("commit", "-q", "-m", "base");
  for (const f of opened) {
    const file = await openText(f.text, { format: "yaml", keySources });
    const changed = f.plain.replace(/(password: )\S+/, "$1changed-in-review");
    writeFileSync(f.path, await reencryptText(file, changed, { keySources }));
  }
  // The working tree decrypts to the change (sanity check of the set-up, not timed).
  const check = await decryptText(readFileSync(opened[0].path, "utf8"), { format: "yaml", keySources });
  if (!check.includes("changed-in-review")) throw new Error("review set-up: the change did not land");
  // The driver `hush git setup` configured (diff.NAME.textconv), to run it with another hush.
  const key = spawnSync("git", ["config", "--name-only", "--get-regexp", "^diff\\..*\\.textconv$"], { cwd: repo, env, encoding: "utf8" }).stdout.trim().split("\n")[0];
  if (!key) throw new Error("review set-up: hush git setup configured no textconv driver");
  return { repo, textconvKey: key };
}
