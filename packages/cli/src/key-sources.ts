import { isAbsolute } from "node:path";
import { keyBackend, type KeySource, type KeySourceResolver, type MasterKeyRecipient } from "@hush/core";
import { registerHushKeyBackends } from "./backends.ts";

/**
 * Builds key sources from the environment on first need, through the key backends' `load`. Each
 * backend's implementation is imported only when a file has entries of its kind: decrypting an
 * age-only file never loads the AWS SDK or spawns gpg (start-up time matters for git's diff
 * driver and deploy scripts). `chosen` are the keys the user named on the command line, never
 * those of a `.sops.yaml` or a file (backends trust the settings of chosen keys).
 */
export function createKeySourceResolver(env: Readonly<Record<string, string | undefined>>, chosen: readonly MasterKeyRecipient[] = []): KeySourceResolver {
  registerHushKeyBackends();
  const cache = new Map<string, Promise<KeySource | undefined>>();
  const make = async (kind: string): Promise<KeySource | undefined> => {
    const backend = keyBackend(kind);
    if (backend?.load === undefined) return undefined;
    return backend.load({
      env,
      homeDir: homeDirectory(env),
      passphrase: async (what) => (await import("./passphrase.ts")).promptPassphrase(what),
      ask: async (prompt, options) => (await import("./passphrase.ts")).askOnTerminal(prompt, options),
      chosen,
    });
  };
  return (kind) => {
    let p = cache.get(kind);
    if (p === undefined) {
      p = make(kind);
      cache.set(kind, p);
    }
    return p;
  };
}

/**
 * The home directory key sources look in (`~/.config/sops/age/keys.txt`, `~/.ssh`,
 * `~/.vault-token`, gcloud's credentials), or "" when none is known, which they skip. HOME when it
 * is an absolute path, none when it is set otherwise; unset, the user's entry in the system's user
 * database. A relative HOME (`HOME=.`) would make those names relative to the working
 * directory, a repository someone else wrote; and a user without an entry (a container's numeric
 * UID) with HOME unset ended every decrypt with Node's "uv_os_homedir returned ENOENT", though
 * SOPS_AGE_KEY_FILE named the key.
 */
function homeDirectory(env: Readonly<Record<string, string | undefined>>): string {
  const home = env["HOME"];
  // Set empty, it means none, as for SOPS (Go's os.UserHomeDir): `HOME= hush verify` tries the named key alone.
  if (home !== undefined) return isAbsolute(home) ? home : "";
  try {
    // node:os only when HOME is unset (it is rarely needed, and every module costs start-up time).
    const entry = process.getBuiltinModule("node:os").userInfo().homedir;
    return isAbsolute(entry) ? entry : "";
  } catch {
    return "";
  }
}
