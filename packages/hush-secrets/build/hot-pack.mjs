/**
 * Hot packs: the chunks a hot command runs (decrypt of an age-encrypted YAML, JSON or dotenv
 * file, textconv, exec-env) copied into a few files that the launcher reads, compiles and caches
 * as one each. Loaded one by one, those are some forty files, each a read, a hash, a code-cache
 * lookup and a compile: a tenth of the start-up time of `hush decrypt`. The chunk files stay as
 * they are (the API entry points require them, and a chunk outside every pack loads from its
 * file), so packs change how fast the CLI starts, never what it runs.
 */
import { createHash } from "node:crypto";
import { relative } from "node:path";

/**
 * The modules whose dynamic import a hot command waits for (paths under packages/), in groups:
 * the first group's pack also holds everything the entry point imports statically, and is what
 * `hush decrypt` of an age-encrypted YAML file reads; each further group's pack holds what its
 * format or command adds.
 * Each module's chunk and the chunks it imports statically are packed. Other modules (encrypt,
 * the `yaml` package for --extract, the AWS SDK, gpg) stay in their own files.
 */
export const HOT_GROUPS = [
  ["cli/src/commands/decrypt.ts", "key-source-age/src/age-key-source.ts", "key-source-age/src/discovery.ts", "core/src/stores/yaml-fast-reader.ts"],
  // The other formats' readers: a YAML file (the common case) does not read them.
  ["core/src/stores/json-fast-reader.ts"],
  ["core/src/stores/dotenv-store.ts"],
  ["cli/src/commands/git/textconv.ts"],
  ["cli/src/commands/exec.ts"],
];

/**
 * Which output chunks (paths of the metafile) go into which group's pack for the entry output
 * `entry`: an array with one list per group of {@link HOT_GROUPS}. Only chunks the entry can
 * reach are packed, each in the first group that needs it.
 */
export function hotPackGroups(metafile, entry, packagesDir) {
  const outputs = metafile.outputs;
  const sourceOf = (output) => {
    const source = outputs[output]?.entryPoint;
    return source === undefined ? undefined : relative(packagesDir, source).split("\\").join("/");
  };
  const reachable = new Set();
  const reach = (output) => {
    if (reachable.has(output)) return;
    reachable.add(output);
    for (const imp of outputs[output]?.imports ?? []) if (!imp.external) reach(imp.path);
  };
  reach(entry);
  const assigned = new Set();
  return HOT_GROUPS.map((group, index) => {
    const packed = [];
    const visit = (output) => {
      if (assigned.has(output)) return;
      assigned.add(output);
      packed.push(output);
      for (const imp of outputs[output]?.imports ?? []) {
        if (imp.external) continue;
        if (imp.kind === "import-statement" || imp.kind === "require-call") visit(imp.path);
        else if (imp.kind === "dynamic-import" && group.includes(sourceOf(imp.path))) visit(imp.path);
      }
    };
    if (index === 0) visit(entry);
    for (const output of reachable) if (group.includes(sourceOf(output))) visit(output);
    return packed;
  });
}

/**
 * A pack's text: an object of module functions, each with the CommonJS module's own wrapper,
 * keyed by the file name the launcher loads (`chunks`: [name, CommonJS code] pairs).
 */
export function packText(chunks) {
  const members = chunks.map(([name, code]) => `${JSON.stringify(name)}: (function (exports, require, module, __filename, __dirname) { "use strict";${code}\n})`);
  return `({\n${members.join(",\n")}\n})`;
}

/** A pack's identity for its code cache (the launcher need not hash the text at every start). */
export function packId(text) {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
