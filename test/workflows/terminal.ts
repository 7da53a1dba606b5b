import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A real terminal for editor tests: a private tmux server (its own socket, no config file) running
 * one command in a 120×40 window, driven with send-keys and read with capture-pane. The command's
 * exit status is written to a file so the test can wait for it.
 */

export interface Terminal {
  /** Types keys (tmux send-keys names: "Enter", "Escape", or literal text with `literal`). */
  keys(...keys: string[]): void;
  /** Types text as is. */
  type(text: string): void;
  /** The visible screen. */
  screen(): string;
  /** Waits until the screen satisfies `test`; returns the screen. */
  waitForScreen(test: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Waits for the command to finish; returns its exit status. */
  waitForExit(timeoutMs?: number): Promise<number>;
  close(): void;
}

function requireTool(name: string, hint: string): void {
  const r = spawnSync("sh", ["-c", `command -v ${name}`]);
  if (r.status !== 0) throw new Error(`${name} is not installed: ${hint} (scripts/install-test-tools.sh does it)`);
}

/** Fails with what to install when tmux or vi is missing. */
export function requireTerminalTools(): void {
  requireTool("tmux", "install tmux");
  requireTool("vi", "install vim (Debian: apt-get install vim)");
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Starts `argv` in `cwd` with exactly `env` (plus TERM) in a new tmux server under `dir`. */
export function openTerminal(dir: string, name: string, argv: readonly string[], cwd: string, env: Record<string, string>): Terminal {
  requireTerminalTools();
  const socket = join(dir, `${name}.tmux`);
  const status = join(dir, `${name}.status`);
  const script = join(dir, `${name}.sh`);
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
    .join("\n");
  writeFileSync(script, `cd ${shellQuote(cwd)}\n${exports}\n${argv.map(shellQuote).join(" ")}\necho $? > ${shellQuote(status)}\nexec sleep 600\n`);
  const tmux = (...args: string[]): string => {
    const r = spawnSync("tmux", ["-S", socket, "-f", "/dev/null", ...args], { encoding: "utf8", env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", TERM: "xterm-256color", HOME: env["HOME"] ?? dir } });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  };
  tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", "t", `sh ${shellQuote(script)}`);
  const term: Terminal = {
    keys: (...keys) => void tmux("send-keys", "-t", "t", ...keys),
    type: (text) => void tmux("send-keys", "-t", "t", "-l", text),
    screen: () => tmux("capture-pane", "-p", "-t", "t"),
    waitForScreen: async (test, what, timeoutMs = 20_000) => {
      const end = Date.now() + timeoutMs;
      let last = "";
      while (Date.now() < end) {
        last = term.screen();
        if (test(last)) return last;
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
    },
    waitForExit: async (timeoutMs = 30_000) => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if (existsSync(status)) {
          const text = readFileSync(status, "utf8").trim();
          if (text !== "") return Number(text);
        }
        await sleep(100);
      }
      throw new Error(`timed out waiting for the command to finish; the screen:\n${term.screen()}`);
    },
    close: () => {
      spawnSync("tmux", ["-S", socket, "kill-server"]);
    },
  };
  return term;
}
