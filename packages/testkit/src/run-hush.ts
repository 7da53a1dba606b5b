import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

/** The built CLI at the repository root (`pnpm build` must have run; `pnpm test` does). */
export const HUSH_BIN = join(repoRoot, "node_modules", ".bin", "hush");

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
  if (!existsSync(HUSH_BIN)) throw new Error(`${HUSH_BIN} is missing: run \`pnpm install && pnpm build\` first`);
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: options.home ?? "/nonexistent-home", LANG: "C" };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  const r = spawnSync(HUSH_BIN, [...args], {
    cwd: options.cwd,
    env,
    input: options.input,
    timeout: options.timeoutMs ?? 30_000,
  });
  if (r.error) throw r.error;
  return {
    status: r.status ?? (r.signal ? 128 : 1),
    stdout: r.stdout.toString("utf8"),
    stderr: r.stderr.toString("utf8"),
    stdoutBytes: r.stdout,
  };
}
