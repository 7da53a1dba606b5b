import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { findCreationRule, parseSopsConfig, type CreationRule, type SopsConfig } from "@hush/core";
import { refuseUntrustedConfig } from "./config-trust.ts";
import { CliError, EXIT } from "./exit-codes.ts";

/** A loaded `.sops.yaml` and the directory its path rules are relative to. */
export interface LoadedConfig {
  readonly path: string;
  readonly dir: string;
  readonly config: SopsConfig;
}

/**
 * Finds `.sops.yaml` as SOPS does: `--config`/`SOPS_CONFIG`, else from the working directory
 * upwards (100 levels). `.sops.yml` is never used. A missing config is not an error. A config
 * found by the search must pass the ownership rule (see `refuseUntrustedConfig`); a path the user
 * named is their choice and is read as it is.
 */
export async function loadConfig(cwd: string, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  let path: string | undefined;
  let searched = false;
  if (explicit !== undefined && explicit !== "") {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(EXIT.generic, `${explicit}: config file not found`);
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
    throw new CliError(EXIT.generic, `${path}: cannot read config file`);
  }
  try {
    if (searched) refuseUntrustedConfig(path, lstatSync(path), fstatSync(fd));
    return readFileSync(fd, "utf8");
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(EXIT.generic, `${path}: cannot read config file`);
  } finally {
    closeSync(fd);
  }
}

/** The creation rule for a file, matched against its path relative to the config's directory. */
export async function creationRuleFor(loaded: LoadedConfig | undefined, filePath: string, cwd: string): Promise<CreationRule | undefined> {
  if (loaded === undefined) return undefined;
  const abs = isAbsolute(filePath) ? filePath : resolve(cwd, filePath);
  const rel = relative(loaded.dir, abs);
  const target = rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
  return findCreationRule(loaded.config, target.split(sep).join("/"));
}
