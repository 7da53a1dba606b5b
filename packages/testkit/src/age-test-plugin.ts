import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The test plugin's source (CommonJS, run by this Node): see its header for what it does. */
const PLUGIN_SOURCE = resolve(fileURLToPath(new URL("../plugins/age-plugin-hushtest.cjs", import.meta.url)));

/** An installed test plugin: put `binDir` first on PATH to let age and hush find it. */
export interface AgeTestPlugin {
  /** The directory holding `age-plugin-hushtest`. */
  readonly binDir: string;
  /** `binDir`, then the test process's PATH. */
  readonly path: string;
}

/** A key pair of the test plugin: `AGE-PLUGIN-HUSHTEST-1…` and `age1hushtest1…`. */
export interface AgeTestPluginKeyPair {
  readonly identity: string;
  readonly recipient: string;
}

/**
 * Writes an executable `age-plugin-<name>` into `<dir>/bin` that runs the test plugin with this
 * Node. `name` other than "hushtest" installs the same program under another name (its keys are
 * still `…hushtest…`), for tests about which program runs.
 */
export function installAgeTestPlugin(dir: string, name = "hushtest"): AgeTestPlugin {
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const program = join(binDir, `age-plugin-${name}`);
  writeFileSync(program, `#!${process.execPath}\nrequire(${JSON.stringify(PLUGIN_SOURCE)});\n`);
  chmodSync(program, 0o755);
  return { binDir, path: `${binDir}:${process.env["PATH"] ?? "/usr/bin:/bin"}` };
}

/** A fresh key pair of the test plugin (its `--keygen`). */
export function ageTestPluginKeyPair(): AgeTestPluginKeyPair {
  const [identity, recipient] = execFileSync(process.execPath, [PLUGIN_SOURCE, "--keygen"], { encoding: "utf8" }).trim().split("\n");
  if (identity === undefined || recipient === undefined) throw new Error("age-plugin-hushtest --keygen printed no key pair");
  return { identity, recipient };
}
