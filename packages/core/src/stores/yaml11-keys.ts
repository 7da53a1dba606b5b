import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";

/**
 * How YAML 1.1 readers of hush's output (PyYAML for Ansible, go-yaml v2 for Helm and kubectl) read
 * a plain mapping key that go-yaml v3, SOPS and hush read as a string: `on`, `yes` and `y` are
 * true to them, `1:30` is 90, `017` and `0x0f` are 15. Two keys that SOPS reads apart may so be one
 * key to those readers, which keep the last one's value. A key's spelling is covered by no MAC
 * (an encrypted value's AAD is its path as SOPS reads it), and a null adds nothing to the MAC: a
 * branch could add `yes:` after `on: ENC[…]` and null the value for Ansible.
 *
 * Free of the `yaml` package: the span scanner asks it too.
 */

const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL)?$/;
/** PyYAML's YAML 1.1 integers (go-yaml v2 reads the same ones but base 60). */
const INT = /^[-+]?(?:0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
/** PyYAML's YAML 1.1 floats, which need a dot (NaN is never equal to a key, so it is left out). */
const FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF))$/;

/** A YAML 1.1 integer's value; `text` matches INT. */
function intValue(text: string): bigint {
  const negative = text.startsWith("-");
  const body = text.replace(/^[-+]/, "").replace(/_/g, "");
  let value: bigint;
  if (body.includes(":")) value = body.split(":").reduce((sum, part) => sum * 60n + BigInt(part), 0n);
  else if (body.startsWith("0b") || body.startsWith("0x")) value = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  return negative ? -value : value;
}

/** A YAML 1.1 float's value; `text` matches FLOAT. */
function floatValue(text: string): number {
  const body = text.replace(/_/g, "");
  if (/inf$/i.test(body)) return body.startsWith("-") ? -Infinity : Infinity;
  if (!body.includes(":")) return Number(body);
  const negative = body.startsWith("-");
  const parts = body.replace(/^[-+]/, "").split(":");
  const value = parts.reduce((sum, part) => sum * 60 + Number(part), 0);
  return negative ? -value : value;
}

/**
 * What a plain, untagged mapping key is to YAML 1.1 readers when that is not the string as
 * written: `null`, or a number for booleans and numbers (Python takes true for 1 and 1.0 for 1 in
 * a mapping's keys); undefined for a string. Two keys with the same reading are one key to them.
 */
export function yaml11KeyReading(text: string): string | undefined {
  if (NULL.test(text)) return "null";
  if (TRUE.test(text)) return "1";
  if (FALSE.test(text)) return "0";
  const first = text.charCodeAt(0);
  if (!((first >= 48 && first <= 57) || text[0] === "-" || text[0] === "+" || text[0] === ".")) return undefined;
  if (INT.test(text)) return intValue(text).toString();
  if (FLOAT.test(text)) {
    const value = floatValue(text);
    return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  }
  return undefined;
}

/** Two keys of a mapping that YAML 1.1 readers read as one. */
export interface KeyTwins {
  /** The mapping's path. */
  readonly path: KeyPath;
  readonly first: { readonly text: string; readonly line: number };
  readonly second: { readonly text: string; readonly line: number };
}

/**
 * The error for {@link KeyTwins}: VALUE_TAMPERED in an encrypted file (`encrypted`), where the
 * second key holds nothing the MAC covers, PARSE_FAILED in a plaintext, which SOPS would encrypt
 * as written and readers would then read apart.
 */
export function keyTwinsError(twins: KeyTwins, encrypted: boolean): HushError {
  const keys = `the keys ${printable(twins.first.text, 40)} (line ${twins.first.line}) and ${printable(twins.second.text, 40)} (line ${twins.second.line}) in ${twins.path.length === 0 ? "the top-level mapping" : `the mapping at ${formatKeyPath(twins.path)}`} are one key to YAML 1.1 readers (PyYAML, go-yaml v2)`;
  const location = { location: { keyPath: formatKeyPath([...twins.path, twins.second.text]), line: twins.second.line } };
  const quoted = `"${printable(twins.first.text, 40).replace(/"/g, '\\"')}": …`;
  if (!encrypted) return new HushError("PARSE_FAILED", `${keys}, which keep only the second's value, while SOPS and hush read two keys: quote them (${quoted})`, location);
  return new HushError("VALUE_TAMPERED", `${keys}, which read what the second holds, nothing the MAC covers, in place of the first's value; SOPS and hush read two keys, and no MAC covers a key's spelling`, {
    ...location,
    hint: `take the file from a revision you trust (git log -p shows who changed it), or quote the keys (${quoted})`,
  });
}
