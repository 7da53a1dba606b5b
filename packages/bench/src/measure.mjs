/**
 * Timing of child processes: wall time around the whole process (start-up included, as a user
 * sees it) and peak resident memory from GNU time's `%M`. Every figure is a median over several
 * runs, and every figure is later divided by a baseline measured in the same run, so the numbers
 * compare across machines.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

const GNU_TIME = ["/usr/bin/time", "/bin/time"].find((p) => existsSync(p) && probeGnuTime(p));

function probeGnuTime(path) {
  const dir = mkdtempSync(join(tmpdir(), "hush-bench-probe-"));
  try {
    const out = join(dir, "t");
    const r = spawnSync(path, ["-f", "%M", "-o", out, process.execPath, "-e", "0"], { stdio: "ignore" });
    return r.status === 0 && /^\d+/.test(readFileSync(out, "utf8").trim());
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when peak memory can be measured (GNU time is installed). */
export const canMeasureMemory = GNU_TIME !== undefined;

/**
 * Runs `command` once. Returns wall milliseconds and peak RSS in KiB (undefined without GNU time).
 * stdout goes to /dev/null (every tool pays for writing its output, nobody for a reader); stderr
 * is kept for error messages.
 */
export function runOnce(command, { cwd, env, timeoutMs = 600_000, scratch }) {
  const [file, ...args] = command;
  const rssFile = join(scratch, "rss");
  const argv = GNU_TIME ? [GNU_TIME, "-f", "%M", "-o", rssFile, file, ...args] : [file, ...args];
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "ignore", "pipe"], timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.error?.code === "ETIMEDOUT" || r.signal === "SIGTERM") return { ms, timedOut: true };
  if (r.status !== 0) {
    const stderr = (r.stderr ?? Buffer.alloc(0)).toString("utf8").trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${command.slice(0, 3).join(" ")} … failed with status ${r.status}: ${stderr}`);
  }
  let rssKiB;
  if (GNU_TIME) {
    const m = /(\d+)\s*$/.exec(readFileSync(rssFile, "utf8").trim());
    rssKiB = m ? Number(m[1]) : undefined;
  }
  return { ms, rssKiB, timedOut: false };
}

export function median(values) {
  const v = values.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * Measures a benchmark `runs` times (after `warmup` unmeasured runs, which fill the page cache).
 * `before` runs before every run, untimed (restoring a file that the command rewrites).
 * Returns medians, the spread (min/max) and every sample.
 */
export function measure(bench, { runs, warmup = 1, scratch, timeoutMs }) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    bench.before?.();
    const r = runOnce(bench.command, { cwd: bench.cwd, env: bench.env, scratch, timeoutMs });
    if (r.timedOut) return { timedOut: true, timeoutMs, samples };
    if (i >= warmup) samples.push(r);
  }
  const ms = samples.map((s) => s.ms);
  return {
    timedOut: false,
    ms: median(ms),
    minMs: Math.min(...ms),
    maxMs: Math.max(...ms),
    rssKiB: median(samples.map((s) => s.rssKiB)),
    runs: samples.length,
    samples,
  };
}

/**
 * Measures `a` and `b` alternately (a, b, a, b, …), so that a slower or busier moment of the
 * machine affects both: used for the start-up figure, where a few milliseconds matter.
 */
export function measurePair(a, b, { runs, warmup = 2, scratch }) {
  const sa = [];
  const sb = [];
  for (let i = 0; i < warmup + runs; i++) {
    a.before?.();
    const ra = runOnce(a.command, { cwd: a.cwd, env: a.env, scratch });
    b.before?.();
    const rb = runOnce(b.command, { cwd: b.cwd, env: b.env, scratch });
    if (i >= warmup) {
      sa.push(ra);
      sb.push(rb);
    }
  }
  const summary = (s) => ({
    timedOut: false,
    ms: median(s.map((x) => x.ms)),
    minMs: Math.min(...s.map((x) => x.ms)),
    maxMs: Math.max(...s.map((x) => x.ms)),
    rssKiB: median(s.map((x) => x.rssKiB)),
    runs: s.length,
    samples: s,
  });
  // The ratio of medians of pairwise ratios is robust to a drifting machine load.
  const pairRatio = median(sa.map((x, i) => sb[i].ms / x.ms));
  return { a: summary(sa), b: summary(sb), pairRatio };
}

/**
 * The asynchronous form of runOnce, for benchmarks whose server lives in this process (the KMS
 * test server must keep answering while the child runs).
 */
export function runOnceAsync(command, { cwd, env, scratch, timeoutMs = 600_000 }) {
  const [file, ...args] = command;
  const rssFile = join(scratch, `rss-${process.hrtime.bigint()}`);
  const argv = GNU_TIME ? [GNU_TIME, "-f", "%M", "-o", rssFile, file, ...args] : [file, ...args];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ["ignore", "ignore", "pipe"], timeout: timeoutMs });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) {
        reject(new Error(`${command.slice(0, 3).join(" ")} … failed with status ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
        return;
      }
      let rssKiB;
      if (GNU_TIME) {
        const m = /(\d+)\s*$/.exec(readFileSync(rssFile, "utf8").trim());
        rssKiB = m ? Number(m[1]) : undefined;
        rmSync(rssFile, { force: true });
      }
      resolve({ ms, rssKiB, timedOut: false });
    });
  });
}

/** measure() for runOnceAsync. */
export async function measureAsync(bench, { runs, warmup = 1, scratch }) {
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const r = await runOnceAsync(bench.command, { cwd: bench.cwd, env: bench.env, scratch });
    if (i >= warmup) samples.push(r);
  }
  const ms = samples.map((s) => s.ms);
  return { timedOut: false, ms: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms), rssKiB: median(samples.map((s) => s.rssKiB)), runs: samples.length, samples };
}

/**
 * Measures several benchmarks in rounds (each round runs every one once, in order), so that a
 * busier moment of the machine affects all of them alike. Returns each one's summary and its
 * ratio over the first, as the median of the per-round ratios.
 */
export function measureRounds(benches, { runs, warmup = 2, scratch }) {
  const samples = benches.map(() => []);
  for (let i = 0; i < warmup + runs; i++) {
    benches.forEach((bench, j) => {
      bench.before?.();
      const r = runOnce(bench.command, { cwd: bench.cwd, env: bench.env, scratch });
      if (i >= warmup) samples[j].push(r);
    });
  }
  return benches.map((bench, j) => {
    const s = samples[j];
    const ms = s.map((x) => x.ms);
    return {
      name: bench.name,
      ms: median(ms),
      minMs: Math.min(...ms),
      maxMs: Math.max(...ms),
      rssKiB: median(s.map((x) => x.rssKiB)),
      runs: s.length,
      samples: s,
      ratio: median(s.map((x, i) => x.ms / samples[0][i].ms)),
    };
  });
}

/** The machine a run measured, for the report header. */
export function describeMachine() {
  const cpu = cpus();
  let memory = "";
  try {
    memory = `${Math.round(totalmem() / 2 ** 30)} GiB RAM`;
  } catch {
    memory = "";
  }
  return {
    cpu: `${cpu[0]?.model ?? "unknown CPU"} × ${cpu.length}`,
    memory,
    os: `${platform()} ${release()}`,
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}
