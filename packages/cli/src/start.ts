import { exitOnClosedPipe, handleQuitWithoutCoreDump, writeErrorsTaken } from "./io.ts";
import { runCli } from "./main.ts";
import { processTitleFor } from "./process-title.ts";
import { workingDirectory } from "./working-directory.ts";

/**
 * Runs `hush` as a program: this process's arguments, streams and environment, with the exit
 * status set on the process. Shared by the workspace's bin script and the bundled builds.
 */
export async function startCli(): Promise<void> {
  // Before anything can wait: a value on the command line leaves the process list at once.
  const title = processTitleFor(process.argv.slice(2));
  if (title !== undefined) process.title = title;
  handleQuitWithoutCoreDump();
  // Node builds each of process.stdin, stdout and stderr on first access, as a socket, file or
  // terminal stream with the modules behind it (net, fs streams, readline): a decrypt of a named
  // file writes stdout only, so a stream is built when a command first uses it, not before.
  let stdout: NodeJS.WriteStream | undefined;
  let stderr: NodeJS.WriteStream | undefined;
  process.exitCode = await runCli(process.argv.slice(2), {
    get stdout() {
      return (stdout ??= exitQuietlyOnClosedPipe(process.stdout));
    },
    get stderr() {
      return (stderr ??= exitQuietlyOnClosedPipe(process.stderr));
    },
    get stdin() {
      return process.stdin;
    },
    get stdoutFd() {
      return stdout === undefined ? 1 : undefined;
    },
    env: process.env,
    get cwd() {
      return workingDirectory();
    },
  });
  // A SIGQUIT that came during the last synchronous write is read in the event loop's poll phase,
  // which a run ending now would not reach: two turns let its handler end hush with 131.
  await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/**
 * `hush … | head` closes the pipe early: that is not an error worth a stack trace. While a
 * command's output is relayed to the stream, the relay handles its errors (`takeWriteErrors`).
 */
function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (writeErrorsTaken(stream)) return;
    if (err.code === "EPIPE") exitOnClosedPipe();
    throw err;
  });
  return stream;
}
