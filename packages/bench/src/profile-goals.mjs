import { join } from "node:path";
import { importCosts } from "./import-costs.mjs";
import { byPackage, profile } from "./profile.mjs";

/**
 * Where the time goes, for each goal `pnpm bench` missed: a CPU profile of the command behind the
 * goal, written as a table (and, for start-up, the cost of each imported package).
 */
export function profileMissedGoals(missed, { NODE, HUSH, ENV, scratch, smallYaml, recipient, root, baselineBench, results, out, log, fmtMs, SIZES, label, EXTENSION }) {
  const profiled = new Set();
  const addProfile = (title, command, cwd) => {
    if (profiled.has(title)) return;
    profiled.add(title);
    log(`profiling: ${title} …`);
    const p = profile(command, { cwd, env: ENV, scratch });
    results.profiles.push({ title, ...p });
    out("");
    out(`#### Where the time goes: ${title} (${fmtMs(p.totalMs)} sampled)`);
    out("");
    out("| where (self time) | ms | share |");
    out("|---|---:|---:|");
    for (const r of p.rows) out(`| ${r.name} | ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(0)}% |`);
    return p;
  };
  for (const g of missed) {
    if (g.name.startsWith("small-file")) {
      const p = addProfile("hush decrypt, small YAML (start-up)", [NODE, HUSH, "decrypt", smallYaml.enc]);
      out("");
      out("By package: " + byPackage(p.rows).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", "));
      for (const l of importCosts({ root, node: NODE, hush: HUSH, baselineBench, env: ENV, scratch, results })) out(l);
    } else if (g.name.startsWith("10,000-value YAML")) {
      addProfile("hush decrypt, 10,000-value YAML", [NODE, HUSH, "decrypt", join(scratch, "yaml-10000", "enc.yaml")]);
    } else if (g.name.startsWith("dotenv")) {
      // The size the goal was missed at (its figure is dominated by start-up when small).
      const size = SIZES.find((s) => g.name.includes(`(${label(s)} values`)) ?? "small";
      addProfile(`hush decrypt, ${label(size)}-value dotenv`, [NODE, HUSH, "decrypt", join(scratch, `dotenv-${size}`, "enc.env")]);
    } else if (g.name.includes("linear")) {
      const format = g.name.split(" ")[0];
      const tool = g.name.includes("decrypt") ? "decrypt" : "encrypt";
      const file = join(scratch, `${format}-100000`, tool === "decrypt" ? `enc${EXTENSION[format]}` : `plain${EXTENSION[format]}`);
      addProfile(`hush ${tool}, 100,000-value ${format}`, tool === "decrypt" ? [NODE, HUSH, "decrypt", file] : [NODE, HUSH, "encrypt", "--age", recipient, file]);
    }
  }
}
