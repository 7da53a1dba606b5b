import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { findCreationRule, parseSopsConfig, type CreationRule, type SopsConfig } from "@hush/core";
import { CliError, EXIT } from "./exit-codes.ts";

/** A loaded `.sops.yaml` and the directory its path rules are relative to. */
export interface LoadedConfig {
  readonly path: string;
  readonly dir: string;
  readonly config: SopsConfig;
}

/**
 * Finds `.sops.yaml` as SOPS does: `--config`/`SOPS_CONFIG`, else from the working directory
 * upwards (100 levels). `.sops.yml` is never used. A missing config is not an error.
 */
export async function loadConfig(cwd: string, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  let path: string | undefined;
  if (explicit !== undefined && explicit !== "") {
    path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new CliError(EXIT.generic, `${explicit}: config file not found`);
  } else {
    let dir = cwd;
    for (let i = 0; i < 100; i++) {
      const candidate = join(dir, ".sops.yaml");
      if (existsSync(candidate)) {
        path = candidate;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new CliError(EXIT.generic, `${path}: cannot read config file`);
  }
  try {
    return { path, dir: dirname(path), config: await parseSopsConfig(text) };
  } catch (err) {
    if (err instanceof Error) err.message = `${path}: ${err.message}`;
    throw err;
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
