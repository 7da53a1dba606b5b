/**
 * Makes reads of `fd` wait for data instead of failing with EAGAIN, and says whether it could.
 *
 * A socket handed over as standard input can be non-blocking: the program that made it set
 * O_NONBLOCK (an event loop does), a flag of the open file, which hush's copy shares. Node has no
 * synchronous wait for readability nor a way to clear the flag, but starting a program clears it:
 * Node's process library makes a child's standard input blocking before it runs the program, and
 * the flag belongs to the open file, so hush's reads of it wait from then on too. The program is
 * `/bin/sh` doing nothing; even one that could not be started has had the flag cleared. The flag
 * stays cleared for every holder of that open file: the program that handed it over and still
 * reads it itself would then wait in its reads too, which a reader sharing hush's input with hush
 * already cannot rely on.
 *
 * node:child_process is loaded here, on this rare path, not at every start.
 */
export function makeReadsBlock(fd: number): boolean {
  if (process.platform === "win32") return false;
  try {
    const { spawnSync } = process.getBuiltinModule("node:child_process");
    spawnSync("/bin/sh", ["-c", ":"], { stdio: [fd, "ignore", "ignore"], env: {}, cwd: "/" });
    return true;
  } catch {
    return false;
  }
}
