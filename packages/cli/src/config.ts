import { configRelativePath, findCreationRule, isHushError, loadSopsConfig, resolveCreation, type CreationOverrides, type CreationRule, type CreationSettings, type LoadedConfig } from "@hush/core";

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
  try {
    return await findCreationRule(loaded.config, configRelativePath(loaded, filePath, cwd));
  } catch (err) {
    throw inConfig(err, loaded);
  }
}

/** A rule's error (a `path_regex` that does not compile) names the config it is in, not the file matched. */
function inConfig(err: unknown, loaded: LoadedConfig | undefined): unknown {
  return loaded !== undefined && isHushError(err, "CONFIG_INVALID") ? err.withFile(loaded.path) : err;
}

/**
 * The keys, groups, threshold and rules a new file is created with: `.sops.yaml`'s creation rule
 * for it and the command-line flags, with SOPS's precedence (core's `resolveCreation`).
 */
export async function creationSettingsFor(loaded: LoadedConfig | undefined, filePath: string, cwd: string, overrides: CreationOverrides): Promise<CreationSettings> {
  const relativePath = configRelativePath(loaded, filePath, cwd);
  try {
    return await resolveCreation(loaded?.config, relativePath, overrides);
  } catch (err) {
    // A threshold from the command line that the groups cannot meet: about the file being made.
    if (isHushError(err, "INVALID_ARGUMENT")) throw err.withFile(filePath);
    if (!isHushError(err, "CONFIG_NO_MATCH")) throw inConfig(err, loaded);
    // The first line stays SOPS's (scripts match on it); the next step depends on the cause.
    // Located: the message names the path already.
    throw err.withDetails([noRuleNextStep(loaded, relativePath, (overrides.keys ?? []).length > 0)], { located: true });
  }
}

const NAME_THE_KEYS = "name the keys (--age age1…, --pgp FINGERPRINT, --kms ARN, …)";

/**
 * What to do when no creation rule gives a new file its keys: no config, no rules, or no match
 * (which key flags do not get around, as in SOPS: a newcomer expects them to).
 */
function noRuleNextStep(loaded: LoadedConfig | undefined, relativePath: string, keysGiven: boolean): string {
  if (loaded === undefined) return `next: ${NAME_THE_KEYS}, or write a .sops.yaml with a creation rule for the file (\`hush help encrypt\` shows one)`;
  if (loaded.config.listsCreationRules !== true) return `next: add creation_rules to ${loaded.path}, or ${NAME_THE_KEYS}`;
  const addRule = `next: add a creation rule whose path_regex matches ${relativePath} (relative to ${loaded.dir}) to ${loaded.path}`;
  return keysGiven ? `${addRule}; as in SOPS, its rules apply with key flags too: --config /dev/null uses the flags alone` : `${addRule}, or name another config with --config`;
}
