#!/usr/bin/env node
/**
 * `pnpm bench`: hush against its JavaScript peers, on inputs generated here (nothing is
 * downloaded or installed at run time; the peers are devDependencies of this private package).
 *
 * For YAML, JSON and dotenv files of a small size and of 100, 1,000, 10,000 and 100,000 values it
 * measures, as separate processes, the wall time and peak memory of `hush decrypt`,
 * `hush encrypt`, `hush edit` and `hush set` of one value, sops-age (decrypt), dotenvx (dotenv: decrypt and
 * encrypt), and two floors: `node -e 0` and parse+stringify with hush's own parser; then the Node
 * loader against `hush decrypt` (loader-bench.mjs). Each figure is
 * the median of several runs and is printed as a ratio over baselines measured in the same run.
 * The goals of the project are checked at the end; for a missed goal, a CPU profile says where
 * the time goes.
 *
 * First, start-up: the hot commands of the bundled package that ships (packages/hush-secrets, with
 * and without its V8 code cache), the workspace's tsc build and the standalone executable, in the
 * same interleaved rounds as `node -e 0` (see startup.mjs). The tables after that run the bundle.
 *
 * Options: --quick (sizes up to 1,000, 3 runs), --sizes small,100,…, --formats yaml,json,dotenv (or none),
 * --runs N, --dotenvx-max N (largest dotenvx input, default 1000, --quick 100: dotenvx needs tens of
 * milliseconds per value; larger inputs are projected from the largest measured one),
 * --json FILE (all samples), --markdown FILE (the tables as Markdown), --no-profile, --no-kms,
 * --no-sea (skip building and measuring the standalone executable), --no-fast-paths (skip
 * fast-paths.mjs: YAML span scanner, one-process review), --no-repo (skip repo-bench.mjs: check,
 * access and audit on a generated repository), --repo-files N and --repo-commits H (its size,
 * default 500 files and 100 commits, --quick 50 and 30).
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { EXTENSION, generateFile } from "./generate.mjs";
import { loadStartKmsTestServer } from "./kms-server.mjs";
import { canMeasureMemory, describeMachine, measure, measureAsync } from "./measure.mjs";
import { runLoaderBench } from "./loader-bench.mjs";
import { measureStartup, startupTable } from "./startup.mjs";
import { profileMissedGoals } from "./profile-goals.mjs";
import { runFastPathBench } from "./fast-paths.mjs";
import { runRepoBench } from "./repo-bench.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    sizes: { type: "string" },
    formats: { type: "string" },
    runs: { type: "string" },
    "dotenvx-max": { type: "string" },
    json: { type: "string" },
    markdown: { type: "string" },
    "no-profile": { type: "boolean", default: false },
    "no-kms": { type: "boolean", default: false },
    "no-sea": { type: "boolean", default: false },
    "no-fast-paths": { type: "boolean", default: false },
    "no-repo": { type: "boolean", default: false },
    "repo-files": { type: "string" },
    "repo-commits": { type: "string" },
  },
});

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const HUSH = join(root, "packages", "hush-secrets", "out", "bin", "hush.cjs");
const TSC_HUSH = join(root, "packages", "cli", "bin", "hush.js");
const require = createRequire(import.meta.url);
const DOTENVX = join(dirname(require.resolve("@dotenvx/dotenvx/package.json")), "src", "cli", "dotenvx.js");
const SOPS_AGE = join(here, "peers", "sops-age-decrypt.mjs");
const FLOOR = join(here, "peers", "parse-stringify.mjs");
const SOPS_DECODER = join(here, "peers", "sops-decoder-decrypt.mjs");
const EDITOR = join(here, "peers", "edit-one-value.sh");
const NODE = process.execPath;

if (!existsSync(join(root, "packages", "cli", "dist", "main.js")) || !existsSync(HUSH)) {
  console.error("hush is not built: run `pnpm build && pnpm build:bundle` first (`pnpm bench` does).");
  process.exit(1);
}

const SIZES = (opts.sizes ?? (opts.quick ? "small,100,1000" : "small,100,1000,10000,100000")).split(",").map((s) => (s === "small" ? s : Number(s)));
const FORMATS = opts.formats === "none" ? [] : (opts.formats ?? "yaml,json,dotenv").split(",");
const DOTENVX_MAX = Number(opts["dotenvx-max"] ?? (opts.quick ? 100 : 1000));
const runsFor = (size) => Number(opts.runs ?? 0) || (opts.quick ? 3 : size === 100000 ? 3 : size === 10000 ? 5 : 7);
const warmupFor = (size) => (size === 100000 || size === 10000 ? 0 : 1);
const label = (size) => (size === "small" ? "small (5)" : size.toLocaleString("en-US"));

const scratch = mkdtempSync(join(tmpdir(), "hush-bench-"));
const home = join(scratch, "home");
mkdirSync(home);
const log = (s) => process.stderr.write(`${s}\n`);
const results = { machine: describeMachine(), startedAt: new Date().toISOString(), rows: [], goals: [], profiles: [], importCosts: [] };

// -------------------------------------------------------------------------------------------
// Set-up: a key, inputs, encrypted copies (none of this is timed).

const keyFile = join(scratch, "key.txt");
const keygen = spawnSync(NODE, [HUSH, "keygen", "-o", keyFile], { env: { PATH: process.env.PATH, HOME: home }, encoding: "utf8" });
const recipient = /Public key: (age1[a-z0-9]+)/.exec(keygen.stderr ?? "")?.[1];
if (keygen.status !== 0 || recipient === undefined) {
  console.error(`hush keygen failed: ${keygen.stderr}`);
  process.exit(1);
}
/** A minimal environment: no developer keys or settings can change what is measured. */
const ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, LANG: "C", SOPS_AGE_KEY_FILE: keyFile };

/** A generated input (or `text`), encrypted with hush and checked to decrypt back; `name` names its directory. */
function prepare(format, size, text = generateFile(format, size), name = `${format}-${size}`) {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  const ext = EXTENSION[format];
  const plain = join(dir, `plain${ext}`);
  writeFileSync(plain, text);
  const enc = join(dir, `enc${ext}`);
  const r = spawnSync(NODE, [HUSH, "encrypt", "--age", recipient, plain], { env: ENV, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`hush encrypt failed for ${format} ${size}: ${r.stderr}`);
  writeFileSync(enc, r.stdout);
  const check = spawnSync(NODE, [HUSH, "decrypt", enc], { env: ENV, maxBuffer: 1 << 30 });
  if (check.status !== 0 || !check.stdout.equals(readFileSync(plain))) throw new Error(`hush decrypt does not give back the ${format} ${size} input`);
  return { dir, ext, plain, enc };
}

function prepareDotenvx(input) {
  const dir = join(input.dir, "dotenvx");
  mkdirSync(dir, { recursive: true });
  copyFileSync(input.plain, join(dir, ".env"));
  execFileSync(NODE, [DOTENVX, "encrypt", "-f", ".env"], { cwd: dir, env: ENV, stdio: "ignore", timeout: 3_600_000 });
  copyFileSync(join(dir, ".env"), join(dir, "enc.env"));
  const encDir = join(input.dir, "dotenvx-encrypt");
  mkdirSync(encDir, { recursive: true });
  copyFileSync(join(dir, ".env.keys"), join(encDir, ".env.keys"));
  return { dir, encDir };
}

// -------------------------------------------------------------------------------------------
// Measurements.

const fmtMs = (ms) => (ms === undefined ? "—" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 100 ? 1 : 0)} ms`);
const fmtX = (x) =>
  x === undefined || !Number.isFinite(x) ? "—" : x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : x >= 0.1 ? `${x.toFixed(2)}×` : `${x.toPrecision(2)}×`;
const fmtMb = (kib) => (kib === undefined ? "—" : `${(kib / 1024).toFixed(0)} MB`);

log(`hush bench on ${results.machine.cpu}, ${results.machine.memory}, ${results.machine.os}, node ${results.machine.node}`);
if (!canMeasureMemory) log("GNU time (/usr/bin/time) not found: peak memory is not measured (apt-get install time).");

// The first benchmark: start-up of the hot commands against `node -e 0`, in interleaved rounds so
// that all see the same machine.
const baselineBench = { command: [NODE, "-e", "0"], env: ENV };
const smallYaml = prepare("yaml", "small");
const startupRows = measureStartup({
  node: NODE,
  hush: HUSH,
  tscHush: TSC_HUSH,
  seaBuilder: join(root, "packages", "hush-secrets", "build", "sea.mjs"),
  encYaml: smallYaml.enc,
  // The same file as people write it, with comments (which SOPS and hush encrypt too).
  encYamlCommented: prepare("yaml", "small", `# application secrets\n${generateFile("yaml", "small").replace("    timeout:", "    # seconds\n    timeout:")}`, "yaml-small-commented").enc,
  encEnv: prepare("dotenv", "small").enc,
  env: ENV,
  scratch,
  runs: opts.quick ? 9 : 31,
  sea: !opts["no-sea"],
  log,
});
const base = startupRows[0];
const startup = { a: base, b: startupRows[1], pairRatio: startupRows[1].ratio };
results.baseline = { ms: base.ms, rssKiB: base.rssKiB };
results.startup = { hushMs: startup.b.ms, nodeMs: base.ms, ratio: startup.pairRatio, rssKiB: startup.b.rssKiB, rows: startupRows.map(({ samples, ...r }) => r) };

function record(format, size, tool, m, extra = {}) {
  const row = { format, size, tool, ...extra, ...m };
  results.rows.push(row);
  const t = m.timedOut ? `> ${fmtMs(m.timeoutMs)}` : m.projected ? `~${fmtMs(m.ms)} (projected)` : fmtMs(m.ms);
  log(`  ${format} ${label(size)} ${tool}: ${t}${m.rssKiB ? `, ${fmtMb(m.rssKiB)}` : ""}`);
  return row;
}

for (const format of FORMATS) {
  for (const size of SIZES) {
    log(`${format}, ${label(size)} values …`);
    const input = format === "yaml" && size === "small" ? smallYaml : prepare(format, size);
    const runs = runsFor(size);
    const warmup = warmupFor(size);
    const m = (bench, r = runs) => measure(bench, { runs: r, warmup, scratch, timeoutMs: 900_000 });
    const editFile = join(input.dir, `edit${input.ext}`);
    record(format, size, "floor: parse+stringify", m({ command: [NODE, FLOOR, format, input.plain], env: ENV }));
    record(format, size, "hush decrypt", m({ command: [NODE, HUSH, "decrypt", input.enc], env: ENV }));
    record(format, size, "hush encrypt", m({ command: [NODE, HUSH, "encrypt", "--age", recipient, input.plain], env: ENV }));
    const edit = (() => {
      try {
        return m({ command: [NODE, HUSH, "edit", editFile], env: { ...ENV, EDITOR }, before: () => copyFileSync(input.enc, editFile) });
      } catch (err) {
        return { missing: `hush edit failed: ${err.message.split("\n")[0]}` };
      }
    })();
    if (edit.missing) log(`  ${edit.missing}`);
    else record(format, size, "hush edit (one value)", edit);
    // The write path without an editor: one value changed in place (open, edit, re-encrypt, read back).
    const setPath = format === "dotenv" ? '["SERVICE_00000_PASSWORD"]' : '["service_00000"]["password"]';
    record(format, size, "hush set (one value)", m({ command: [NODE, HUSH, "set", editFile, setPath, '"changed"'], env: ENV, before: () => copyFileSync(input.enc, editFile) }));
    // The merge driver as git runs it on a pull: ours changed the first value, theirs the last,
    // so every value of the three versions is read, compared and decrypted.
    const ours = join(input.dir, `ours${input.ext}`);
    const theirs = join(input.dir, `theirs${input.ext}`);
    const lastPath = setPath.replace(/0{5}/, String(Math.max(0, Math.ceil((size === "small" ? 0 : size) / 10) - 1)).padStart(5, "0"));
    for (const [file, path] of [[ours, setPath], [theirs, size === "small" ? null : lastPath]]) {
      copyFileSync(input.enc, file);
      if (path !== null) execFileSync(NODE, [HUSH, "set", file, path, '"merged"'], { env: ENV, stdio: "ignore" });
    }
    record(format, size, "hush git merge (one value each side)", m({ command: [NODE, HUSH, "git", "merge", input.enc, editFile, theirs, "7", `merged${input.ext}`], env: ENV, before: () => copyFileSync(ours, editFile) }));
    record(format, size, "sops-age decrypt", m({ command: [NODE, SOPS_AGE, input.enc], env: ENV }));
    if (format === "dotenv") {
      if (size === "small" || size <= DOTENVX_MAX) {
        const dx = prepareDotenvx(input);
        // dotenvx takes tens of seconds from 1,000 values on: one run there (the spread of a
        // process that long is far below the differences reported).
        const slow = size !== "small" && size >= 1000;
        const dm = (bench) => measure(bench, { runs: slow ? 1 : runs, warmup: slow ? 0 : warmup, scratch, timeoutMs: 900_000 });
        record(format, size, "dotenvx decrypt", dm({ command: [NODE, DOTENVX, "decrypt", "-f", "enc.env", "--stdout"], cwd: dx.dir, env: ENV }));
        record(format, size, "dotenvx encrypt", dm({ command: [NODE, DOTENVX, "encrypt", "-f", ".env"], cwd: dx.encDir, env: ENV, before: () => copyFileSync(input.plain, join(dx.encDir, ".env")) }));
      } else {
        // dotenvx needs tens of milliseconds per value: larger inputs would take hours. Their
        // time is projected from the largest measured input (per-value cost × values).
        for (const tool of ["dotenvx decrypt", "dotenvx encrypt"]) {
          const measured = results.rows.filter((r) => r.format === format && r.tool === tool && typeof r.size === "number" && !r.projected).sort((a, b) => b.size - a.size)[0];
          if (measured) {
            const perValue = (measured.ms - base.ms) / measured.size;
            record(format, size, tool, { ms: base.ms + perValue * size, projected: true, runs: 0, rssKiB: undefined });
          }
        }
      }
    }
  }
}

// -------------------------------------------------------------------------------------------
// Tables: every figure as a ratio over baselines of this run.

const rowFor = (format, size, tool) => results.rows.find((r) => r.format === format && r.size === size && r.tool === tool);
function peerOf(row) {
  if (row.tool === "hush decrypt" && row.format === "dotenv") return rowFor(row.format, row.size, "dotenvx decrypt");
  if (row.tool === "hush decrypt") return rowFor(row.format, row.size, "sops-age decrypt");
  if (row.tool === "hush encrypt" && row.format === "dotenv") return rowFor(row.format, row.size, "dotenvx encrypt");
  return undefined;
}

const lines = [];
const out = (s = "") => lines.push(s);
const mach = results.machine;
out(`## hush bench — ${mach.date}, ${mach.cpu}, ${mach.memory}, ${mach.os}, node ${mach.node}`);
out("");
out(`Baseline \`node -e 0\`: ${fmtMs(base.ms)}, ${fmtMb(base.rssKiB)} peak RSS (median of ${base.runs}).`);
out(
  `Start-up: \`hush decrypt\` of a small age-encrypted YAML file: ${fmtMs(startup.b.ms)} = **${fmtX(startup.pairRatio)} \`node -e 0\`** (median of ${startup.b.runs} interleaved rounds), ${fmtMb(startup.b.rssKiB)} peak RSS.`,
);
out("");
out("### Start-up (interleaved rounds; ratios are medians of per-round ratios)");
out("");
for (const l of startupTable(startupRows, { fmtMs, fmtX, fmtMb })) out(l);
out("");
out("Medians of several runs per row. × node: over `node -e 0`. × floor: over parse+stringify of the same input with hush's own parser. × peer: hush over sops-age (decrypt) or dotenvx (dotenv). Memory is peak RSS, × over `node -e 0`.");
for (const format of FORMATS) {
  out("");
  out(`### ${format}`);
  out("");
  out("| values | tool | time | × node | × floor | × peer | peak RSS | × node RSS |");
  out("|---:|---|---:|---:|---:|---:|---:|---:|");
  for (const size of SIZES) {
    const floor = rowFor(format, size, "floor: parse+stringify");
    for (const row of results.rows.filter((r) => r.format === format && r.size === size)) {
      const peer = peerOf(row);
      const time = row.timedOut ? `> ${fmtMs(row.timeoutMs)}` : row.projected ? `~${fmtMs(row.ms)} (projected)` : fmtMs(row.ms);
      out(
        `| ${label(size)} | ${row.tool} | ${time} | ${fmtX(row.ms / base.ms)} | ${row.tool.startsWith("floor") ? "1×" : fmtX(row.ms / floor?.ms)} | ${peer ? fmtX(row.ms / peer.ms) + (peer.projected ? " (projected)" : "") : ""} | ${fmtMb(row.rssKiB)} | ${row.rssKiB ? fmtX(row.rssKiB / base.rssKiB) : "—"} |`,
      );
    }
  }
}

// -------------------------------------------------------------------------------------------
// AWS KMS: sops-decoder (JSON and KMS only) against hush, with the project's KMS test server on
// 127.0.0.1; then the concurrency benchmark of kms-bench.mjs, when present.

if (!opts["no-kms"]) {
  log("KMS: hush decrypt and sops-decoder against the KMS test server …");
  const kmsDir = join(scratch, "kms");
  mkdirSync(kmsDir);
  const startKmsTestServer = await loadStartKmsTestServer(kmsDir);
  const server = await startKmsTestServer();
  try {
    const arn = server.createKey({ description: "hush bench" });
    const kmsEnv = { ...ENV, ...server.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
    out("");
    out("### AWS KMS, JSON (sops-decoder supports only this)");
    out("");
    out("KMS test server on 127.0.0.1 (no added latency); one kms:Decrypt per file.");
    out("");
    out("| values | tool | time | × node | × peer | peak RSS |");
    out("|---:|---|---:|---:|---:|---:|");
    for (const size of SIZES.filter((s) => s === "small" || s <= 10000)) {
      const plain = join(kmsDir, `plain-${size}.json`);
      const enc = join(kmsDir, `enc-${size}.json`);
      writeFileSync(plain, generateFile("json", size));
      const encrypted = await new Promise((resolve, reject) => {
        execFile(NODE, [HUSH, "encrypt", "--kms", arn, "--output", enc, plain], { env: kmsEnv }, (err) => (err ? reject(err) : resolve(enc)));
      });
      const runs = runsFor(size);
      const h = await measureAsync({ command: [NODE, HUSH, "decrypt", encrypted], env: kmsEnv }, { runs, scratch });
      const d = await measureAsync({ command: [NODE, SOPS_DECODER, encrypted], env: kmsEnv }, { runs, scratch });
      record("json (KMS)", size, "hush decrypt", h);
      record("json (KMS)", size, "sops-decoder decrypt", d);
      out(`| ${label(size)} | hush decrypt | ${fmtMs(h.ms)} | ${fmtX(h.ms / base.ms)} | ${fmtX(h.ms / d.ms)} | ${fmtMb(h.rssKiB)} |`);
      out(`| ${label(size)} | sops-decoder decrypt | ${fmtMs(d.ms)} | ${fmtX(d.ms / base.ms)} |  | ${fmtMb(d.rssKiB)} |`);
    }
  } finally {
    await server.stop();
  }

  let kmsModule;
  try {
    kmsModule = await import("./kms-bench.mjs");
  } catch (err) {
    if (err?.code !== "ERR_MODULE_NOT_FOUND") throw err;
  }
  const runKmsBench = kmsModule?.runKmsBench ?? (kmsModule && Object.values(kmsModule).find((v) => typeof v === "function"));
  out("");
  if (runKmsBench === undefined) {
    out("KMS concurrency: not measured (kms-bench.mjs is not present).");
  } else {
    log("KMS concurrency benchmark (kms-bench.mjs) …");
    const rows = await runKmsBench({ log: (l) => log(`  ${l}`), repeats: opts.quick ? 1 : 3 });
    results.kmsConcurrency = rows;
    out("### AWS KMS, many files in one process (kms-bench.mjs)");
    out("");
    out("| benchmark | time | × one file |");
    out("|---|---:|---:|");
    for (const r of rows) out(`| ${r.name} | ${fmtMs(r.ms)} | ${fmtX(r.ratio)} |`);
  }
}

log("Node loader against hush decrypt and node -e 0, in turn …");
// 41 rounds: the two figures compared are differences of whole-process times, each as noisy as both.
const loaderBench = runLoaderBench({ node: NODE, hush: HUSH, env: ENV, scratch, encFile: smallYaml.enc, runs: opts.quick ? 9 : 41, fmtMs, fmtX });
lines.push(...loaderBench.lines);
results.loader = loaderBench.figures;

// -------------------------------------------------------------------------------------------
// Goals (reported, not asserted).

const goals = [];
const goal = (name, value, target, detail) => goals.push({ name, value, target, met: value !== undefined && value <= target, detail });
goal("small-file decrypt ≤ 1.5× node -e 0", startup.pairRatio, 1.5, `${fmtMs(startup.b.ms)} vs ${fmtMs(base.ms)}`);
goal(loaderBench.goal.name, loaderBench.goal.value, loaderBench.goal.target, loaderBench.goal.detail);
const y10 = rowFor("yaml", 10000, "hush decrypt");
const s10 = rowFor("yaml", 10000, "sops-age decrypt");
const f10 = rowFor("yaml", 10000, "floor: parse+stringify");
if (y10 && s10) {
  // The bound: parse+stringify with the yaml package alone, without any cryptography.
  goal("10,000-value YAML decrypt ≤ 0.3× sops-age", y10.ms / s10.ms, 0.3, `${fmtMs(y10.ms)} vs ${fmtMs(s10.ms)}; yaml parse+stringify alone: ${fmtX(f10?.ms / s10.ms)}`);
}
for (const size of SIZES) {
  const h = rowFor("dotenv", size, "hush decrypt");
  const d = rowFor("dotenv", size, "dotenvx decrypt");
  // The bound: no Node program can be faster than `node -e 0`.
  if (h && d) {
    goal(
      `dotenv decrypt ≤ 0.01× dotenvx (${label(size)} values${d.projected ? ", dotenvx projected" : ""})`,
      h.ms / d.ms,
      0.01,
      `${fmtMs(h.ms)} vs ${d.projected ? "~" : ""}${fmtMs(d.ms)}; node -e 0 alone: ${fmtX(base.ms / d.ms)}`,
    );
  }
}
for (const format of FORMATS) {
  for (const tool of ["hush decrypt", "hush encrypt"]) {
    const t = (n) => rowFor(format, n, tool)?.ms;
    if (t(1000) === undefined || t(10000) === undefined || t(100000) === undefined) continue;
    // Linear time: the cost per added value is the same from 1,000 to 10,000 as from 10,000 to
    // 100,000 (a ratio of 1; above 1 means it grows faster than linearly).
    const slopeLow = (t(10000) - t(1000)) / 9000;
    const slopeHigh = (t(100000) - t(10000)) / 90000;
    goal(`${format} ${tool.slice(5)} linear from 1,000 to 100,000 values (slope ratio ≤ 1.25)`, slopeHigh / slopeLow, 1.25, `${(slopeLow * 1000).toFixed(1)} µs/value (1k→10k), ${(slopeHigh * 1000).toFixed(1)} µs/value (10k→100k)`);
  }
}
// The decrypt span scanner and the one-process review (fast-paths.mjs), with their own goals.
if (!opts["no-fast-paths"]) await runFastPathBench({ NODE, HUSH, TSC_HUSH, ENV, scratch, recipient, quick: opts.quick, base, log, out, fmtMs, fmtX, fmtMb, goal });
// The keyless gate and the reports at repository scale (repo-bench.mjs).
if (!opts["no-repo"]) {
  const sizeOf = (name) => (opts[name] === undefined ? undefined : Number(opts[name]));
  results.repository = await runRepoBench({ NODE, HUSH, ENV, scratch, quick: opts.quick, log, out, fmtMs, fmtX, base, files: sizeOf("repo-files"), commits: sizeOf("repo-commits") });
}
results.goals = goals;
out("");
out("### Goals");
out("");
out("| goal | measured | met |");
out("|---|---:|:---:|");
for (const g of goals) out(`| ${g.name} | ${g.name.includes("linear") ? g.value?.toFixed(2) : fmtX(g.value)} (${g.detail}) | ${g.met ? "yes" : "**no**"} |`);

// Where the time goes, for each missed goal.
if (!opts["no-profile"]) {
  const ctx = { NODE, HUSH, ENV, scratch, smallYaml, recipient, root, baselineBench, results, out, log, fmtMs, SIZES, label, EXTENSION };
  profileMissedGoals(goals.filter((g) => !g.met), ctx);
}

const text = lines.join("\n");
console.log(text);
if (opts.json) writeFileSync(opts.json, JSON.stringify(results, null, 2));
if (opts.markdown) writeFileSync(opts.markdown, text + "\n");
rmSync(scratch, { recursive: true, force: true });
