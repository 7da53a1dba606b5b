/**
 * `import "@hush/cli/config"` (or `node --import @hush/cli/config app.js`): loads HUSH_ENV_FILE
 * (default `.env.enc`; several files joined by `:`) into `process.env` before the program's
 * own code runs, with `hush`'s key discovery and nested values flattened with `__`. Variables
 * that are already set are kept unless HUSH_ENV_OVERRIDE=1. When a file cannot be loaded the
 * process prints one line naming the file (never a value) and exits with `hush`'s status for
 * that error (128: no key opens the file): a program must not start without its secrets.
 */
import { loadEnvAtStartup } from "./env-startup.ts";

await loadEnvAtStartup();
