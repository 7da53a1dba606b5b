import { checkString } from "../arguments.ts";
import { looksEncrypted } from "../crypto/envelope.ts";
import { formatKeyPath } from "../tree/values.ts";
import type { YamlStyle } from "./yaml-render.ts";
import { isYaml11BooleanWord } from "./yaml-resolve.ts";
import { storeFor } from "./registry.ts";

/** A value {@link yamlBooleanWordValues} lists: where it is, never what it is. */
export interface BooleanWordValue {
  readonly line: number;
  readonly keyPath: string;
}

/** A boolean word standing alone somewhere in the text: without one, nothing needs parsing. */
const MAY_HOLD_ONE = /(?:^|[\s:,[{-])(?:y|yes|n|no|on|off)(?:[\s,\]}]|$)/im;

/**
 * The values of a YAML plaintext written plain as one of YAML 1.1's boolean words (`no`, `on`,
 * `y`…, untagged) that `encrypted`, the same document encrypted, holds encrypted. SOPS and hush
 * read them as strings, Helm, kubectl and PyYAML as booleans; decryption writes them quoted, as
 * SOPS does, so the first decryption changes what those readers get. Encrypting says so.
 */
export async function yamlBooleanWordValues(plaintext: string, encrypted: string): Promise<BooleanWordValue[]> {
  checkString(plaintext, "the plaintext");
  checkString(encrypted, "the encrypted text");
  if (!MAY_HOLD_ONE.test(plaintext)) return [];
  // The YAML store is loaded only here, for a YAML file: reading other formats never needs it.
  const yamlStore = await storeFor("yaml");
  const words = yamlStore.parse(plaintext).leaves.filter((leaf) => {
    const style = leaf.style as YamlStyle | undefined;
    return leaf.kind === "scalar" && leaf.aliased !== true && leaf.value?.type === "str" && style?.style === "PLAIN" && style.stringTag !== true && isYaml11BooleanWord(leaf.value.text);
  });
  if (words.length === 0) return [];
  const encryptedAt = new Set(
    yamlStore
      .parse(encrypted)
      .leaves.filter((leaf) => leaf.kind === "scalar" && leaf.value !== null && looksEncrypted(leaf.value.text))
      .map((leaf) => `${leaf.document}\0${formatKeyPath(leaf.path)}`),
  );
  return words.flatMap((leaf) => {
    const keyPath = formatKeyPath(leaf.path);
    return encryptedAt.has(`${leaf.document}\0${keyPath}`) ? [{ line: leaf.line, keyPath }] : [];
  });
}
