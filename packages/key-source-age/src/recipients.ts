/**
 * Recipient strings, checked in SOPS's order (spec §5.1, `age/keysource.go parseRecipient`):
 * `age1pq1…` hybrid, `age1<name>1…` plugin, `age1…` X25519, `ssh-…` SSH.
 */
import type { Recipient } from "age-encryption";
import { HushError, quoted } from "@hush/core";
import { bech32Decode } from "./bech32.ts";
import { parsePluginRecipient, pluginProgram } from "./plugin-names.ts";
import { parseAuthorizedKey } from "./ssh-wire.ts";
import { sshRecipient } from "./ssh-stanzas.ts";

function invalid(recipient: string, why: string, cause?: unknown): HushError {
  return new HushError("INVALID_ARGUMENT", `invalid age recipient ${quoted(recipient)}: ${why}`, cause === undefined ? undefined : { cause });
}

/** Length of an ML-KEM-768 + X25519 hybrid public key. */
const HYBRID_PUBLIC_KEY_SIZE = 1216;

/**
 * Checks a native recipient as age's encrypter does when it is added: bech32 checksum, the exact
 * prefix and the key length. Done here so that validating does not load the age implementation.
 */
function checkNativeRecipient(recipient: string): void {
  const pq = recipient.startsWith("age1pq1");
  // Hybrid recipients are far longer than bech32's usual 90-character limit.
  const decoded = bech32Decode(recipient, pq ? false : 90);
  const ok = pq
    ? decoded.prefix === "age1pq" && decoded.bytes.length === HYBRID_PUBLIC_KEY_SIZE
    : decoded.prefix === "age" && decoded.bytes.length === 32;
  if (!ok) throw new Error("invalid recipient");
}

/** A plugin recipient (`age1<name>1…`): wrapped by running `age-plugin-<name>` (plugin-client.ts). */
export interface PluginRecipientRef {
  readonly plugin: string;
  readonly recipient: string;
}

/**
 * Parses a (trimmed) recipient into what typage's Encrypter accepts: the string itself for
 * native age recipients (validated here), a Recipient object for SSH keys, or the plugin to run
 * for a plugin recipient (validated here as age validates it; nothing is run).
 */
export function parseRecipient(recipient: string): string | Recipient | PluginRecipientRef {
  if (recipient.startsWith("age1") && !recipient.startsWith("age1pq1") && recipient.indexOf("1", 4) !== -1) {
    const parsed = parsePluginRecipient(recipient);
    if ("fault" in parsed) {
      if (parsed.fault === "name") throw invalid(recipient, "it names an age plugin with characters outside [A-Za-z0-9+-._]; refusing it");
      throw invalid(recipient, `not a valid ${pluginProgram(parsed.name ?? "")} recipient (bad bech32 encoding)`);
    }
    return { plugin: parsed.name, recipient };
  }
  if (recipient.startsWith("age1")) {
    try {
      checkNativeRecipient(recipient);
    } catch (err) {
      throw invalid(recipient, recipient.startsWith("age1pq1") ? "not a valid post-quantum recipient" : "not a valid X25519 recipient", err);
    }
    return recipient;
  }
  if (recipient.startsWith("ssh-")) {
    const type = recipient.split(/\s/, 1)[0];
    if (type !== "ssh-ed25519" && type !== "ssh-rsa") {
      throw invalid(recipient, "only ssh-ed25519 and ssh-rsa SSH keys are supported");
    }
    try {
      return sshRecipient(parseAuthorizedKey(recipient));
    } catch (err) {
      const why = err instanceof Error ? err.message : "unreadable SSH key";
      throw invalid(recipient, why, err);
    }
  }
  throw invalid(recipient, "expected age1…, age1pq1…, ssh-ed25519 … or ssh-rsa …");
}

/** Whether `recipient` is one {@link parseRecipient} accepts (nothing is run). */
export function isAgeRecipient(recipient: string): boolean {
  try {
    parseRecipient(recipient);
    return true;
  } catch {
    return false;
  }
}

/** An SSH key line: the type, the encoded key, and whatever follows (the comment, age ignores it). */
const SSH_LINE = /^(ssh-[a-z0-9]+)[ \t]+([A-Za-z0-9+/]+={0,2})([\s\S]*)$/;
/** A comment as ssh-keygen writes one (`user@host`): words of letters, digits and `@ . _ + -`. */
const PLAIN_SSH_COMMENT = /^[ \t]+([A-Za-z0-9@._+-]+(?: [A-Za-z0-9@._+-]+)*)$/;

/**
 * The recipient a key command is told (`SOPS_AGE_RECIPIENT`) for an entry's `recipient`, or
 * undefined when that is no age recipient (the command is then not run for it).
 *
 * The recipient is the file writer's text. An `age1…` recipient is bech32 and cannot hold anything
 * else, but an SSH recipient is a key line whose comment is free text that age ignores: a command
 * that hands the recipient to a shell (`ssh keyhost get-key "$SOPS_AGE_RECIPIENT"`) would run the
 * writer's `$(…)`. So a comment is passed on only when it is plain words (as in `me@laptop`);
 * otherwise the command is told the key alone, which is what names it.
 */
export function recipientForKeyCommand(recipient: string): string | undefined {
  if (!isAgeRecipient(recipient)) return undefined;
  if (!recipient.startsWith("ssh-")) return recipient;
  const line = SSH_LINE.exec(recipient);
  if (line === null) return undefined;
  const key = `${line[1]} ${line[2]}`;
  const comment = PLAIN_SSH_COMMENT.exec((line[3] ?? "").trimEnd());
  return comment === null ? key : `${key} ${comment[1]}`;
}

/**
 * Trims and validates an age recipient, returning it as it must be stored in the metadata.
 *
 * @throws HushError `INVALID_ARGUMENT` naming the recipient when it is malformed, a plugin
 *   recipient whose plugin name age would refuse, or an unsupported SSH key type.
 */
export function normalizeAgeRecipient(recipient: string): string {
  const trimmed = recipient.trim();
  parseRecipient(trimmed);
  return trimmed;
}
