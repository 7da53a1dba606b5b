import { readSettingFile } from "./local-failure.ts";

/**
 * Reads the PEM file named by the environment variable `name` (a CA bundle, a client certificate
 * or key), or undefined when the variable is unset or empty.
 *
 * @throws HushError KEY_SOURCE_FAILED (BadConfiguration) naming the variable and path when the
 *   file cannot be read: no request is sent without the trust or identity the user asked for
 */
export function readPemFromEnv(env: Readonly<Record<string, string | undefined>>, name: string): Buffer | undefined {
  const path = env[name];
  if (path === undefined || path === "") return undefined;
  return readSettingFile(path, name, "BadConfiguration", `correct or unset ${name}`);
}
