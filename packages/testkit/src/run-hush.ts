import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/**
 * Which build of the CLI the end-to-end tests run: the workspace's (`pnpm build`; `pnpm test`
 * runs it), or with HUSH_TEST_CLI=bundle the bundled package that ships (`pnpm build:bundle`;
 * `pnpm test:all` runs the suite so).
 */
const UNDER_TEST = process.env["HUSH_TEST_CLI"] === "bundle" ? "bundle" : "workspace";

/** The CLI's entry script, to run with node. */
export const HUSH_SCRIPT =
  UNDER_TEST === "bundle" ? join(repoRoot, "packages", "hush-secrets", "out", "bin", "hush.cjs") : join(repoRoot, "packages", "cli", "bin", "hush.js");

/** An executable that starts the CLI under test (for a shell or `time`). */
export const HUSH_BIN = UNDER_TEST === "bundle" ? HUSH_SCRIPT : join(repoRoot, "node_modules", ".bin", "hush");

/** Throws, saying what to run, when the CLI under test has not been built. */
export function requireBuiltCli(): void {
  const built = UNDER_TEST === "bundle" ? join(repoRoot, "packages", "hush-secrets", "out", "dist", "cli.cjs") : join(repoRoot, "packages", "cli", "dist", "main.js");
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`${UNDER_TEST === "bundle" ? "pnpm build:bundle" : "pnpm build"}\` first`);
}

export interface HushResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/**
 * Runs the real `hush` binary. The environment is minimal and explicit (HOME points at `home`
 * when given) so that a developer's own keys never leak into a test.
 */
export function runHush(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string | undefined>; input?: string | Buffer; home?: string; timeoutMs?: number } = {},
): HushResult {
  requireBuiltCli();
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: options.home ?? "/nonexistent-home", LANG: "C" };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const r = spawnSync(process.execPath, [HUSH_SCRIPT, ...args], {
    cwd: options.cwd,
    env,
    input: options.input,
    // A guard against a hang, not a measure: runs that take well under a second alone have twice gone past
    // 30 s on a busy two-core CI machine (not reproduced alone), which failed the whole run; below
    // the test timeout (vitest.config.ts), so that a real hang is reported with its stderr.
    timeout: options.timeoutMs ?? 55_000,
  });
  if (r.error) {
    // What the run said before it was stopped tells where it waited.
    const said = r.stderr?.toString("utf8").trim();
    throw new Error(`hush ${args.join(" ")}: ${r.error.message}${said ? `; its stderr so far: ${said}` : ""}`, { cause: r.error });
  }
  return {
    status: r.status ?? (r.signal ? 128 : 1),
    stdout: r.stdout.toString("utf8"),
    stderr: r.stderr.toString("utf8"),
    stdoutBytes: r.stdout,
  };
}
