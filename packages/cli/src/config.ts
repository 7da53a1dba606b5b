import { configRelativePath, findCreationRule, loadSopsConfig, resolveCreation, type CreationOverrides, type CreationRule, type CreationSettings, type LoadedConfig } from "@hush/core";

/**
 * `.sops.yaml` for the commands: found and read by core (`loadSopsConfig`), matched against a
 * file's path relative to the config's directory.
 */

export type { LoadedConfig };
export { configRelativePath };

/**
 * Finds `.sops.yaml` as SOPS does: `--config`/`SOPS_CONFIG`, else from the working directory
 * upwards (100 levels). `.sops.yml` is never used. A missing config is not an error.
 */
export function loadConfig(cwd: string, explicit: string | undefined): Promise<LoadedConfig | undefined> {
  return loadSopsConfig(cwd, explicit);
}

/** The creation rule for a file, matched against its path relative to the config's directory. */
export async function creationRuleFor(loaded: LoadedConfig | undefined, filePath: string, cwd: string): Promise<CreationRule | undefined> {
  if (loaded === undefined) return undefined;
  return findCreationRule(loaded.config, configRelativePath(loaded, filePath, cwd));
}

/**
 * The keys, groups, threshold and rules a new file is created with: `.sops.yaml`'s creation rule
 * for it and the command-line flags, with SOPS's precedence (core's `resolveCreation`).
 */
export async function creationSettingsFor(loaded: LoadedConfig | undefined, filePath: string, cwd: string, overrides: CreationOverrides): Promise<CreationSettings> {
  return resolveCreation(loaded?.config, configRelativePath(loaded, filePath, cwd), overrides);
}
