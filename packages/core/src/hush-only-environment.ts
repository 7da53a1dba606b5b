import { checkObject, checkString } from "./arguments.ts";

/**
 * Variables hush sets in its own `process.env` for a library that reads them there and nowhere
 * else (the AWS SDK: where its config files are, whether it warns about Node's version). They are
 * hush's guards, not the user's settings: a program hush starts (the command of `exec-env`, an
 * editor, a key command, gpg) gets the environment the user gave hush, where an `aws` CLI run by
 * the command read `/dev/null` for the user's own config and credentials.
 */

/** The user's value of each variable hush set for itself (undefined: it was not set). */
const usersValues = new Map<string, string | undefined>();

/**
 * Sets `name` to `value` in `process.env` for hush's own use; programs hush starts get the user's
 * value back (see {@link userEnvironment}).
 */
export function setForHushOnly(name: string, value: string): void {
  checkString(name, "the variable's name");
  checkString(value, "the variable's value");
  if (!usersValues.has(name)) usersValues.set(name, process.env[name]);
  process.env[name] = value;
}

/**
 * A copy of `env` with its variables that are set (a program's environment), and, when `env` is
 * `process.env`, those hush set for itself ({@link setForHushOnly}) as the user had them. The
 * record has no prototype: `__proto__` set on it by name is a variable like any other.
 */
export function userEnvironment(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  checkObject(env, "the environment");
  const out = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  if (env !== process.env) return out;
  for (const [name, value] of usersValues) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out;
}
