import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * What this installation of hush is: its version and how to start it again (for git's drivers).
 * The workspace build reads both from its files; a bundled build, whose modules no longer sit
 * next to package.json and bin/, states them once at start with `describeInstallation`.
 */

interface Installation {
  readonly version: string;
  /** The words that start this hush: node and the entry script, or one standalone executable. */
  readonly command: readonly string[];
}

let stated: Installation | undefined;

/** Called once by a bundled entry point, before the CLI runs. */
export function describeInstallation(installation: Installation): void {
  stated = installation;
}

/** The CLI package's version. */
export function installedVersion(): string {
  if (stated !== undefined) return stated.version;
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** How to start this hush again, as words for a shell. */
export function installedCommand(): readonly string[] {
  return stated?.command ?? [process.execPath, fileURLToPath(new URL("../bin/hush.js", import.meta.url))];
}
