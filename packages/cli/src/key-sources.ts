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
      // node:os only when HOME is unset (it is rarely needed, and every module costs start-up time).
      homeDir: env["HOME"] ?? process.getBuiltinModule("node:os").homedir(),
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
