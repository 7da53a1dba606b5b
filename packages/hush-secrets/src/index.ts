import { join } from "node:path";
import { describeInstallation } from "../../cli/src/installation.ts";

declare const HUSH_VERSION: string;

// A program that uses the API and runs `hush git setup` through it gets this package's bin.
describeInstallation({ version: HUSH_VERSION, command: [process.execPath, join(__dirname, "..", "bin", "hush.cjs")] });

export * from "../../cli/src/index.ts";
