/**
 * Finding a program by name the way hush may run one: only in PATH's absolute directories. An
 * empty or relative PATH entry (`.`, a trailing `:`, `bin`) means the working directory, which in
 * a cloned repository is the repository's own files (age refuses those too, through Go's execabs);
 * a file that names a key kind must never make hush run a program the repository brought.
 */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import { HushError } from "./errors.ts";

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
