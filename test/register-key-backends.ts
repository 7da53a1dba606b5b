// Registers hush's key backends (the CLI's list) before each unit-test file, as `hush` does at
// start-up: the metadata codec, `.sops.yaml` and key discovery read key kinds from the registry.
import { registerHushKeyBackends } from "../packages/cli/src/backends.ts";

registerHushKeyBackends();
