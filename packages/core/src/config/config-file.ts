import { checkString } from "../arguments.ts";
import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { HushError, isHushError } from "../errors.ts";
import { leadsOutside } from "../path-outside.ts";
import { MAX_DOCUMENT_BYTES, readToEnd, tooLargeMessage } from "../read-bounded.ts";
import { refuseUntrustedConfig } from "./config-trust.ts";
import { parseSopsConfig, type SopsConfig } from "./sops-config.ts";

/** A loaded `.sops.yaml` and the directory its path rules are relative to. */
export interface LoadedConfig {
  readonly path: string;
  readonly dir: string;
  readonly config: SopsConfig;
}

/**
 * Finds and reads `.sops.yaml` as SOPS does: `explicit` (resolved against `cwd`) when given,
 * else the nearest `.sops.yaml` from `cwd` upwards (100 levels). `.sops.yml` is never used.
 * A config found by the search must pass the ownership rule (see `refuseUntrustedConfig`); a
 * path the caller named (`--config`, `SOPS_CONFIG`) is their choice and is read as it is.
 * @returns undefined when there is no config file (not an error).
 * @throws HushError CONFIG_INVALID when `explicit` does not exist, a found file cannot be read,
 *   a searched-for one fails the ownership rule, or it is not a valid config (the message starts
 *   with the file's path).
 */
export async function loadSopsConfig(cwd: string, explicit?: string): Promise<LoadedConfig | undefined> {
  checkString(cwd, "the directory");
  if (explicit !== undefined) checkString(explicit, "the config path");
  let path: string | undefined;
  let searched = false;
  if (explicit !== undefined && explicit !== "") {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new HushError("CONFIG_INVALID", `${explicit}: config file not found`);
  } else {
    let dir = cwd;
    for (let i = 0; i < 100; i++) {
      const candidate = join(dir, ".sops.yaml");
      if (existsSync(candidate)) {
        path = candidate;
        searched = true;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  if (path === undefined) return undefined;
  const text = readConfigText(path, searched);
  try {
    return { path, dir: dirname(path), config: await parseSopsConfig(text) };
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
  }
}

/**
 * Reads the config. One that was searched for is opened without blocking (a FIFO planted there
 * must not hang hush) and checked on the descriptor that is then read.
 */
function readConfigText(path: string, searched: boolean): string {
  let fd: number;
  try {
    fd = openSync(path, searched ? constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) : "r");
  } catch {
    throw new HushError("CONFIG_INVALID", `${path}: cannot read config file`);
  }
  try {
    const st = fstatSync(fd);
    if (searched) refuseUntrustedConfig(path, lstatSync(path), st);
    // A repository's config is read as any file is, never past the limit: one of 600 MB was read
    // whole (a second, a gigabyte) to fail as "cannot read config file", saying nothing of why.
    if (st.size > MAX_DOCUMENT_BYTES) throw new HushError("CONFIG_INVALID", `${path}: ${tooLargeMessage(MAX_DOCUMENT_BYTES)}`);
    // A pipe (`--config <(make-config)`) or a device has no size: read to the same limit.
    if (!st.isFile()) return readPipeText(fd, path);
    return readFileSync(fd, "utf8");
  } catch (err) {
    if (isHushError(err)) throw err;
    throw new HushError("CONFIG_INVALID", `${path}: cannot read config file`);
  } finally {
    closeSync(fd);
  }
}

function readPipeText(fd: number, path: string): string {
  try {
    return readToEnd(fd, path, MAX_DOCUMENT_BYTES).toString("utf8");
  } catch (err) {
    if (isHushError(err, "READ_FAILED")) throw new HushError("CONFIG_INVALID", `${path}: ${err.message}`);
    throw err;
  }
}

/**
 * A file's path as creation rules match it, with forward slashes: relative to the config's
 * directory, else absolute. SOPS cuts the config's directory and a separator off the start of the
 * file's absolute path (config.go parseCreationRuleForFile, strings.TrimPrefix), so a file outside
 * that directory keeps its absolute path, and so does every file under a config in the root
 * directory (`/` and a separator, `//`, start no path): a container's `/.sops.yaml` is matched
 * against `/app/secrets/a.yaml`, as SOPS matches it.
 */
export function configRelativePath(loaded: LoadedConfig | undefined, filePath: string, cwd: string): string {
  checkString(filePath, "the file path");
  checkString(cwd, "the directory");
  const abs = isAbsolute(filePath) ? filePath : resolve(cwd, filePath);
  if (loaded === undefined) return abs.split(sep).join("/");
  const dir = resolve(loaded.dir);
  const rel = relative(dir, abs);
  const target = leadsOutside(rel) || dirname(dir) === dir ? abs : rel;
  return target.split(sep).join("/");
}
