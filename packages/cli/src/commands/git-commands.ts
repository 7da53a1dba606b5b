import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import type { ExitSink } from "../program.ts";

/** Registers git setup/uninstall/textconv/merge/resolve and check. Implementations are imported lazily inside each action. */
export function registerGitCommands(_program: Command, _io: CliIo, _setExit: ExitSink): void {}
