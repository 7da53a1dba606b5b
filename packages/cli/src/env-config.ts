/**
 * `import "@hush/cli/config"` (or `node --import @hush/cli/config app.js`): loads HUSH_ENV_FILE
 * (default `.env.enc`; several files joined by `:`) into `process.env` before the program's
 * own code runs, with `hush`'s key discovery and nested values flattened with `__`. Variables
 * that are already set are kept unless HUSH_ENV_OVERRIDE=1. When a file cannot be loaded the
 * process prints one line naming the file (never a value) and exits with `hush`'s status for
 * that error (128: no key opens the file): a program must not start without its secrets.
 */
import { isHushError, printable } from "@hush/core";
import { exitCodeFor } from "./exit-codes.ts";
import { loadEnv } from "./load-env.ts";

const override = process.env["HUSH_ENV_OVERRIDE"];
try {
  await loadEnv({ override: override === "1" || override === "true" });
} catch (err) {
  process.stderr.write(`hush: ${printable(err instanceof Error ? err.message : String(err), 4000)}\n`);
  process.exit(isHushError(err) ? exitCodeFor(err.code) : 1);
}
