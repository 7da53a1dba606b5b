import { runCli } from "./main.ts";

/**
 * Runs `hush` as a program: this process's arguments, streams and environment, with the exit
 * status set on the process. Shared by the workspace's bin script and the bundled builds.
 */
export async function startCli(): Promise<void> {
  // `hush … | head` closes the pipe early: that is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  });
}
