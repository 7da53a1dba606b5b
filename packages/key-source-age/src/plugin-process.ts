/**
 * Running an age plugin program: finding `age-plugin-<name>` on PATH, one session over its
 * standard input and output, and making sure it never outlives hush.
 *
 * Only a program found in an absolute PATH directory is run: a relative entry (`.`, an empty
 * entry, `bin`) would find a program in the current directory, which in a cloned repository is
 * the repository's own (age refuses those too, through Go's execabs). The name was validated
 * before (plugin-names.ts), so it is a plain file name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { endWithHush, findProgramOnPath, HushError, keyProgramDirectory, keyProgramEnvironment, printable } from "@hush/core";
import { pluginProgram } from "./plugin-names.ts";
import { encodeStanza, PluginWireError, StanzaReader, type WireStanza } from "./plugin-wire.ts";

/** How long a plugin may take to exit once its session is over, before it is killed. */
const EXIT_GRACE_MS = 2000;
/** Silence after which the user is told hush is waiting on the plugin (age says so after 5 s). */
const WAITING_NOTICE_MS = 5000;
/** The last bytes of the plugin's standard error kept, to explain a plugin that dies. */
const STDERR_TAIL = 2048;

/** The absolute path of `age-plugin-<name>` in PATH's absolute directories, or undefined. */
export function findPluginProgram(name: string, env: Readonly<Record<string, string | undefined>>): string | undefined {
  return findProgramOnPath(pluginProgram(name), env);
}

/** Errors that say a plugin could not run or answered with a failure (not that an entry is malformed). */
const pluginFailures = new WeakSet<object>();

function pluginFailure(name: string, why: string, hint?: string): HushError {
  const err = new HushError("KEY_SOURCE_FAILED", `${pluginProgram(name)}: ${why}`, hint === undefined ? undefined : { hint });
  pluginFailures.add(err);
  return err;
}

/** Whether `err` is a plugin's failure (not installed, cannot start, broke the protocol, answered an error). */
export function isPluginFailure(err: unknown): boolean {
  return typeof err === "object" && err !== null && pluginFailures.has(err);
}

/** Sessions run one at a time: two plugins asking for a PIN at once would share one terminal. */
let queue: Promise<unknown> = Promise.resolve();

/** One conversation with a running plugin. */
export class PluginSession {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #reader: StanzaReader;
  readonly #onWaiting: () => void;
  #stderr = "";
  readonly #exited: Promise<void>;
  readonly #killNow = (): void => void this.#child.kill("SIGKILL");
  /** Stops killing the plugin when hush ends (by a signal, when nothing else decides: signal-cleanup.ts). */
  readonly #unhook: () => void;

  private constructor(name: string, child: ChildProcess, onWaiting: () => void, unhook: () => void) {
    this.name = name;
    this.#child = child;
    this.#unhook = unhook;
    this.#onWaiting = onWaiting;
    this.#reader = new StanzaReader(child.stdout!);
    // A plugin that exits early makes writes fail (EPIPE): reading then reports what happened.
    child.stdin!.on("error", () => undefined);
    child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
  }

  /**
   * Runs `session` with a fresh `age-plugin-<name> --age-plugin=<protocol>` (after any session
   * already running), and always ends the plugin afterwards.
   *
   * @throws HushError `KEY_SOURCE_FAILED` when the plugin is not installed or cannot start, or
   *   what `session` throws.
   */
  static run<T>(
    name: string,
    protocol: "recipient-v1" | "identity-v1",
    env: Readonly<Record<string, string | undefined>>,
    onWaiting: () => void,
    session: (s: PluginSession) => Promise<T>,
  ): Promise<T> {
    const result = queue.then(async () => {
      const path = findPluginProgram(name, env);
      if (path === undefined) {
        throw pluginFailure(name, "not found in PATH", `install the ${pluginProgram(name)} program (the age plugin for this key) in a directory on PATH`);
      }
      const childEnv = keyProgramEnvironment(env);
      // Plugins must not depend on the working directory (age runs them in the temporary
      // directory); hush's choice is one no other user can write, as for the Azure CLI.
      // A plugin never outlives hush: killed when hush exits or is interrupted. Watched before it
      // starts: it runs from the fork on, and a SIGTERM that came before its start was reported
      // found no handler and ended hush by Node's default, the plugin left running.
      let child: ChildProcess | undefined;
      const unhook = endWithHush(() => void child?.kill("SIGKILL"));
      let started: Error | undefined;
      try {
        child = spawn(path, [`--age-plugin=${protocol}`], { cwd: keyProgramDirectory(), env: childEnv, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
        const spawned = child;
        started = await new Promise<Error | undefined>((resolve) => {
          spawned.once("spawn", () => resolve(undefined));
          spawned.once("error", (err) => resolve(err));
        });
      } catch (err) {
        unhook();
        throw err;
      }
      if (started !== undefined) {
        unhook();
        throw pluginFailure(name, `cannot start ${printable(path)} (${(started as { code?: string }).code ?? started.message})`);
      }
      const s = new PluginSession(name, child, onWaiting, unhook);
      try {
        return await session(s);
      } finally {
        await s.#close();
      }
    });
    queue = result.catch(() => undefined);
    return result;
  }

  /** Sends one stanza to the plugin. */
  send(type: string, args: readonly string[] = [], body?: Uint8Array): void {
    const stdin = this.#child.stdin!;
    if (!stdin.destroyed && stdin.writable) stdin.write(encodeStanza(type, args, body));
  }

  /** The plugin's next stanza. @throws HushError when its output is malformed or ends. */
  async next(): Promise<WireStanza> {
    const timer = setTimeout(this.#onWaiting, WAITING_NOTICE_MS);
    try {
      return await this.#reader.next();
    } catch (err) {
      if (!(err instanceof PluginWireError)) throw err;
      throw pluginFailure(this.name, `${err.message}${await this.#exitNote()}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The plugin's own `error` answer. */
  failed(why: string): HushError {
    return pluginFailure(this.name, why);
  }

  /** A protocol violation by the plugin. */
  broken(why: string): HushError {
    return pluginFailure(this.name, `broke the age plugin protocol: ${why}`);
  }

  /** A note with the exit status and the last line of standard error once the plugin has exited, else "". */
  async #exitNote(): Promise<string> {
    const exited = await Promise.race([this.#exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    if (!exited) return "";
    const { exitCode, signalCode } = this.#child;
    const status = signalCode !== null ? `was killed by ${signalCode}` : `exited with status ${exitCode ?? "?"}`;
    const last = this.#stderr.trim().split("\n").at(-1)?.trim() ?? "";
    return ` (it ${status}${last === "" ? "" : `: ${printable(last, 300)}`})`;
  }

  /** Closes its input and asks it to stop (SIGINT, as age does); kills it if it does not. */
  async #close(): Promise<void> {
    this.#child.stdin!.end();
    this.#child.kill("SIGINT");
    const timer = setTimeout(this.#killNow, EXIT_GRACE_MS);
    await this.#exited;
    clearTimeout(timer);
    this.#child.stdout!.destroy();
    this.#child.stderr!.destroy();
    this.#unhook();
  }
}
