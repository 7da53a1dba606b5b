import type { KeySourceResolver } from "@hush/core";
import { createKeySourceResolver } from "./key-sources.ts";

export { runCli } from "./main.ts";
export type { CliIo } from "./io.ts";
export { EXIT, exitCodeFor } from "./exit-codes.ts";
export { loadEnv, DEFAULT_ENV_FILE, type LoadEnvOptions, type LoadEnvResult } from "./load-env.ts";
export { KEY_BACKENDS, registerHushKeyBackends } from "./backends.ts";
// An encrypted file's or text's values in memory, without process.env: for a program installed
// with the one package (hush-secrets), which has no @hush/core of its own.
export { decryptFile, decryptText, isHushError, type DecryptOptions, type FileOptions } from "@hush/core";

/**
 * The key discovery `hush` itself uses, for a Node program: age identities from
 * SOPS_AGE_KEY / SOPS_AGE_KEY_FILE / SOPS_AGE_SSH_PRIVATE_KEY_FILE and the default key file, PGP
 * through `gpg`, AWS KMS through the AWS SDK's credential chain. Each backend is loaded only
 * when a file needs it. Registers hush's key backends (backends.ts) with `@hush/core`.
 */
export function defaultKeySources(env: Readonly<Record<string, string | undefined>> = process.env): KeySourceResolver {
  return createKeySourceResolver(env);
}
