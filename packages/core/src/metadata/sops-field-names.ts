import { goFoldKey } from "../stores/folded-keys.ts";
import { isMap, type RawMap } from "./entry-fields.ts";
import { ENCRYPTION_RULE_KINDS, type LookalikeField } from "./file-metadata.ts";

/**
 * The names SOPS reads in a `sops` section (getsops/sops stores/stores.go: the `metadata`,
 * `keygroup` and key structs), and the fields that are spelled like one of them but are not it.
 *
 * SOPS does not compare these names exactly. SOPS 3.13 decodes every format's section with
 * mapstructure, which takes a field whose name differs only in case (`strings.EqualFold`, so also
 * `ſ` for `s` and the Kelvin sign for `k`) when the exact name is absent. Earlier versions read
 * JSON metadata with encoding/json and dotenv and INI metadata through a JSON round trip, which
 * take such a field even beside the exact one (the later of the two wins). hush reads the exact
 * names only. So a branch without any key could add `AGE:` with a recipient of its own, or
 * `"Recipient"` after an entry's `"recipient"`: SOPS would wrap the next data key to it
 * (`sops rotate`), while hush's review, `hush access` and `hush check` showed the recipients the
 * exact names hold. No tool writes such a field, so it is refused as metadata hush and SOPS read
 * differently.
 */

/** Top-level fields of the section. */
const SECTION_FIELDS: readonly string[] = [
  "shamir_threshold",
  "key_groups",
  "kms",
  "gcp_kms",
  "hckms",
  "azure_kv",
  "hc_vault",
  "age",
  "lastmodified",
  "mac",
  "pgp",
  ...ENCRYPTION_RULE_KINDS,
  "mac_only_encrypted",
  "version",
];

/** The fields of one master-key entry, by the list it is in. */
const ENTRY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  pgp: ["created_at", "enc", "fp"],
  kms: ["arn", "role", "context", "created_at", "enc", "aws_profile"],
  gcp_kms: ["resource_id", "created_at", "enc"],
  hckms: ["key_id", "created_at", "enc"],
  azure_kv: ["vault_url", "name", "version", "created_at", "enc"],
  hc_vault: ["vault_address", "engine_path", "key_name", "created_at", "enc"],
  age: ["recipient", "enc"],
};

/** The key lists of a group (and of the section's flat lists). */
const KEY_LISTS = Object.keys(ENTRY_FIELDS);

/** Whether `name` is one of SOPS's field names (exactly). */
export function isSopsSectionField(name: string): boolean {
  return SECTION_FIELDS.includes(name);
}

function lookalikesOf(raw: RawMap, known: readonly string[], where: string, out: LookalikeField[]): void {
  const byFold = new Map(known.map((name) => [goFoldKey(name), name]));
  for (const name of Object.keys(raw)) {
    if (known.includes(name)) continue;
    const reads = byFold.get(goFoldKey(name));
    if (reads !== undefined) out.push({ where: `${where}.${name}`, name, reads });
  }
}

function entriesLookalikes(group: RawMap, where: string, out: LookalikeField[]): void {
  for (const list of KEY_LISTS) {
    const entries = group[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, i) => {
      if (isMap(entry)) lookalikesOf(entry, ENTRY_FIELDS[list]!, `${where}.${list}[${i}]`, out);
    });
  }
}

/**
 * Every field of the section `raw` that SOPS reads as one of its fields although the name is not
 * that field's (see the module comment): the section's own fields, then its key entries, then
 * each key group's fields and entries (entries by key list in SOPS's order, each list in file
 * order). Values are not looked at.
 */
export function lookalikeFields(raw: RawMap): LookalikeField[] {
  const out: LookalikeField[] = [];
  lookalikesOf(raw, SECTION_FIELDS, "sops", out);
  entriesLookalikes(raw, "sops", out);
  const groups = raw["key_groups"];
  if (Array.isArray(groups)) {
    groups.forEach((group: unknown, gi) => {
      if (!isMap(group)) return;
      lookalikesOf(group, KEY_LISTS, `sops.key_groups[${gi}]`, out);
      entriesLookalikes(group, `sops.key_groups[${gi}]`, out);
    });
  }
  return out;
}
