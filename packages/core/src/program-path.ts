/**
 * Finding a program by name the way hush may run one: only in PATH's absolute directories. An
 * empty or relative PATH entry (`.`, a trailing `:`, `bin`) means the working directory, which in
 * a cloned repository is the repository's own files (age refuses those too, through Go's execabs);
 * a file that names a key kind must never make hush run a program the repository brought.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { checkObject } from "./arguments.ts";
import { HushError } from "./errors.ts";
import { userEnvironment } from "./hush-only-environment.ts";

/** True when `path` is a regular file this process may execute (false for anything unreadable). */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `program` (a plain file name, no path separator) in the absolute
 * directories of `env`'s PATH (with PATHEXT's extensions on Windows), or undefined.
 * @throws HushError INVALID_ARGUMENT when `program` is not a plain file name (a name with a path
 *   separator, `.` or `..` would reach outside the PATH directories)
 */
export function findProgramOnPath(program: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const separator = process.platform === "win32" ? /[/\\\0]/ : /[/\0]/;
  if (typeof program !== "string" || program === "" || program === "." || program === ".." || separator.test(program)) {
    throw new HushError("INVALID_ARGUMENT", "a program to look up in PATH must be a plain file name");
  }
  const extensions = process.platform === "win32" ? ["", ...(env["PATHEXT"] ?? ".EXE;.CMD;.BAT;.COM").split(";")] : [""];
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    for (const ext of extensions) {
      const candidate = join(dir, program + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/**
 * The working directory for a program hush starts for a key (the Azure CLI, an age plugin). Not
 * the working directory, which may be a repository someone else wrote, and not a directory other
 * local users can write: a pip-installed `az` is `python -m azure.cli`, which imports from its
 * working directory first, and the system's temporary directory (`/tmp`) is open to every user of
 * the machine, who could put `azure/cli/__main__.py` there. So the temporary directory only when it
 * is the user's own and nobody else may write it (macOS's per-user `$TMPDIR`; Windows' `%TEMP%`,
 * where there are no Unix user ids) and named by an absolute path, otherwise the root directory.
 */
export function keyProgramDirectory(): string {
  // node:os only here, when a key program is about to run: decrypt's start-up does not load it.
  const temporary = process.getBuiltinModule("node:os").tmpdir();
  // A relative $TMPDIR (`.`, `tmp`) names a directory of the working directory.
  if (!isAbsolute(temporary)) return "/";
  const uid = process.getuid?.();
  if (uid === undefined) return temporary;
  try {
    const st = statSync(temporary);
    if (st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0) return temporary;
  } catch {
    // missing or unreadable: not a place to run anything in
  }
  return "/";
}

/**
 * Set in the environment of the programs hush starts for a key (a key command, an age plugin, the
 * Azure CLI). Such a program written in Node inherits NODE_OPTIONS, and with it the env loader a
 * user preloads there (`-r hush-secrets/config`): loading the files again there would start the
 * same program again, which would load them again, each waiting for the next, with no end. The
 * loader's entry modules do nothing where it is set.
 */
export const KEY_PROGRAM_VARIABLE = "HUSH_KEY_PROGRAM";

/** The env loader's package names, as NODE_OPTIONS preloads them (`-r hush-secrets/config`). */
const ENV_LOADER_PACKAGES: ReadonlySet<string> = new Set(["hush-secrets/config", "@hush/cli/config"]);

/**
 * NODE_OPTIONS without a preload of the env loader by its package name, which Node resolves from
 * the working directory and a key program runs elsewhere (keyProgramDirectory): there it would
 * not be found, and a key command written in Node would fail before it starts. A path resolves
 * anywhere and stays (the loader does nothing in a key program). Options with quotes are left as
 * they are.
 */
function withoutLoaderPreload(options: string): string {
  if (options.includes('"')) return options;
  const words = options.split(/\s+/).filter((w) => w !== "");
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const joined = /^--(?:require|import)=(.*)$/.exec(word);
    if (joined !== null && ENV_LOADER_PACKAGES.has(joined[1]!)) continue;
    if ((word === "-r" || word === "--require" || word === "--import") && ENV_LOADER_PACKAGES.has(words[i + 1] ?? "")) {
      i++;
      continue;
    }
    kept.push(word);
  }
  return kept.length === words.length ? options : kept.join(" ");
}

/**
 * The environment of a program hush starts for a key: `env`'s variables and
 * {@link KEY_PROGRAM_VARIABLE}, with NODE_OPTIONS' preload of the env loader by package name left
 * out.
 */
export function keyProgramEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  checkObject(env, "the environment");
  const out = userEnvironment(env);
  out[KEY_PROGRAM_VARIABLE] = "1";
  const options = out["NODE_OPTIONS"];
  if (options !== undefined) {
    const kept = withoutLoaderPreload(options);
    if (kept === "") delete out["NODE_OPTIONS"];
    else out["NODE_OPTIONS"] = kept;
  }
  return out;
}
