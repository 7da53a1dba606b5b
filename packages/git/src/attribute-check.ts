import { printable } from "@hush/core";
import type { CheckProblem } from "./check.ts";
import { ATTRIBUTES_BEGIN, DRIVER } from "./setup.ts";

/**
 * Whether git still hands covered encrypted files to hush's drivers. A `.gitattributes` deeper in
 * the tree (or `.git/info/attributes`, `core.attributesFile`) can set `diff`/`merge` to something
 * else, and then reviews show no metadata summary and merges become line merges that skip hush's
 * recipient and data-key logic, silently. The CLI runs one `git check-attr --stdin -z diff merge`
 * for all files; this module reads its output and words the findings.
 */

/** The attributes to ask git about, in `git check-attr` order. */
export const DRIVER_ATTRIBUTES = ["diff", "merge"] as const;

/** Whether a root `.gitattributes` holds the block `hush git setup` writes (then the drivers are expected). */
export function hasManagedBlock(rootAttributes: string): boolean {
  return rootAttributes.split(/\r?\n/).includes(ATTRIBUTES_BEGIN);
}

/** Parses `git check-attr -z` output (`path NUL attribute NUL value NUL`…) into path → attribute → value. */
export function parseCheckAttr(output: string): Map<string, Map<string, string>> {
  const fields = output.split("\0");
  const out = new Map<string, Map<string, string>>();
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, attribute, value] = [fields[i]!, fields[i + 1]!, fields[i + 2]!];
    let attrs = out.get(path);
    if (attrs === undefined) out.set(path, (attrs = new Map()));
    attrs.set(attribute, value);
  }
  return out;
}

/**
 * The `drivers-overridden` finding for a file whose `diff` or `merge` is not hush's driver, or
 * undefined. `attributeFiles` names the files to look at (the nearest first).
 */
export function driverOverrideProblem(attrs: ReadonlyMap<string, string> | undefined, attributeFiles: readonly string[]): CheckProblem | undefined {
  const values = DRIVER_ATTRIBUTES.map((a) => ({ attribute: a, value: attrs?.get(a) ?? "unspecified" }));
  const wrong = values.filter((v) => v.value !== DRIVER);
  if (wrong.length === 0) return undefined;
  const shown = wrong.map((v) => `${v.attribute}: ${printable(v.value)}`).join(", ");
  return {
    severity: "error",
    code: "drivers-overridden",
    message:
      `git attributes give this file ${shown} instead of hush's driver (hush git setup set diff=${DRIVER} merge=${DRIVER}), so its diff shows no ` +
      `metadata summary and merges skip hush; look at ${[...attributeFiles.map((f) => printable(f)), "core.attributesFile"].join(", ")}` +
      (wrong.some((v) => v.value === "unspecified") ? " (for a file hush's block does not match yet, run `hush git setup` again)" : ""),
  };
}

/** Whether git's attributes hand the file to hush's diff or merge driver. */
export function routedToHush(attrs: ReadonlyMap<string, string> | undefined): boolean {
  return DRIVER_ATTRIBUTES.some((a) => attrs?.get(a) === DRIVER);
}

/**
 * The finding for a plaintext file that git hands to hush's drivers but no creation rule covers.
 * `.gitattributes` and `.sops.yaml` both say which files are secret; a branch that narrows
 * `.sops.yaml` alone (one changed line) must not make a plaintext file there pass, so such a
 * file counts as covered.
 */
export function routedPlaintextProblem(attrs: ReadonlyMap<string, string> | undefined): CheckProblem {
  const shown = DRIVER_ATTRIBUTES.filter((a) => attrs?.get(a) === DRIVER).map((a) => `${a}=${DRIVER}`).join(" ");
  return {
    severity: "error",
    code: "not-encrypted",
    message: `git attributes give this file ${shown} (hush's drivers: it is meant to be encrypted), but it is not encrypted and no .sops.yaml creation rule covers it: encrypt it under a rule that covers it, or take it out of hush's patterns in .gitattributes`,
  };
}
