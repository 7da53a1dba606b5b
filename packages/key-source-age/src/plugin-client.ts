/**
 * The client side of the age plugin protocol (C2SP age-plugin.md; age's `plugin/client.go`):
 * `recipient-v1` wraps a file key to a plugin recipient, `identity-v1` asks a plugin identity to
 * unwrap a file's stanzas. Loaded only when a plugin recipient or identity is in use.
 *
 * Which plugin runs is decided only by what the user configured: a recipient the user (or a
 * `.sops.yaml` rule, or a file's recipient list on rotate) asks hush to wrap to, or an identity
 * from the user's own key sources. Nothing a file's stanzas say starts a program.
 */
import { randomBytes, randomInt } from "node:crypto";
import { Stanza, type Recipient } from "age-encryption";
import { printable } from "@hush/core";
import { decodeStrictBase64 } from "./plugin-wire.ts";
import { PluginSession } from "./plugin-process.ts";
export { isPluginFailure } from "./plugin-process.ts";
import { terminalPluginUi, type PluginUi, type TerminalAsk } from "./plugin-ui.ts";
import type { WireStanza } from "./plugin-wire.ts";

/** What a plugin session needs from the key source: the plugin's environment and the user. */
export interface PluginContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Asks on the terminal for the default UI; absent, requests are answered `fail`. */
  readonly ask?: TerminalAsk | undefined;
  /** Replaces the terminal UI. */
  readonly ui?: PluginUi | undefined;
}

const uiOf = (context: PluginContext): PluginUi => context.ui ?? terminalPluginUi(context.ask);

/** age's file keys are 16 bytes; a plugin that returns anything else is broken. */
const FILE_KEY_SIZE = 16;

/** A random `grease-…` stanza, as age sends one in two of three sessions: plugins must ignore it. */
function sendGrease(session: PluginSession): void {
  if (randomInt(3) === 0) return;
  const args = Array.from({ length: randomInt(3) }, () => String(randomInt(100)));
  const body = randomInt(2) === 0 ? randomBytes(randomInt(100)) : new Uint8Array(0);
  session.send(`grease-${randomBytes(4).toString("hex")}`, args, body);
}

/**
 * A stanza either phase answers alike: `error` ends the session with the plugin's message, the
 * user-interface requests go to the user, and anything else is answered `unsupported`.
 */
async function answerOther(session: PluginSession, s: WireStanza, ui: PluginUi): Promise<void> {
  if (s.type === "error") {
    session.send("ok");
    throw session.failed(errorText(s));
  }
  if (!(await handleUi(session, s, ui))) session.send("unsupported");
}

/**
 * Answers the user-interaction stanzas; returns false for any other type. `fail` answers a
 * request the user cannot or did not answer.
 */
async function handleUi(session: PluginSession, s: WireStanza, ui: PluginUi): Promise<boolean> {
  const text = Buffer.from(s.body).toString("utf8");
  switch (s.type) {
    case "msg":
      ui.message(session.name, text);
      session.send("ok");
      return true;
    case "request-secret":
    case "request-public": {
      const answer = await ui.request(session.name, text, s.type === "request-secret");
      if (answer === undefined) session.send("fail");
      else session.send("ok", [], Buffer.from(answer, "utf8"));
      return true;
    }
    case "confirm": {
      if (s.args.length !== 1 && s.args.length !== 2) throw session.broken("a confirm stanza needs one or two choices");
      const [yes, no] = s.args.map(decodeStrictBase64);
      if (yes === undefined || (s.args.length === 2 && no === undefined)) throw session.broken("a confirm choice is not base64");
      const chose = await ui.confirm(session.name, text, Buffer.from(yes).toString("utf8"), no === undefined ? "" : Buffer.from(no).toString("utf8"));
      if (chose === undefined) session.send("fail");
      else session.send("ok", [chose ? "yes" : "no"]);
      return true;
    }
    default:
      return false;
  }
}

/** The text of an `error` stanza, escaped, for a one-line message. */
function errorText(s: WireStanza): string {
  const text = printable(Buffer.from(s.body).toString("utf8").trim(), 300);
  return text === "" ? "it reported an error" : text;
}

/** The index argument of a `recipient-stanza` or `file-key`: hush sends one file key, so only "0". */
function checkIndex(session: PluginSession, s: WireStanza, index: string | undefined): void {
  if (index !== "0") throw session.broken(`a ${s.type} stanza names file ${printable(index ?? "(none)", 20)}, and hush sent one`);
}

/** Wraps `fileKey` to `recipient` with `age-plugin-<name> --age-plugin=recipient-v1`. */
async function wrapWithPlugin(name: string, recipient: string, fileKey: Uint8Array, context: PluginContext): Promise<Stanza[]> {
  const ui = uiOf(context);
  return PluginSession.run(name, "recipient-v1", context.env, () => ui.waiting(name), async (session) => {
    session.send("add-recipient", [recipient]);
    sendGrease(session);
    session.send("wrap-file-key", [], fileKey);
    session.send("extension-labels");
    session.send("done");
    const stanzas: Stanza[] = [];
    let labels = false;
    for (;;) {
      const s = await session.next();
      if (s.type === "done") break;
      if (s.type === "recipient-stanza") {
        if (s.args.length < 2) throw session.broken("a recipient-stanza needs an index and a type");
        checkIndex(session, s, s.args[0]);
        stanzas.push(new Stanza(s.args.slice(1), s.body));
        session.send("ok");
      } else if (s.type === "labels") {
        if (labels) throw session.broken("repeated labels stanza");
        labels = true;
        session.send("ok");
      } else await answerOther(session, s, ui);
    }
    if (stanzas.length === 0) throw session.broken("it returned no recipient stanza");
    return stanzas;
  });
}

/**
 * Asks `age-plugin-<name> --age-plugin=identity-v1` to unwrap the file key from `stanzas` with
 * `identity`. Returns null when the plugin answers that none of them is its own.
 */
export async function unwrapWithPlugin(name: string, identity: string, stanzas: readonly Stanza[], context: PluginContext): Promise<Uint8Array | null> {
  const ui = uiOf(context);
  return PluginSession.run(name, "identity-v1", context.env, () => ui.waiting(name), async (session) => {
    session.send("add-identity", [identity]);
    sendGrease(session);
    for (const stanza of stanzas) session.send("recipient-stanza", ["0", ...stanza.args], stanza.body);
    session.send("done");
    let fileKey: Uint8Array | null = null;
    for (;;) {
      const s = await session.next();
      if (s.type === "done") break;
      if (s.type === "file-key") {
        if (s.args.length !== 1) throw session.broken("a file-key stanza needs exactly one index");
        checkIndex(session, s, s.args[0]);
        if (fileKey !== null) throw session.broken("it sent the file key twice");
        if (s.body.length !== FILE_KEY_SIZE) throw session.broken(`the file key has ${s.body.length} bytes, not ${FILE_KEY_SIZE}`);
        fileKey = s.body;
        session.send("ok");
      } else await answerOther(session, s, ui);
    }
    return fileKey;
  });
}

/** A recipient for typage's Encrypter that wraps through the plugin. */
export function pluginRecipient(name: string, recipient: string, context: PluginContext): Recipient {
  return { wrapFileKey: (fileKey) => wrapWithPlugin(name, recipient, fileKey, context) };
}
