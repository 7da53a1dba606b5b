import type { Scalar } from "yaml";
import { looksEncrypted, parseEnvelope } from "../crypto/envelope.ts";
import { HushError } from "../errors.ts";
import { printable } from "../printable.ts";
import type { ScalarValue } from "../tree/values.ts";
import { resolvePlainScalar } from "./yaml-resolve.ts";

/**
 * YAML tags (`!!bool`, `!!null`, `!Ref`…), which no MAC covers: SOPS drops them when it reads a
 * file, so its MAC is over the values without them, and hush keeps them where they were written.
 * A tag that makes a value or key read otherwise than hush reads it would give the programs that
 * read `hush decrypt`'s output another document than the one hush checked: `!!null` before a
 * password's envelope nulls it for PyYAML and go-yaml alike, and nobody needs the key to add it.
 * So a tag is kept only where every reader that honours it reads what hush reads:
 *  - the standard (`tag:yaml.org,2002:`) tags of a value's own type: `!!str` on a string, `!!int`
 *    on a plain integer, `!!map` on a mapping…;
 *  - an application's own tags (`!Ref`, `!secret`, Ansible's `!unsafe`), on strings, whose
 *    meaning is the application's (hush reads them as strings, as go-yaml does);
 *  - the non-specific `!` where the value is a string to every reader: go-yaml's parser and
 *    PyYAML's take it on a plain scalar for no tag at all (`! 12` is the integer 12 to SOPS, its
 *    MAC included, `! null` and a bare `!` are null), where the `yaml` package, as YAML 1.2 says,
 *    reads a string. So it stands on a quoted or block scalar, or a plain one that resolves to a
 *    string anyway (`! web`), and a string decrypted under it is quoted as if it were not there.
 * An encrypted value may carry only the second kind, or `!!str`, and only when it is a string:
 * hush never writes another tag before an envelope, and SOPS never writes one at all.
 */

const CORE = "tag:yaml.org,2002:";

/** The tag as written in messages (`!!null` for the standard ones), escaped: it is the file's text. */
export function shownTag(tag: string): string {
  return printable(tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag, 60);
}

/** The non-specific tag, as the `yaml` package gives it. */
const NON_SPECIFIC = "!";

/** Whether hush and go-yaml read a scalar under `tag` as a string whatever its text: `!!str`, an application's own tag (not `!`: see the module comment). */
export function isStringTag(tag: string): boolean {
  return tag === `${CORE}str` || (!tag.startsWith(CORE) && tag !== NON_SPECIFIC);
}

/**
 * Whether go-yaml (SOPS) and PyYAML type `node` by its text, as an untagged plain scalar: plain,
 * and with no tag or only the non-specific `!`, which their parsers drop there.
 */
export function resolvesUntagged(node: Pick<Scalar, "type" | "tag">): boolean {
  return node.type === "PLAIN" && (node.tag === undefined || node.tag === NON_SPECIFIC);
}

/** The standard tag a plain scalar of this type may carry. */
const TAG_OF_TYPE: Record<ScalarValue["type"], string> = {
  str: `${CORE}str`,
  int: `${CORE}int`,
  float: `${CORE}float`,
  bool: `${CORE}bool`,
  time: `${CORE}timestamp`,
};

/** How messages name hush's reading of a value. */
const READING: Record<ScalarValue["type"], string> = { str: "a string", int: "an integer", float: "a number", bool: "a boolean", time: "a timestamp" };

/** An envelope's type field, as written (the MAC checks the value, not this field); undefined when malformed. */
function envelopeType(text: string): string | undefined {
  try {
    return parseEnvelope(text).type;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a tag on a scalar value (`tag`: the resolved tag, `value`: hush's reading of the
 * scalar, which types only plain scalars; `where`: its key path) that other readers would read
 * differently from hush: PARSE_FAILED for a value in clear, VALUE_TAMPERED for an envelope.
 */
export function refuseValueTag(tag: string | undefined, value: ScalarValue | null, line: number, where: string, plain: boolean): void {
  if (tag === undefined) return;
  const location = { location: { keyPath: where, line } };
  if (value !== null && value.type === "str" && looksEncrypted(value.text)) {
    if (tag.startsWith(CORE) ? tag === `${CORE}str` && envelopeType(value.text) === "str" : envelopeType(value.text) === "str") return;
    throw new HushError("VALUE_TAMPERED", `the ${shownTag(tag)} tag on the encrypted value at ${where} (line ${line}) is not one hush writes there, and it changes what other YAML readers read (no MAC covers tags)`, {
      ...location,
      hint: "take the file from a revision you trust (git log -p shows who changed it), or remove the tag",
    });
  }
  if (tag === NON_SPECIFIC && plain && value !== null) {
    const untagged = resolvePlainScalar(value.text);
    if (untagged !== "uint64" && untagged?.type === "str") return;
    const reading = untagged === null ? "null" : untagged === "uint64" ? READING.int : READING[untagged.type];
    throw new HushError("PARSE_FAILED", `the ! tag on the value at ${where} (line ${line}) is no tag to SOPS's YAML reader and PyYAML, which read the value as ${reading}, and makes it a string to other readers: remove the tag, or quote the value`, location);
  }
  // hush reads a scalar under an application's tag as a string, quoted or not, as go-yaml does.
  if (!tag.startsWith(CORE)) return;
  if (tag === `${CORE}null` ? value === null : value !== null && TAG_OF_TYPE[value.type] === tag) return;
  const reading = value === null ? "null" : READING[value.type];
  throw new HushError("PARSE_FAILED", `the ${shownTag(tag)} tag on the value at ${where} (line ${line}) makes YAML readers that honour tags read it otherwise than hush does (as ${reading}): remove the tag`, location);
}

/** Refuses a standard tag on a mapping or list other than its own (`!!set`, `!!omap`, `!!python/…`). */
export function refuseCollectionTag(tag: string | undefined, kind: "map" | "seq", line: number): void {
  if (tag === undefined || !tag.startsWith(CORE) || tag === `${CORE}${kind}`) return;
  throw new HushError("PARSE_FAILED", `the ${shownTag(tag)} tag on the ${kind === "map" ? "mapping" : "list"} at line ${line} makes YAML readers that honour tags read something other than the ${kind === "map" ? "mapping" : "list"} SOPS and hush read: remove the tag`, { location: { line } });
}

/**
 * Refuses a standard tag other than `!!str` on a mapping key: SOPS's keys are strings, and a key
 * that another reader takes as null, a number or bytes is not the one whose path is its values' AAD.
 */
export function refuseKeyTag(tag: string | undefined, line: number): void {
  if (tag === undefined || !tag.startsWith(CORE) || tag === `${CORE}str`) return;
  throw new HushError("PARSE_FAILED", `the ${shownTag(tag)} tag on a key at line ${line}: SOPS and hush read every key as a string; write the key without the tag (quoted if it looks like a number)`, { location: { line } });
}
