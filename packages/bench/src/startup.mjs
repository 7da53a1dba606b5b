/**
 * Start-up of the hot commands, all measured in the same rounds (each round runs every command
 * once) and reported as ratios over `node -e 0` of the same rounds: the bundled package that ships
 * (with and without its V8 code cache), the workspace's `tsc` build, and the standalone
 * executable. A small age-encrypted YAML file: the work is negligible, start-up is everything (and
 * the same file with comments, which SOPS encrypts too).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { measureRounds } from "./measure.mjs";

/**
 * Runs the start-up rounds. `hush` is the bundle's bin script, `tscHush` the workspace build's,
 * `encYaml`/`encEnv` small encrypted files; the standalone executable is built into `scratch`
 * unless `sea` is false. Returns the rows (first: `node -e 0`).
 */
export function measureStartup({ node, hush, tscHush, seaBuilder, encYaml, encYamlCommented, encEnv, env, scratch, runs, sea, log }) {
  const noCache = { ...env, HUSH_CODE_CACHE: "0" };
  const benches = [
    { name: "node -e 0", command: [node, "-e", "0"], env },
    { name: "hush decrypt (bundle)", command: [node, hush, "decrypt", encYaml], env },
    { name: "hush decrypt (bundle, no code cache)", command: [node, hush, "decrypt", encYaml], env: noCache },
    { name: "hush decrypt (tsc build)", command: [node, tscHush, "decrypt", encYaml], env },
    { name: "hush decrypt, the file with comments (bundle)", command: [node, hush, "decrypt", encYamlCommented], env },
    { name: "hush -d --extract (bundle)", command: [node, hush, "-d", "--extract", '["database"]["password"]', encYaml], env },
    { name: "hush git textconv (bundle)", command: [node, hush, "git", "textconv", encYaml], env },
    { name: "hush git textconv (tsc build)", command: [node, tscHush, "git", "textconv", encYaml], env },
    { name: "hush exec-env FILE true (bundle)", command: [node, hush, "exec-env", encEnv, "true"], env },
  ];
  if (sea) {
    log("building the standalone executable …");
    const exe = execFileSync(node, [seaBuilder, "--out", join(scratch, "sea")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
    benches.push({ name: "hush decrypt (standalone executable)", command: [exe, "decrypt", encYaml], env });
  }
  log(`start-up: ${benches.length} commands in ${runs} interleaved rounds …`);
  return measureRounds(benches, { runs, warmup: 2, scratch });
}

/** The start-up table as Markdown lines. */
export function startupTable(rows, { fmtMs, fmtX, fmtMb }) {
  const tsc = rows.find((r) => r.name === "hush decrypt (tsc build)");
  const lines = [
    "| command | time | × `node -e 0` | × tsc build | peak RSS |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const overTsc = r.name.startsWith("hush decrypt") && r !== tsc && tsc !== undefined ? fmtX(r.ratio / tsc.ratio) : "";
    lines.push(`| ${r.name} | ${fmtMs(r.ms)} | ${fmtX(r.ratio)} | ${overTsc} | ${fmtMb(r.rssKiB)} |`);
  }
  return lines;
}
