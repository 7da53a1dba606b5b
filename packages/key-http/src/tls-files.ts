import { readFileSync } from "node:fs";
import { HushError, printable } from "@hush/core";

/**
 * Reads the PEM file named by the environment variable `name` (a CA bundle, a client certificate
 * or key), or undefined when the variable is unset or empty.
 *
 * @throws HushError KEY_SOURCE_FAILED naming the variable and path when the file cannot be read
 */
export function readPemFromEnv(env: Readonly<Record<string, string | undefined>>, name: string): Buffer | undefined {
  const path = env[name];
  if (path === undefined || path === "") return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new HushError("KEY_SOURCE_FAILED", `cannot read ${name} ${printable(path)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}
