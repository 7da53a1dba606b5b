export { runCli } from "./main.ts";
export type { CliIo } from "./io.ts";
export { EXIT, exitCodeFor } from "./exit-codes.ts";
