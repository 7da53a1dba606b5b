import { checkFormat, checkObject, checkString } from "../arguments.ts";
import { HushError } from "../errors.ts";
import { storeFor } from "../stores/registry.ts";
import type { FileFormat, Store } from "../stores/store.ts";
import type { TreeMap } from "../tree/values.ts";
import { firstVerified } from "./candidates.ts";
import { landingPath, sameTree, setInTree, unsetInTree, type PlainEdit } from "./tree-edit.ts";
import type { TreeOp } from "./yaml-edit.ts";

/**
 * `set` and `unset` applied to a plaintext document's text with the smallest change: YAML and
 * JSON get surgical edits (only the changed entry's lines), other formats replace a changed
 * scalar in place and otherwise re-emit the document from its value tree. Every candidate text
 * is parsed back and must hold exactly the intended tree before it is used, so an edit can
 * never silently change something else.
 */

/** One change of a document's data: set a value at a path, or remove the path. */
export type { PlainEdit };

export interface PlainEditResult {
  readonly text: string;
  /** False when the edit leaves the data as it was (`set` of an equal value). */
  readonly changed: boolean;
  /** True when the document had to be re-emitted whole (comments and layout not kept). */
  readonly reformatted: boolean;
}

/** The indentation a YAML file uses: its smallest indentation of a key or list item. */
export function detectYamlIndent(text: string): number | undefined {
  checkString(text, "the text");
  let best: number | undefined;
  for (const m of text.matchAll(/^( +)(?:- |-$|[^\s#-][^\n]*:)/gm)) {
    const n = m[1]!.length;
    if (best === undefined || n < best) best = n;
  }
  return best;
}

function treeOf(store: Store, text: string): TreeMap | undefined {
  try {
    return store.toTree(text);
  } catch {
    return undefined;
  }
}

function documentCount(store: Store, text: string): number {
  try {
    return store.parse(text).documentCount;
  } catch {
    return 1;
  }
}

/**
 * Candidate texts for an edit, best first, from the format's own text editor. The editors are
 * loaded on first use: their parsers must not slow down the start of `hush decrypt`.
 */
async function candidatesFor(text: string, store: Store, edit: PlainEdit, op: TreeOp, expected: TreeMap, indent: number | undefined): Promise<Array<string | undefined>> {
  switch (store.format) {
    case "yaml":
      return (await import("./yaml-edit.ts")).yamlEditCandidates(text, op, expected, store, indent ?? detectYamlIndent(text) ?? 4);
    case "json":
      return [(await import("./json-edit.ts")).jsonEditCandidate(text, op, expected)];
    case "dotenv":
    case "ini":
    case "toml":
      return (await import("./line-edit.ts")).lineCandidates(text, store, edit);
    default:
      return [(await import("./line-edit.ts")).scalarInPlace(text, store, edit)];
  }
}

/**
 * Applies `edit` to a plaintext document.
 * @throws HushError INVALID_SET_VALUE for a key component on a list or an index on a map (and
 *   for an empty path); KEY_NOT_FOUND for a missing path of `unset`; INVALID_ARGUMENT when a
 *   multi-document YAML file would have to be rewritten; PARSE_FAILED when `text` does not parse.
 */
export async function editPlaintext(text: string, format: FileFormat, edit: PlainEdit, options: { indent?: number } = {}): Promise<PlainEditResult> {
  checkString(text, "the text");
  checkFormat(format);
  checkObject(edit, "the edit");
  const store = await storeFor(format);
  const tree = store.toTree(text);
  const expected = edit.kind === "set" ? setInTree(tree, edit.path, edit.value) : unsetInTree(tree, edit.path);
  const changed = !sameTree(tree, expected);
  if (!changed) return { text, changed, reformatted: false };
  const op: TreeOp = { kind: edit.kind, path: edit.kind === "set" ? landingPath(tree, edit.path) : edit.path };
  const docs = format === "yaml" ? documentCount(store, text) : 1;
  // Lines hush writes end like the file's own when it uses CRLF throughout.
  const crlf = text.includes("\r\n") && !/(^|[^\r])\n/.test(text);
  // INI sections and TOML tables come where the syntax puts them: compare those unordered.
  const ordered = format !== "ini" && format !== "toml";
  const candidates = (await candidatesFor(text, store, edit, op, expected, options.indent)).map((raw) => (raw !== undefined && crlf ? raw.replace(/\r?\n/g, "\r\n") : raw));
  const found = firstVerified(candidates, (c) => {
    const got = treeOf(store, c);
    return got !== undefined && sameTree(got, expected, ordered) && (docs <= 1 || documentCount(store, c) === docs);
  });
  if (found !== undefined) return { text: found, changed, reformatted: false };
  if (docs > 1) {
    throw new HushError("INVALID_ARGUMENT", "this change cannot be made to a multi-document YAML file without rewriting it; edit the file with `hush edit` instead");
  }
  const indent = options.indent ?? (format === "yaml" ? detectYamlIndent(text) : undefined);
  return { text: store.emitTree(expected, indent === undefined ? {} : { indent }), changed, reformatted: true };
}
