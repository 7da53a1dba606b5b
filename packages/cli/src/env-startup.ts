import { isHushError, printable } from "@hush/core";
import { exitCodeFor } from "./exit-codes.ts";
import { loadEnv } from "./load-env.ts";

/**
 * What `import "@hush/cli/config"` does (see env-config.ts), as a function, so that a bundled
 * build can run it from a module format without top-level await: loads HUSH_ENV_FILE (default
 * `.env.enc`) into `process.env`; on failure prints one line naming the file (never a value) and
 * exits with hush's status for that error.
 */
export async function loadEnvAtStartup(): Promise<void> {
  const override = process.env["HUSH_ENV_OVERRIDE"];
  try {
    await loadEnv({ override: override === "1" || override === "true" });
  } catch (err) {
    process.stderr.write(`hush: ${printable(err instanceof Error ? err.message : String(err), 4000)}\n`);
    process.exit(isHushError(err) ? exitCodeFor(err.code) : 1);
  }
}
