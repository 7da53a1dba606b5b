/**
 * What hush shows in the process list instead of its arguments when they may hold a secret:
 * `hush set FILE PATH VALUE` and SOPS's `--set 'PATH VALUE'` take the value on the command line,
 * and /proc/PID/cmdline (`ps`) shows it to every user of the machine for as long as hush runs:
 * while it waits for another writer's lock, a key service or a confirmation, without end.
 * Undefined when nothing is hidden (the arguments stay visible, as for any program).
 *
 * An argument equal to `set` is enough, wherever it is (after global options, or a file of
 * that name): hiding the arguments of a command that did not need it costs nothing but detail
 * in `ps`.
 */
export function processTitleFor(args: readonly string[]): string | undefined {
  if (args.includes("set")) return "hush set";
  if (args.some((a) => a === "--set" || a.startsWith("--set="))) return "hush --set";
  return undefined;
}
