import { createRequire } from "node:module";
import { join } from "node:path";
import { measurePair, median } from "./measure.mjs";

/**
 * Start-up cost of each module hush loads for `decrypt`, measured as `node --import <module>
 * -e 0` minus `node -e 0` (alternating runs). Returns the table as Markdown lines; the figures
 * also go to `results.importCosts`.
 */
export function importCosts({ root, node, hush, baselineBench, env, scratch, results }) {
  const cli = createRequire(join(root, "packages", "cli", "package.json"));
  const core = createRequire(join(root, "packages", "core", "package.json"));
  const age = createRequire(join(root, "packages", "key-source-age", "package.json"));
  const modules = [
    ["commander (CLI parser)", cli.resolve("commander")],
    ["@hush/core (index)", cli.resolve("@hush/core")],
    ["yaml (YAML parser)", core.resolve("yaml")],
    ["@hush/key-source-age (index)", cli.resolve("@hush/key-source-age")],
    ["age-encryption (typage, loaded to wrap keys)", age.resolve("age-encryption")],
    ["hush --version (CLI shell)", null],
  ];
  const lines = ["", "Import cost of each module (alternating runs, `node --import M -e 0` minus `node -e 0`):", "", "| module | added ms |", "|---|---:|"];
  for (const [name, path] of modules) {
    const command = path === null ? [node, hush, "--version"] : [node, "--import", path.startsWith("/") ? `file://${path}` : path, "-e", "0"];
    const pair = measurePair(baselineBench, { command, env }, { runs: 9, warmup: 1, scratch });
    const added = median(pair.b.samples.map((s, i) => s.ms - pair.a.samples[i].ms));
    results.importCosts.push({ name, addedMs: added });
    lines.push(`| ${name} | ${added.toFixed(1)} |`);
  }
  return lines;
}
