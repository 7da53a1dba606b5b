import { isMap, isScalar, isSeq, type Node as YamlNode } from "yaml";
import { printable } from "../errors.ts";
import { isSopsTypedField, sops313Text } from "./yaml-resolve.ts";
import { shownTag } from "./yaml-tags.ts";

/**
 * What in a YAML `sops` block SOPS's reader (go-yaml v3 decoding into the structs of
 * stores/stores.go) takes otherwise than hush's (the `yaml` package's failsafe reading):
 *
 * - a tag on any node. go-yaml reads a string field's text whatever its tag (a KMS entry's `role`
 *   under `!!merge` is a role SOPS assumes), but decodes `!!binary` first; the `yaml` package reads
 *   `!!merge` as a symbol and `!!binary` as bytes (refused as no string, naming neither the tag nor
 *   its line), `!!timestamp` as another text, and a map under `!!set` as a set (a KMS context read
 *   as empty where SOPS reads its keys).
 * - a plain `~`, `null`, `Null` or `NULL`: null to go-yaml (no recipient, no role, no selection
 *   rule: SOPS's default one), the text itself to hush.
 * - a plain scalar go-yaml types as a number or boolean, where Go prints that value otherwise than
 *   it is written (`0x10`, `010`, `1_000`, `1e3`, `true`). SOPS 3.13 reads the block through its
 *   tree (stores/yaml/store.go:105 `node.Decode(&result)`) and then into the text fields with
 *   mapstructure's weak typing (stores/metadata.go:87 `treeBranchToMetadata`): the Vault key
 *   `0x10` is the key `16` to it, the rule `encrypted_regex: true` the rule `1`. SOPS 3.9–3.12
 *   (yaml.Unmarshal into the struct) and hush read the text as written.
 *
 * No tool writes any of these: go-yaml writes no tag, and quotes a string that would read as
 * null, a number or a boolean.
 */

/** The null words of go-yaml v3 (resolve.go); a plain empty value is no value to both readers. */
const NULL_WORDS: ReadonlySet<string> = new Set(["~", "null", "Null", "NULL"]);

/** A node of the block SOPS reads otherwise than hush: where, and what to say (`{line}` for its line). */
export interface MetadataNodeProblem {
  readonly offset: number;
  readonly message: string;
}

/**
 * The first tag or null word in the `sops` block `node` (text order), or undefined. `text` is the
 * file's text: a node's range starts after its tag, which is the last `!` before it (the block
 * holds no comment, see the YAML store).
 */
export function metadataNodeProblem(text: string, node: YamlNode | null): MetadataNodeProblem | undefined {
  let first: MetadataNodeProblem | undefined;
  const found = (problem: MetadataNodeProblem): void => {
    if (first === undefined || problem.offset < first.offset) first = problem;
  };
  // SOPS's boolean and integer fields (and their lookalikes) are read by the codec, not as text.
  const typedFields = new Set<unknown>(isMap(node) ? node.items.filter((p) => isScalar(p.key) && isSopsTypedField(String(p.key.value))).map((p) => p.value) : []);
  const look = (n: unknown, isKey: boolean): void => {
    if (!isScalar(n) && !isMap(n) && !isSeq(n)) return;
    const start = n.range?.[0] ?? 0;
    if (n.tag !== undefined) {
      found({ offset: Math.max(0, text.lastIndexOf("!", start)), message: `a tag ${shownTag(n.tag)} at line {line}, which no tool writes there and SOPS's YAML reader reads otherwise than hush: remove it` });
    } else if (!isKey && isScalar(n) && n.type === "PLAIN" && NULL_WORDS.has(String(n.value))) {
      const word = String(n.value);
      found({ offset: start, message: `${word} at line {line}, which SOPS reads as no value and hush as the text ${word} (no tool writes it there): write "" for no value, or quote the text` });
    } else if (!isKey && !typedFields.has(n) && isScalar(n) && n.type === "PLAIN") {
      const written = String(n.value);
      const sops = sops313Text(written);
      if (sops !== undefined && sops !== written) {
        found({ offset: start, message: `the plain ${printable(written, 60)} at line {line}, which SOPS 3.13 reads as the text ${printable(sops, 60)} and hush as the text ${printable(written, 60)} (no tool writes it there): quote it` });
      }
    }
  };
  const pending: unknown[] = [node];
  for (let n = pending.pop(); n !== undefined; n = pending.pop()) {
    look(n, false);
    if (isMap(n)) {
      for (const pair of n.items) {
        look(pair.key, true);
        pending.push(pair.value);
      }
    } else if (isSeq(n)) for (const item of n.items) pending.push(item);
  }
  return first;
}
