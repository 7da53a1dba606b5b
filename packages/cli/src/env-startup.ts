import { readFileSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { HushError, KEY_PROGRAM_VARIABLE, printable } from "@hush/core";
import { exitCodeOfError } from "./exit-codes.ts";
import { loadEnv, startupEnvFiles } from "./load-env.ts";

/** Why the files could not be loaded: the line to print after `hush: ` and the exit status. */
export interface StartupFailure {
  readonly status: number;
  readonly message: string;
}

/**
 * HUSH_ENV_OVERRIDE, the entry module's only option besides HUSH_ENV_FILE: 1, true, yes or on;
 * unset, empty, 0, false, no or off. Another value is refused: `yes` read as "no" left the
 * program running on the variables it was meant to replace, without a word.
 * @throws HushError INVALID_ARGUMENT for another value
 */
function overrideRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  const override = (env["HUSH_ENV_OVERRIDE"] ?? "").trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(override)) return true;
  if (["", "0", "false", "no", "off"].includes(override)) return false;
  throw new HushError("INVALID_ARGUMENT", `HUSH_ENV_OVERRIDE=${printable(env["HUSH_ENV_OVERRIDE"] ?? "", 100)} is neither 1 (the files' values replace variables already set) nor 0 (they do not)`);
}

/**
 * Whether hush started this process for a key (KEY_PROGRAM_VARIABLE): a key command or age plugin
 * written in Node, which the loader reached through NODE_OPTIONS. Loading the files here would
 * need the key, and start this program again.
 */
function startedForKey(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[KEY_PROGRAM_VARIABLE] === "1";
}

/** The packages whose `bin/hush.cjs` or `bin/hush.js` is the hush command. */
const HUSH_PACKAGES = new Set(["hush-secrets", "@hush/cli"]);

/**
 * Whether this process is the hush command itself: a NODE_OPTIONS preload meant for an
 * application (`--import hush-secrets/config` set for a container) reaches every Node program,
 * and in hush it would load `.env.enc` into hush's own environment (and its commands' children),
 * or stop every command where there is none. Only a program named like hush's is looked at more
 * closely (its real path's package), so an application pays nothing.
 */
function isHushCommand(program: string | undefined = process.argv[1]): boolean {
  if (program === undefined || !/(?:^|[\\/])hush\.c?js$/.test(program)) return false;
  try {
    const real = realpathSync(program);
    const manifest = JSON.parse(readFileSync(join(dirname(dirname(real)), "package.json"), "utf8")) as { name?: unknown };
    return basename(dirname(real)) === "bin" && typeof manifest.name === "string" && HUSH_PACKAGES.has(manifest.name);
  } catch {
    return false;
  }
}

/**
 * Whether this is a worker thread. `--import` reaches every worker thread the application starts
 * (workers inherit the `execArgv` and `NODE_OPTIONS` of the process), and a worker copies the
 * environment of the thread that starts it, which the loader filled already: loading again would
 * ask the keys again in each worker (a KMS call, a passphrase) and put back a variable the
 * application removed from its environment after reading it ({@link loadedByStartingThread}
 * tells). Node replaces `process.chdir` in a worker with a stand-in marked `disabled` (a thread
 * cannot change the process's directory): that costs nothing to look at, where
 * node:worker_threads, which confirms it, takes about 2 ms to load.
 */
function inWorkerThread(): boolean {
  if ((process.chdir as { disabled?: unknown }).disabled !== true) return false;
  return !process.getBuiltinModule("node:worker_threads").isMainThread;
}

/**
 * Set by the entry module once it loaded the files: what it loaded (the files, absolute, the
 * version of each, and whether it overrode). A process the program starts with its environment
 * (a cluster worker, `child_process.fork`, PM2's cluster mode: all get `--import` again through
 * `execArgv` or NODE_OPTIONS) inherits the variables already, and loading again would ask the
 * keys again in each (a KMS call each; a passphrase prompt no worker can answer) and put back a
 * variable the program removed before starting it. A process whose files or working directory
 * differ, whose files changed since (a supervisor such as nodemon, or `npm run` under
 * NODE_OPTIONS, restarting the program after `hush set`), or that was started without this
 * variable, loads. A file cannot set it (HUSH_ names are refused).
 */
export const LOADED_VARIABLE = "HUSH_ENV_LOADED";

/**
 * The value of {@link LOADED_VARIABLE} for what `env` makes the entry module load from `cwd`, or
 * undefined when a file cannot be looked at (loading then says why). Computed before loading: a
 * file replaced while it is read is then marked with its earlier version, and loads again.
 */
function loadedMark(env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  const files = startupEnvFiles(env, cwd);
  const versions = files === undefined ? undefined : fileVersions(files);
  return versions === undefined ? undefined : JSON.stringify({ files, versions, override: overrideRequested(env) });
}

/**
 * Whether the thread that started this worker thread loaded what `env` makes the entry module load
 * from `cwd`: its {@link LOADED_VARIABLE}, which the worker's copy of the environment holds, names
 * the same files and override. Their versions are not compared: a worker started after `hush set`
 * changed a file would otherwise decrypt on its own (a KMS call, a passphrase prompt no worker can
 * answer) and differ from the rest of the program. A worker whose starting thread loaded nothing
 * (the loader imported in the worker's own code, a worker pool's setup file) loads: it did nothing
 * there, and the worker ran without its secrets, or without a word about a missing file.
 */
export function loadedByStartingThread(env: Readonly<Record<string, string | undefined>> = process.env, cwd: string = process.cwd()): boolean {
  const inherited = env[LOADED_VARIABLE];
  if (inherited === undefined) return false;
  try {
    const { files, override } = JSON.parse(inherited) as { files?: unknown; override?: unknown };
    return JSON.stringify(files) === JSON.stringify(startupEnvFiles(env, cwd)) && override === overrideRequested(env);
  } catch {
    return false; // not a mark of this loader's, or an override that loading will refuse
  }
}

/**
 * Which version of each file is there, without reading it: `hush set` and `edit` replace a file
 * (a new inode), an editor rewrites it (a new modification or change time, often a new size).
 */
function fileVersions(files: readonly string[]): string[] | undefined {
  try {
    return files.map((file) => {
      const st = statSync(file);
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    });
  } catch {
    return undefined;
  }
}

function failureOf(err: unknown): StartupFailure {
  return { status: exitCodeOfError(err), message: printable(err instanceof Error ? err.message : String(err), 4000) };
}

/**
 * What `import "@hush/cli/config"` does (see env-config.ts), as a function, so that a bundled
 * build can run it from a module format without top-level await: loads HUSH_ENV_FILE (default
 * `.env.enc`) into `process.env`; on failure prints one line naming the file (never a value) and
 * exits with hush's status for that error.
 */
export async function loadEnvAtStartup(): Promise<void> {
  if (startedForKey(process.env) || isHushCommand()) return;
  if (inWorkerThread() && loadedByStartingThread()) return;
  try {
    const mark = loadedMark(process.env, process.cwd());
    if (mark !== undefined && process.env[LOADED_VARIABLE] === mark) return;
    await loadEnv({ override: overrideRequested(process.env) });
    if (mark !== undefined) process.env[LOADED_VARIABLE] = mark;
  } catch (err) {
    const failure = failureOf(err);
    process.stderr.write(`hush: ${failure.message}\n`);
    process.exit(failure.status);
  }
}

/**
 * For `require("hush-secrets/config")` from a running program (its own code, `-e`, standard
 * input; a `-r` before a program file holds the entry back instead): CommonJS cannot wait for the
 * decryption, so the requiring thread runs this in a worker thread and blocks until it answers
 * (the bundle's build/config-require.cjs). Loads the files into `env` (the worker's copy of the
 * environment) as {@link loadEnvAtStartup} does and gives back the variables to set, in order,
 * or the failure for the requiring thread to print. Never throws.
 */
export async function loadEnvForRequiringThread(
  env: Record<string, string | undefined> = process.env,
): Promise<{ readonly vars: ReadonlyArray<readonly [string, string]> } | StartupFailure> {
  if (startedForKey(env)) return { vars: [] };
  try {
    const mark = loadedMark(env, process.cwd());
    if (mark !== undefined && env[LOADED_VARIABLE] === mark) return { vars: [] };
    const { set } = await loadEnv({ env, override: overrideRequested(env) });
    const vars = set.map((name) => [name, env[name] ?? ""] as const);
    return { vars: mark === undefined ? vars : [...vars, [LOADED_VARIABLE, mark] as const] };
  } catch (err) {
    return failureOf(err);
  }
}
