import { HushError, printable } from "../errors.ts";
import { formatKeyPath, type KeyPath } from "../tree/values.ts";

/**
 * How YAML 1.1 readers of hush's output read a plain mapping key that go-yaml v3, SOPS and hush
 * read as a string. PyYAML (Ansible) takes `on`, `yes` and `true` for True, which a Python mapping
 * holds as the key 1, `1:30` for 90, `017` and `0x0f` for 15. go-yaml v2 reads `y`, `yes` and `on`
 * as true and `0o17` as 15, and sigs.k8s.io/yaml (Helm, kubectl, Flux) then names each key by its
 * JSON text, so that `true`, `on` and "true", or `01` and "1", are one key there, of which it keeps
 * one in no set order. Two keys that SOPS reads apart may so be one key to those readers. A key's
 * spelling is covered by no MAC (an encrypted value's AAD is its path as SOPS reads it), and a
 * null adds nothing to the MAC: a branch could add `yes:` after `on: ENC[…]` and null the value.
 *
 * Free of the `yaml` package: the span scanner asks it too.
 */

const TRUE = /^(?:y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const FALSE = /^(?:n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const NULL = /^(?:~|null|Null|NULL)?$/;
/** PyYAML's YAML 1.1 integers. */
const PY_INT = /^[-+]?(?:0b[01_]+|0[0-7_]+|0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
/** PyYAML's YAML 1.1 floats, which need a dot (NaN is never equal to a key, so it is left out). */
const PY_FLOAT = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF))$/;
/** go-yaml v2's integers once `_` is removed (Go's ParseInt with base 0). */
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
/** go-yaml v2's floats once `_` is removed. */
const GO_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** A PyYAML integer's value; `text` matches PY_INT. */
function pyInt(text: string): bigint {
  const negative = text.startsWith("-");
  const body = text.replace(/^[-+]/, "").replace(/_/g, "");
  let value: bigint;
  if (body.includes(":")) value = body.split(":").reduce((sum, part) => sum * 60n + BigInt(part), 0n);
  else if (body.startsWith("0b") || body.startsWith("0x")) value = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  return negative ? -value : value;
}

/** A PyYAML float's value; `text` matches PY_FLOAT. */
function pyFloat(text: string): number {
  const body = text.replace(/_/g, "");
  if (/inf$/i.test(body)) return body.startsWith("-") ? -Infinity : Infinity;
  if (!body.includes(":")) return Number(body);
  const negative = body.startsWith("-");
  const value = body.replace(/^[-+]/, "").split(":").reduce((sum, part) => sum * 60 + Number(part), 0);
  return negative ? -value : value;
}

/** The key PyYAML's mapping holds for a plain key, when it is not the string: "null" or a number. */
function pythonReading(text: string): string | undefined {
  if (NULL.test(text)) return "null";
  if (TRUE.test(text) && !/^[yYnN]$/.test(text)) return "1";
  if (FALSE.test(text) && !/^[yYnN]$/.test(text)) return "0";
  if (PY_INT.test(text)) return pyInt(text).toString();
  if (PY_FLOAT.test(text)) {
    const value = pyFloat(text);
    return Number.isInteger(value) ? BigInt(value).toString() : String(value);
  }
  return undefined;
}

/** The JSON key sigs.k8s.io/yaml gives a plain key after go-yaml v2 typed it, when that is not its text. */
function jsonReading(text: string): string | undefined {
  if (TRUE.test(text)) return text === "true" ? undefined : "true";
  if (FALSE.test(text)) return text === "false" ? undefined : "false";
  const plain = text.replace(/_/g, "");
  const int = GO_INT.exec(plain);
  let json: string | undefined;
  if (int !== null) {
    const body = int[2]!;
    const lower = body.toLowerCase();
    const magnitude = lower.startsWith("0x") || lower.startsWith("0o") || lower.startsWith("0b") ? BigInt(lower) : body.length > 1 ? BigInt(`0o${body.slice(1)}`) : BigInt(body);
    json = (int[1] === "-" ? -magnitude : magnitude).toString();
  } else if (GO_FLOAT.test(plain)) {
    // Go writes a float key in the shortest form ('g'); only whole numbers are written here.
    const value = Number(plain);
    if (Number.isInteger(value) && Math.abs(value) < 1e6) json = String(value);
  }
  return json === text ? undefined : json;
}

/**
 * What YAML 1.1 readers make of a plain, untagged mapping key where that is not the string as
 * written: `py:` the key PyYAML's mapping holds, `json:` the JSON key sigs.k8s.io/yaml names it
 * by. Empty for a key they read as its text. Every key is besides `json:` its own text.
 */
export function yaml11KeyReadings(text: string): string[] {
  // The words are at most five characters, and numbers start with a digit, a sign or a dot: most
  // keys are neither, and skip the patterns.
  const first = text.charCodeAt(0);
  if (text.length > 5 && !((first >= 48 && first <= 57) || first === 0x2b || first === 0x2d || first === 0x2e)) return [];
  const python = pythonReading(text);
  const json = jsonReading(text);
  return [...(python === undefined ? [] : [`py:${python}`]), ...(json === undefined ? [] : [`json:${json}`])];
}

/**
 * The key written before in the same mapping that YAML 1.1 readers read as the key `text`, if any.
 * `readings`: the readings of the keys before (see {@link yaml11KeyReadings}); `written`: the text
 * of each key before; `plain`: the key is plain and untagged (else it is its text to every reader).
 */
export function yaml11Twin<T>(text: string, plain: boolean, readings: ReadonlyMap<string, T>, written: (text: string) => T | undefined): T | undefined {
  const mine = plain ? yaml11KeyReadings(text) : [];
  for (const reading of mine) {
    const twin = readings.get(reading) ?? (reading.startsWith("json:") ? written(reading.slice(5)) : undefined);
    if (twin !== undefined) return twin;
  }
  return readings.get(`json:${text}`);
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
  if (!encrypted) return new HushError("PARSE_FAILED", `${keys}, which keep only one of their values, while SOPS and hush read two keys: quote them (${quoted})`, location);
  return new HushError("VALUE_TAMPERED", `${keys}, which keep only one of their values, and one of them holds nothing the MAC covers; SOPS and hush read two keys, and no MAC covers a key's spelling`, {
    ...location,
    hint: `take the file from a revision you trust (git log -p shows who changed it), or quote the keys (${quoted})`,
  });
}
