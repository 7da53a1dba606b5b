/**
 * Compares two hush builds on one command, in the directory it is run from: the two alternate
 * (measurePair), so a busier moment of a shared machine affects both, and `--reset` runs untimed
 * before every run (restoring the files a command rewrites). Prints the medians and the median of
 * the per-round ratios.
 *
 *   node paired.mjs [--runs 5] [--warmup 1] [--reset 'git checkout -q -- apps'] OLD_HUSH NEW_HUSH -- ARGS…
 */
import { execSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { measurePair } from "./measure.mjs";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string", default: "5" }, warmup: { type: "string", default: "1" }, reset: { type: "string" } } });
const [oldHush, newHush, ...args] = positionals;
if (newHush === undefined || args.length === 0) {
  process.stderr.write("usage: node paired.mjs [--runs R] [--warmup W] [--reset SHELL_COMMAND] OLD_HUSH NEW_HUSH -- ARGS…\n");
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), "hush-paired-"));
const before = values.reset === undefined ? undefined : () => execSync(values.reset, { stdio: "ignore" });
const bench = (hush) => ({ command: [process.execPath, resolve(hush), ...args], cwd: process.cwd(), env: process.env, before });
try {
  const { a, b, pairRatio } = measurePair(bench(oldHush), bench(newHush), { runs: Number(values.runs), warmup: Number(values.warmup), scratch });
  const samples = (s) => s.samples.map((x) => x.ms.toFixed(0)).join(" ");
  console.log(`hush ${args.join(" ")}`);
  console.log(`  old ${a.ms.toFixed(0)} ms (${samples(a)})`);
  console.log(`  new ${b.ms.toFixed(0)} ms (${samples(b)})`);
  console.log(`  new/old, median of ${a.runs} rounds: ${pairRatio.toFixed(2)}×`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
