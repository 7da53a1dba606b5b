import type { Document } from "yaml";
import { HushError, printable } from "../errors.ts";
import type { MasterKeyEntry, MasterKeyRecipient } from "../key-source.ts";
import { ageRecipientSpelling } from "../keys/age-recipient-case.ts";
import { masterKeyIdentity } from "../keys/registry.ts";

/**
 * People's names for recipients, read from `.sops.yaml` for reports (`hush access`, `hush audit`).
 * Two sources, both ignored by SOPS (which reads its config with go-yaml into a struct, so an
 * unknown top-level key is dropped and anchors are only a YAML feature):
 * - the `hush_recipient_names` map, name → recipient or list of recipients (age recipient, PGP
 *   fingerprint, KMS ARN);
 * - YAML anchors on recipients (`keys: [&alice age1…]`, the common idiom for reusing keys in
 *   rules): the anchor's name names the recipient, unless the map names it.
 */

/** The top-level `.sops.yaml` key hush reads names from. */
export const RECIPIENT_NAMES_KEY = "hush_recipient_names";

/** Longest name kept (names are shown in tables). */
const MAX_NAME = 100;

/** Recipient identity (as written in `.sops.yaml`, PGP fingerprints upper-cased, age recipients in capitals lower-cased) → name. */
export type RecipientNames = ReadonlyMap<string, string>;

function normalized(identity: string): string {
  const compact = identity.replace(/\s/g, "");
  return /^[0-9a-fA-F]{16,40}$/.test(compact) ? compact.toUpperCase() : ageRecipientSpelling(identity.trim());
}

function fail(message: string): HushError {
  return new HushError("CONFIG_INVALID", `invalid .sops.yaml: ${message}`);
}

/** Names from the `hush_recipient_names` map (already converted to plain data). */
function namesFromMap(raw: unknown, into: Map<string, string>): void {
  if (raw === undefined || raw === null) return;
  if (typeof raw !== "object" || Array.isArray(raw)) throw fail(`${RECIPIENT_NAMES_KEY} must map names to recipients`);
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${RECIPIENT_NAMES_KEY}.${printable(name, 60)}`;
    if (name.trim() === "" || name.length > MAX_NAME) throw fail(`${where}: a name must have 1 to ${MAX_NAME} characters`);
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) throw fail(`${where} must be a recipient or a list of recipients`);
    for (const recipient of list as string[]) {
      const id = normalized(recipient);
      const earlier = into.get(id);
      if (earlier !== undefined && earlier !== name) throw fail(`${where}: recipient ${printable(id, 80)} is already named "${printable(earlier, 60)}"`);
      into.set(id, name);
    }
  }
}

/** Names from anchors on string scalars anywhere in the document (`&alice age1…`). */
function namesFromAnchors(doc: Document, into: Map<string, string>): void {
  const visit = (node: unknown, depth: number): void => {
    if (node === null || typeof node !== "object" || depth > 50) return;
    const n = node as { anchor?: unknown; value?: unknown; items?: unknown; key?: unknown };
    if (typeof n.anchor === "string" && typeof n.value === "string" && n.anchor.length <= MAX_NAME) {
      // A scalar may hold a comma-separated list (`age: &team a,b`): only single recipients are named.
      const id = normalized(n.value);
      if (!id.includes(",") && id !== "" && !into.has(id)) into.set(id, n.anchor);
    }
    if (Array.isArray(n.items)) for (const item of n.items) visit(item, depth + 1);
    if ("key" in n) {
      visit(n.key, depth + 1);
      visit(n.value, depth + 1);
    }
  };
  visit(doc.contents, 0);
}

/**
 * The names `.sops.yaml` gives recipients: the `hush_recipient_names` map first, then anchors.
 * @throws HushError CONFIG_INVALID when the map is malformed or names one recipient twice.
 */
export function readRecipientNames(doc: Document, raw: unknown): RecipientNames {
  const names = new Map<string, string>();
  namesFromMap(raw, names);
  namesFromAnchors(doc, names);
  return names;
}

/** The name `.sops.yaml` gives a file's recipient, or undefined (KMS keys are also matched by ARN alone). */
export function recipientName(names: RecipientNames | undefined, key: MasterKeyEntry | MasterKeyRecipient): string | undefined {
  if (names === undefined || names.size === 0) return undefined;
  const byIdentity = names.get(normalized(masterKeyIdentity(key)));
  if (byIdentity !== undefined) return byIdentity;
  // A KMS key is named by its ARN alone too (its identity adds the role and context).
  const arn = key["arn"];
  return typeof arn === "string" ? names.get(arn) : undefined;
}
