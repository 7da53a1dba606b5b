/**
 * "Today's" hush for the review goals: the CLI as it was when the start-up and review goals were
 * set (commit {@link TODAY_COMMIT}: tsc output, commander, every module a file), built once from
 * this repository's own history into `.cache/bench-today/COMMIT`. Measuring it in the same
 * rounds as the bundle gives the "≤ 0.5× today's" ratio on any machine, instead of a figure
 * quoted from another day.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The main branch when the goals were written down. */
export const TODAY_COMMIT = "4789adc";

function run(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}): ${(r.stderr || r.stdout || "").trim().slice(-400)}`);
  return r.stdout;
}

/**
 * The path of `bin/hush.js` of today's build, building it first if needed (git archive, pnpm
 * install --frozen-lockfile --prefer-offline, tsc -b: about a minute once). Returns undefined,
 * with the reason, when it cannot be built (a shallow clone without that commit, no network and
 * no package store).
 */
export function todayHush(root, log) {
  const dir = join(root, ".cache", "bench-today", TODAY_COMMIT);
  const hush = join(dir, "packages", "cli", "bin", "hush.js");
  if (existsSync(join(dir, ".built"))) return { hush };
  try {
    log(`today's hush: building ${TODAY_COMMIT} into ${dir} (once) …`);
    const temp = `${dir}.partial`;
    rmSync(temp, { recursive: true, force: true });
    mkdirSync(temp, { recursive: true });
    const archive = join(temp, "..", `${TODAY_COMMIT}.tar`);
    run("git", ["archive", "--format=tar", "-o", archive, TODAY_COMMIT], root);
    run("tar", ["-xf", archive, "-C", temp], root);
    rmSync(archive, { force: true });
    run("pnpm", ["install", "--frozen-lockfile", "--prefer-offline", "--ignore-scripts"], temp);
    run("pnpm", ["exec", "tsc", "-b"], temp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(temp, dir);
    run("touch", [join(dir, ".built")], root);
    return { hush };
  } catch (err) {
    return { why: err instanceof Error ? err.message : String(err) };
  }
}
