import { describeInstallation } from "../../cli/src/installation.ts";
import { startCli } from "../../cli/src/start.ts";

declare const HUSH_VERSION: string;

// The standalone executable: Node and the CLI in one file, started again by its own path.
describeInstallation({ version: HUSH_VERSION, command: [process.execPath] });
void startCli();
