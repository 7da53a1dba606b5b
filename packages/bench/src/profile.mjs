/**
 * "Where the time goes": runs a command once under `node --cpu-prof` and sums the sampled self
 * time per package (or per module inside hush), so a missed goal comes with its cause.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** Groups a profile frame's URL: a package name, a hush package/module, or a node internal area. */
function bucket(url, functionName) {
  if (url === "") {
    if (functionName === "(garbage collector)") return "V8: garbage collection";
    if (functionName === "(program)" || functionName === "(idle)" || functionName === "(root)") return "V8: program/idle";
    return `native: ${functionName || "(anonymous)"}`;
  }
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm) return `npm: ${pnpm[1]}`;
  const hush = /\/packages\/([^/]+)\/(?:dist|bin|src)\/(.*)$/.exec(url);
  if (hush) return `hush: ${hush[1]}/${hush[2].replace(/\.js$/, "")}`;
  if (url.startsWith("node:internal/modules") || url.startsWith("node:internal/bootstrap")) return "node: module loader";
  if (url.startsWith("node:internal/deps/undici")) return "node: undici (fetch/Response)";
  if (url.startsWith("node:internal/webstreams")) return "node: web streams";
  if (url.startsWith("node:internal/crypto") || url === "node:crypto") return "node: crypto";
  if (url === "node:path" || url === "node:internal/url" || url === "node:fs" || url.startsWith("node:internal/fs/")) return "node: path, url, fs (mostly module resolution)";
  if (url.startsWith("node:")) return "node: other";
  return url;
}

/**
 * Profiles `command` (a node invocation: [node, script, ...args]). Returns the total sampled
 * time and the top buckets by self time, in milliseconds.
 */
export function profile(command, { cwd, env, scratch, top = 12 }) {
  const dir = mkdtempSync(join(scratch, "prof-"));
  try {
    const [node, ...rest] = command;
    const r = spawnSync(node, ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "200", ...rest], { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`profiling failed: ${r.stderr.toString().trim().split("\n").pop()}`);
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
    const p = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const totals = new Map();
    let total = 0;
    p.samples.forEach((id, i) => {
      const n = byId.get(id);
      const us = p.timeDeltas[i] ?? 0;
      const key = bucket(n.callFrame.url, n.callFrame.functionName);
      totals.set(key, (totals.get(key) ?? 0) + us);
      total += us;
    });
    const rows = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
    return { totalMs: total / 1000, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sums self time per npm package / hush package only (a coarser view for start-up). */
export function byPackage(rows) {
  const out = new Map();
  for (const r of rows) {
    const key = r.name.startsWith("hush: ") ? `hush: ${r.name.slice(6).split("/")[0]}` : r.name;
    out.set(key, (out.get(key) ?? 0) + r.ms);
  }
  return [...out].sort((a, b) => b[1] - a[1]);
}
