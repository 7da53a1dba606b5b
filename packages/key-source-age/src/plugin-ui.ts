/**
 * What an age plugin may ask of the user (`msg`, `request-secret`, `request-public`, `confirm`),
 * answered as age's terminal UI answers (`plugin/tui.go`): messages go to standard error; values
 * and confirmations are asked on the terminal, through the `ask` the caller gives. Without one
 * (no terminal: a deploy script, a CI job) every request is answered `fail` and the user is told,
 * so the plugin can say what it needed instead of waiting for an answer that never comes.
 */
import { printable } from "@hush/core";
import { pluginProgram } from "./plugin-names.ts";

/**
 * Asks the user for a line on the terminal; `secret` hides what is typed. Rejects when there is
 * no terminal to ask on (the request is then answered `fail`).
 */
export type TerminalAsk = (prompt: string, options: { readonly secret: boolean }) => Promise<string>;

/** How a plugin session talks to the user. Prompts and messages come from the plugin: escaped here. */
export interface PluginUi {
  /** Shows a `msg` stanza. */
  message(name: string, text: string): void;
  /** Answers `request-secret` / `request-public`; undefined answers `fail`. */
  request(name: string, prompt: string, secret: boolean): Promise<string | undefined>;
  /** Answers `confirm`; undefined answers `fail`. `no` is empty when there is one choice. */
  confirm(name: string, prompt: string, yes: string, no: string): Promise<boolean | undefined>;
  /** Called once when the plugin has been silent for a while (waiting for a touch, a PIN pad). */
  waiting(name: string): void;
}

/** Tries to pick 1 or 2 this many times before answering `fail`. */
const CONFIRM_ATTEMPTS = 3;

/** The terminal UI: `ask` for requests (absent: every request fails), `write` for messages (standard error). */
export function terminalPluginUi(ask: TerminalAsk | undefined, write: (line: string) => void = (l) => void process.stderr.write(l)): PluginUi {
  const say = (name: string, text: string): void => write(`${pluginProgram(name)}: ${printable(text, 1000)}\n`);
  const askOrFail = async (name: string, prompt: string, secret: boolean): Promise<string | undefined> => {
    if (ask === undefined) {
      say(name, "asked for input, and hush has no terminal to ask on; answered that it failed");
      return undefined;
    }
    try {
      return await ask(`${pluginProgram(name)}: ${printable(prompt, 1000)}`, { secret });
    } catch (err) {
      say(name, `could not ask for its input (${err instanceof Error ? err.message : "no terminal"}); answered that it failed`);
      return undefined;
    }
  };
  return {
    message: say,
    request: (name, prompt, secret) => askOrFail(name, `${prompt} `, secret),
    async confirm(name, prompt, yes, no) {
      if (no === "") {
        const answer = await askOrFail(name, `${prompt} (press enter for ${JSON.stringify(printable(yes, 100))}) `, true);
        return answer === undefined ? undefined : true;
      }
      const choices = `(type 1 for ${JSON.stringify(printable(yes, 100))} or 2 for ${JSON.stringify(printable(no, 100))}) `;
      for (let attempt = 0; attempt < CONFIRM_ATTEMPTS; attempt++) {
        const answer = await askOrFail(name, `${prompt} ${choices}`, false);
        if (answer === undefined) return undefined;
        if (answer.trim() === "1") return true;
        if (answer.trim() === "2") return false;
      }
      return undefined;
    },
    waiting: (name) => say(name, "waiting on the plugin (it may need a touch or a PIN on its device)..."),
  };
}
