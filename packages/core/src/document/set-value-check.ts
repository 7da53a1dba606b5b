import { HushError } from "../errors.ts";
import { goAtoi, goCanonicalTime, goParseBool, goParseFloat } from "../crypto/go-format.ts";
import { formatKeyPath, type PathSegment, type TreeNode } from "../tree/values.ts";

/**
 * The value a program hands `set` (a `TreeNode` it built, not one read from a file), checked
 * whole before anything is edited. TypeScript checks a caller's types, not what a JavaScript
 * caller passes nor a scalar's text: `{ type: "bool", text: "yes" }` was written, and read back as
 * `false` (Go's ParseBool, which SOPS reads it with, knows no "yes"), `{ type: "int", text: "5k" }`
 * as the string "5k", and a scalar without `text` failed with a TypeError from inside an emitter.
 * Trees hush reads from files always pass: their texts are SOPS's own renderings.
 */

/** What SOPS reads each scalar type's text with, and how to write a text it reads. */
const SCALAR_TEXTS: Record<string, { readonly reads: (text: string) => boolean; readonly expected: string } | undefined> = {
  str: { reads: () => true, expected: "any text" },
  int: { reads: (t) => goAtoi(t) !== undefined, expected: "a decimal 64-bit integer such as 42 or -7" },
  float: { reads: (t) => goParseFloat(t) !== undefined, expected: "a decimal number such as 1.5, 2e10, +Inf or NaN" },
  bool: { reads: (t) => goParseBool(t) !== undefined, expected: "true or false (or 1, 0, t, f, TRUE, FALSE, True, False)" },
  time: { reads: (t) => goCanonicalTime(t) !== undefined, expected: "an RFC 3339 time such as 2024-01-31T09:30:00Z" },
};

/** A node still to check, with the way back to the value's top for a message. */
interface Pending {
  readonly node: unknown;
  readonly parent: Pending | undefined;
  readonly segment: PathSegment | undefined;
}

/** `the value` or `the value's ["a"][0]`: where in the value a problem is, never what it holds. */
function placeOf(at: Pending): string {
  const path: PathSegment[] = [];
  for (let p: Pending | undefined = at; p?.segment !== undefined; p = p.parent) path.unshift(p.segment);
  return path.length === 0 ? "the value" : `the value's ${formatKeyPath(path)}`;
}

function invalid(at: Pending, problem: string): HushError {
  return new HushError("INVALID_SET_VALUE", `${placeOf(at)} ${problem}`);
}

/** The member `name` of a node of unknown shape. */
function member(node: unknown, name: string): unknown {
  return typeof node === "object" && node !== null ? (node as Record<string, unknown>)[name] : undefined;
}

/**
 * Checks every node of `value` (without recursion: a caller's tree can be of any depth): maps hold
 * entries and comments, lists hold nodes, scalars a `{ type, text }` whose text SOPS reads as
 * that type, comments a text; no map or list is met twice (see below). Scalars may be shared.
 * @throws HushError INVALID_SET_VALUE naming the place in the value and what it must be, never a value.
 */
export function checkSetValue(value: TreeNode): void {
  const seen = new Set<unknown>();
  const pending: Pending[] = [{ node: value, parent: undefined, segment: undefined }];
  for (let at = pending.pop(); at !== undefined; at = pending.pop()) {
    const node = at.node;
    const kind = member(node, "kind");
    if (kind === "map" || kind === "list") {
      // A map or list met twice is inside itself (the check would never end) or shared, which
      // the emitters would write out once per place: each sharing doubling the document's size.
      if (seen.has(node)) throw invalid(at, `is a ${kind} met before (inside itself, or in two places): give each place a ${kind} of its own`);
      seen.add(node);
    }
    switch (kind) {
      case "null":
        break;
      case "comment":
        if (typeof member(node, "text") !== "string") throw invalid(at, "is a comment without a text string");
        break;
      case "scalar": {
        const scalar = member(node, "value");
        const type = member(scalar, "type");
        const text = member(scalar, "text");
        const rule = typeof type === "string" ? SCALAR_TEXTS[type] : undefined;
        if (rule === undefined) throw invalid(at, "is a scalar whose value.type is not str, int, float, bool or time");
        const named = `${type === "int" ? "an" : "a"} ${String(type)}`;
        if (typeof text !== "string") throw invalid(at, `is ${named} scalar without a value.text string`);
        if (!rule.reads(text)) throw invalid(at, `is ${named} scalar whose text SOPS does not read as ${named} (it would decrypt as another value): write ${rule.expected}, or use type str`);
        break;
      }
      case "map": {
        const entries = member(node, "entries");
        if (!Array.isArray(entries)) throw invalid(at, "is a map without an entries array");
        for (const entry of entries as unknown[]) {
          const kind = member(entry, "kind");
          const key = member(entry, "key");
          if (kind === "comment") pending.push({ node: entry, parent: at, segment: undefined });
          else if (kind === "entry" && typeof key === "string") pending.push({ node: member(entry, "value"), parent: at, segment: key });
          else throw invalid(at, 'is a map with an entry that is not { kind: "entry", key: "…", value } or a comment');
        }
        break;
      }
      case "list": {
        const items = member(node, "items");
        if (!Array.isArray(items)) throw invalid(at, "is a list without an items array");
        (items as unknown[]).forEach((item, i) => pending.push({ node: item, parent: at, segment: i }));
        break;
      }
      default:
        throw invalid(at, "must be a value tree node (with kind map, list, scalar, null or comment)");
    }
  }
}
