import { formatKeyPath, goAtoi, goFormatFloatF, goParseBool, goParseFloat, HushError, printable, readTree, type FileFormat, type KeyPath, type TreeMap, type TreeNode } from "@hush/core";

/**
 * A decrypted document as environment variables, for `exec-env` and the Node loader. Top-level
 * scalars become variables as SOPS's `ValToString` writes them. Maps and lists are refused (as
 * SOPS does), or, with `flatten`, become one variable per leaf named by its path joined with
 * the separator: `db: {password: x}` is `db__password`, `hosts: [a, b]` is `hosts__0` and
 * `hosts__1`. Names are never changed otherwise (no upper-casing): what the file says is what
 * the program reads. Errors name the key path, never a value.
 */

/** The separator of flattened names unless another is chosen (`--flatten-separator`, `separator`). */
export const DEFAULT_FLATTEN_SEPARATOR = "__";

export interface EnvShape {
  /** Nested maps and lists become one variable per leaf instead of an error. */
  readonly flatten?: boolean;
  /** Joins the path segments of a flattened name (default {@link DEFAULT_FLATTEN_SEPARATOR}). */
  readonly separator?: string;
  /**
   * How the caller's user asks for `flatten` and `separator`, for the errors that name them:
   * the command's flags (the default), or loadEnv's options, which a program's author reads.
   */
  readonly optionNames?: { readonly flatten: string; readonly separator: string };
}

/** `exec-env`'s flags, the default {@link EnvShape.optionNames}. */
const FLAG_NAMES = { flatten: "--flatten", separator: "--flatten-separator" } as const;

/** One variable and the tree path its value came from. */
export interface EnvEntry {
  readonly name: string;
  readonly value: string;
  readonly path: KeyPath;
}

function refuse(message: string, path: KeyPath): HushError {
  return new HushError("INVALID_ARGUMENT", message, { location: { keyPath: formatKeyPath(path) } });
}

/** The environment form of a scalar, as SOPS's `ValToString` writes it; undefined for null. */
function scalarText(node: TreeNode): string | undefined {
  if (node.kind !== "scalar") return undefined;
  const v = node.value;
  switch (v.type) {
    case "int":
      return String(goAtoi(v.text) ?? v.text);
    case "float": {
      const f = goParseFloat(v.text);
      return f === undefined ? v.text : goFormatFloatF(f);
    }
    case "bool":
      return goParseBool(v.text) === true ? "true" : "false";
    default:
      return v.text;
  }
}

/**
 * A control character (C0, DEL, C1). The environment holds them, but `env` would print a name
 * with a line break as two lines, the second one `NODE_OPTIONS=…` of the file's choosing, and
 * whatever reads that output back (an env file, $GITHUB_ENV) sets what the policy refuses.
 */
const CONTROL_CHARACTER = /[\u0001-\u001f\u007f-\u009f]/;

/**
 * The longest variable name taken from a file, in UTF-8 bytes. Linux holds at most 128 KiB in one
 * NAME=value; a longer one makes every program the process starts fail (E2BIG), and a key path of
 * empty values, which anyone can add without the key, flattens to such a name. No configuration
 * names a variable with more than a few dozen characters.
 */
export const MAX_VARIABLE_NAME_BYTES = 4096;

function checkName(name: string, path: KeyPath): string {
  const bytes = Buffer.byteLength(name);
  if (bytes > MAX_VARIABLE_NAME_BYTES) {
    throw refuse(`the key path ${printable(formatKeyPath(path), 200)} gives a variable name of ${bytes} bytes, more than the ${MAX_VARIABLE_NAME_BYTES} a name may have`, path);
  }
  const control = CONTROL_CHARACTER.test(name);
  if (name === "" || name.includes("=") || name.includes("\0") || control) {
    const why = control ? " (it holds a control character)" : "";
    throw refuse(`cannot use key ${printable(JSON.stringify(name), 80)} at ${printable(formatKeyPath(path), 200)} as an environment variable name${why}`, path);
  }
  return name;
}

function collect(node: TreeNode, path: KeyPath, name: string, shape: Required<EnvShape>, out: EnvEntry[]): void {
  switch (node.kind) {
    case "null":
    case "comment":
      return;
    case "map":
    case "list": {
      if (!shape.flatten) {
        // Only a top-level value gets here; SOPS's wording, which scripts may match.
        throw refuse(`cannot use complex value in environment; offending key ${printable(String(path[0]), 200)} (use ${shape.optionNames.flatten} for one variable per nested value)`, path);
      }
      const children: Array<[string | number, TreeNode]> = node.kind === "map" ? node.entries.flatMap((e) => (e.kind === "entry" ? [[e.key, e.value] as [string, TreeNode]] : [])) : node.items.map((v, i) => [i, v]);
      for (const [seg, child] of children) collect(child, [...path, seg], checkName(`${name}${shape.separator}${seg}`, [...path, seg]), shape, out);
      return;
    }
    case "scalar": {
      const value = scalarText(node)!;
      if (value.includes("\0")) throw refuse(`the value of ${printable(formatKeyPath(path), 200)} contains a NUL byte, which an environment variable cannot hold`, path);
      out.push({ name, value, path });
    }
  }
}

/**
 * Variables from a decrypted document (dotenv files as their store reads them; `tree`, when
 * given, is what `text` reads as). Two paths that
 * flatten to the same name are refused, naming both: one silently winning would hide a value. On
 * Windows, whose environment ignores case, so are two names that differ only in case: an empty
 * `token=`, which a branch can add without the key (the MAC does not see it), set before `TOKEN`
 * would take its place.
 */
export async function envFromPlaintext(text: string, format: FileFormat, shape: EnvShape = {}, tree?: TreeMap): Promise<EnvEntry[]> {
  const full: Required<EnvShape> = { flatten: shape.flatten === true, separator: shape.separator ?? DEFAULT_FLATTEN_SEPARATOR, optionNames: shape.optionNames ?? FLAG_NAMES };
  if (full.flatten && full.separator === "") throw new HushError("INVALID_ARGUMENT", "the flatten separator cannot be empty");
  const read = tree ?? (await readTree(text, format));
  const out: EnvEntry[] = [];
  for (const e of read.entries) if (e.kind === "entry") collect(e.value, [e.key], checkName(e.key, [e.key]), full, out);
  const seen = new Map<string, KeyPath>();
  const variableOf = (name: string): string => (process.platform === "win32" ? name.toUpperCase() : name);
  for (const entry of out) {
    const earlier = seen.get(variableOf(entry.name));
    if (earlier !== undefined) {
      throw refuse(`${printable(formatKeyPath(earlier), 200)} and ${printable(formatKeyPath(entry.path), 200)} both become the variable ${printable(entry.name, 80)}; rename one or choose another ${full.optionNames.separator}`, entry.path);
    }
    seen.set(variableOf(entry.name), entry.path);
  }
  return out;
}

