import { createHash } from "node:crypto";
import { armorBody, printable } from "@hush/core";
import { headerStanzaLines, type StanzaLine } from "./age-header.ts";
import type { AgeKeyEntry } from "./entry.ts";

/**
 * Whom an age entry's wrapped key opens for, as far as its header shows without a key. SOPS (Go
 * age) and hush wrap the data key once per entry, for the recipient the entry names: one stanza.
 * Whoever wrote a file holds its data key and can add a stanza for a key of their own under a
 * teammate's label, which the label does not show (docs/security.md, "whom a key entry is for").
 * A stanza says its recipient's kind, and an SSH stanza a tag of its key; an X25519 stanza does
 * not say which age key it is for (nor a post-quantum one), so one under another age key's label
 * goes unseen.
 */

/** The stanza a native recipient's entry has: its type and, for SSH keys, the tag of the key. */
interface ExpectedStanza {
  readonly type: string;
  readonly tag?: string;
  readonly label: string;
}

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
/** A post-quantum hybrid recipient (ML-KEM-768 + X25519): its stanzas are `mlkem768x25519`. */
const HYBRID_RECIPIENT = /^age1pq1[02-9ac-hj-np-z]+$/;
const SSH_RECIPIENT = /^(ssh-ed25519|ssh-rsa)[ \t]+([A-Za-z0-9+/]+={0,2})(?:[ \t]|$)/;

/** The stanza an entry for `recipient` has, or undefined for a plugin's recipient (its stanzas are the plugin's own). */
function expectedStanza(recipient: string): ExpectedStanza | undefined {
  const lower = recipient.toLowerCase();
  if (X25519_RECIPIENT.test(lower)) return { type: "X25519", label: "age key" };
  if (HYBRID_RECIPIENT.test(lower)) return { type: "mlkem768x25519", label: "post-quantum age key" };
  const ssh = SSH_RECIPIENT.exec(recipient);
  if (ssh === null) return undefined;
  // age-encryption.org/v1: the first 4 bytes of SHA-256 of the key in SSH wire format, base64 without padding (6 characters).
  const tag = createHash("sha256").update(Buffer.from(ssh[2]!, "base64")).digest().subarray(0, 4).toString("base64").slice(0, 6);
  return { type: ssh[1]!, tag, label: `${ssh[1]} key` };
}

function stanzaText(s: StanzaLine): string {
  const tag = s.type.startsWith("ssh-") && s.args[0] !== undefined ? ` (tag ${s.args[0]})` : "";
  return printable(`${s.type}${tag}`, 60);
}

/**
 * Why `entry`'s wrapped key opens for a key other than the one it names (a second stanza, or a
 * stanza of another kind or SSH key), or undefined. Stanza types ending in `-grease` are ignored:
 * age implementations add them so that parsers tolerate unknown types, and no key opens them.
 */
export function ageEntryOtherReaders(entry: AgeKeyEntry): string | undefined {
  const expected = expectedStanza(entry.recipient.trim());
  const bytes = expected === undefined ? undefined : armorBody(entry.enc, "AGE ENCRYPTED FILE");
  if (expected === undefined || bytes === undefined) return undefined;
  const stanzas = headerStanzaLines(bytes).filter((s) => !s.type.endsWith("-grease"));
  const own = stanzas.filter((s) => s.type === expected.type && (expected.tag === undefined || s.args[0] === expected.tag));
  if (stanzas.length === 0 || (stanzas.length === 1 && own.length === 1)) return undefined;
  const shown = stanzas.slice(0, 4).map(stanzaText).join(", ") + (stanzas.length > 4 ? ", …" : "");
  if (own.length === 0) return `its age header wraps the data key for ${shown}, not for the ${expected.label} the entry names`;
  return `its age header wraps the data key ${stanzas.length} times (${shown}), where SOPS wraps it once, for the ${expected.label} the entry names`;
}
