import { checkKeyPath, checkObject, checkString, checkTree } from "../arguments.ts";
import { HushError } from "../errors.ts";
import { treeScanner } from "../stores/decrypt-reader.ts";
import { checkFormat, storeFor, type FileFormat } from "../stores/registry.ts";
import type { Store, TextEditRequest } from "../stores/store.ts";
import type { TreeMap } from "../tree/values.ts";
import { firstVerified } from "./candidates.ts";
import { checkEditDepth } from "./edit-depth.ts";
import { checkSetValue } from "./set-value-check.ts";
import { asStrings } from "../stores/dotenv-emit.ts";
import { landingPath, sameTree, setInTree, unsetInTree, type PlainEdit } from "./tree-edit.ts";

/**
 * `set` and `unset` applied to a plaintext document's text with the smallest change. The store's
 * text editor proposes candidates (only the changed entry's lines, or the changed scalar in
 * place); every candidate is parsed back and must hold exactly the intended tree before it is
 * used, so an edit can never silently change something else. When none does, the document is
 * re-emitted from its value tree at the indentation it has. Trees are read with the format's span
 * scanner where it reads the text (it reads exactly what the store reads, or declines), else with
 * the store: on a large file the store's general parser is most of the time of an edit.
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

/** The text's tree, or undefined when it does not parse; `scanned`: the scanner's tree, if it read the text. */
function treeOf(store: Store, text: string, scanned: TreeMap | undefined): TreeMap | undefined {
  if (scanned !== undefined) return scanned;
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
 * Applies `edit` to a plaintext document.
 * @throws HushError INVALID_SET_VALUE for a key component on a list or an index on a map (and
 *   for an empty path), and for a value that is not a well-formed tree or holds a scalar whose
 *   text SOPS does not read as its type; INVALID_SET_PATH for a value nested deeper than the format is read; KEY_NOT_FOUND for a missing path of `unset`; INVALID_ARGUMENT when a
 *   multi-document YAML file would have to be rewritten; PARSE_FAILED when `text` does not parse.
 */
export async function editPlaintext(text: string, format: FileFormat, given: PlainEdit, options: { indent?: number } = {}): Promise<PlainEditResult> {
  checkString(text, "the text");
  checkFormat(format);
  checkObject(given, "the edit");
  if (given.kind === "set") {
    checkKeyPath(given.path);
    checkTree(given.value, "the value");
    checkSetValue(given.value);
    checkEditDepth(format, given.path, given.value);
  }
  const store = await storeFor(format);
  // A typed value in a file of strings can only read back as its string: edit with that.
  const edit: PlainEdit = given.kind === "set" && store.stringValues === true ? { ...given, value: asStrings(given.value) } : given;
  const scan = await treeScanner(format);
  const scanned = scan(text);
  const tree = scanned ?? store.toTree(text);
  const expected = edit.kind === "set" ? setInTree(tree, edit.path, edit.value) : unsetInTree(tree, edit.path);
  const changed = !sameTree(tree, expected);
  if (!changed) return { text, changed, reformatted: false };
  const request: TextEditRequest = {
    kind: edit.kind,
    path: edit.path,
    ...(edit.kind === "set" ? { value: edit.value } : {}),
    landingPath: edit.kind === "set" ? landingPath(tree, edit.path) : edit.path,
    expected,
    indent: options.indent,
  };
  // A text the scanner reads holds one document; only the others need the store to count them.
  const docs = scanned !== undefined ? 1 : documentCount(store, text);
  // Lines hush writes end like the file's own when it uses CRLF throughout.
  const crlf = text.includes("\r\n") && !/(^|[^\r])\n/.test(text);
  const proposed = store.editCandidates === undefined ? [] : await store.editCandidates(text, request);
  const candidates = (function* () {
    for (const raw of proposed) yield raw !== undefined && crlf ? raw.replace(/\r?\n/g, "\r\n") : raw;
  })();
  const found = firstVerified(candidates, (c) => {
    const got = treeOf(store, c, scan(c));
    return got !== undefined && sameTree(got, expected, store.orderedMaps) && (docs <= 1 || documentCount(store, c) === docs);
  });
  if (found !== undefined) return { text: found, changed, reformatted: false };
  if (docs > 1) {
    throw new HushError("INVALID_ARGUMENT", "this change cannot be made to a multi-document YAML file without rewriting it; edit the file with `hush edit` instead");
  }
  const indent = options.indent ?? store.layout(text).indent;
  return { text: store.emitTree(expected, indent === undefined ? {} : { indent }), changed, reformatted: true };
}
