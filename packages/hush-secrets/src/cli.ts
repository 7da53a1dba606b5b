import { describeInstallation } from "../../cli/src/installation.ts";
import { startCli } from "../../cli/src/start.ts";

declare const HUSH_VERSION: string;

/** The bundled CLI, started by bin/hush.cjs (whose path git's drivers use to start it again). */
export function main(binScript: string): Promise<void> {
  describeInstallation({ version: HUSH_VERSION, command: [process.execPath, binScript] });
  return startCli();
}
