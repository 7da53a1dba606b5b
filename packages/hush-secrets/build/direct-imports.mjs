/**
 * Direct imports: `import { openText } from "@hush/core"` in a workspace source becomes an import
 * of the module that defines `openText`, when the package's entry is a barrel (a file of
 * `export … from` lines only, such as core's index.ts).
 *
 * Why: esbuild assigns whole files to chunks by the entry points that reach them, and it follows
 * every `export … from` of a barrel it reaches. Through the barrel, `hush decrypt` would reach all
 * of core (the `.sops.yaml` parser, the editor's tree edits, Shamir) and `hush git textconv` all of
 * the git package (merge driver, check, setup), and load them at every start. With direct imports
 * each command's chunks hold what its code uses. Nothing changes in what runs: the packages are
 * free of side effects (`"sideEffects": false`), so skipping a barrel skips no code.
 *
 * A name the barrel does not re-export by name (or through `export *` of another barrel) stays
 * imported from the barrel, which is correct, only coarser.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/** `export { a, b as c, type T } from "./x.ts";` and `export * from "./y.ts";` (comments allowed around them). */
const EXPORT_FROM = /export\s+(type\s+)?(?:\{([^}]*)\}|\*)\s*from\s*"([^"]+)"\s*;?/g;
const COMMENTS = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
/** `import { … } from "@hush/…";` (a default or namespace import is left alone). */
const IMPORT_NAMED = /import\s*\{([^}]*)\}\s*from\s*"(@hush\/[a-z-]+(?:\/[a-z-]+)?)"\s*;?/g;

/**
 * The barrel at `file` as a map from exported name to [defining file, name there]; undefined when
 * the file holds anything but `export … from` lines.
 */
function readBarrel(file, cache) {
  if (cache.has(file)) return cache.get(file);
  cache.set(file, undefined); // a cycle reads as "not a barrel"
  const text = readFileSync(file, "utf8").replace(COMMENTS, "");
  if (text.replace(EXPORT_FROM, "").trim() !== "") return undefined;
  const map = new Map();
  for (const m of text.matchAll(EXPORT_FROM)) {
    const [, typeOnly, list, from] = m;
    const target = resolve(dirname(file), from);
    if (list === undefined) {
      // `export * from`: only a nested barrel can be expanded here.
      const nested = readBarrel(target, cache);
      if (nested === undefined) return undefined;
      for (const [name, where] of nested) if (!map.has(name)) map.set(name, where);
      continue;
    }
    if (typeOnly !== undefined) continue;
    for (const spec of list.split(",").map((s) => s.trim()).filter((s) => s !== "" && !s.startsWith("type "))) {
      const [local, exported = local] = spec.split(/\s+as\s+/);
      map.set(exported, [target, local]);
    }
  }
  cache.set(file, map);
  return map;
}

/**
 * An esbuild plugin rewriting named imports of `@hush/*` barrels in workspace sources
 * (`packagesDir`/NAME/src/…) to the defining modules. `entryOf(specifier)` gives the file a
 * `@hush/…` specifier resolves to, or undefined.
 */
export function directImports(packagesDir, entryOf) {
  const barrels = new Map();
  const sources = new RegExp(`^${packagesDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/[a-z-]+/src/.*\\.ts$`);
  return {
    name: "direct-imports",
    setup(b) {
      b.onLoad({ filter: sources }, (args) => {
        const text = readFileSync(args.path, "utf8");
        if (!text.includes('"@hush/')) return undefined;
        const contents = text.replace(IMPORT_NAMED, (statement, list, specifier) => {
          const entry = entryOf(specifier);
          const barrel = entry === undefined || !existsSync(entry) ? undefined : readBarrel(entry, barrels);
          if (barrel === undefined) return statement;
          const direct = new Map();
          const rest = [];
          // Comments in the list go: a `//` one would swallow what follows once the list is one line.
          for (const spec of list.replace(COMMENTS, " ").split(",").map((s) => s.trim()).filter((s) => s !== "")) {
            if (spec.startsWith("type ")) continue; // erased; verbatimModuleSyntax marks every type import
            const [imported, local = imported] = spec.split(/\s+as\s+/);
            const where = barrel.get(imported);
            if (where === undefined) {
              rest.push(spec);
              continue;
            }
            const [file, name] = where;
            if (!direct.has(file)) direct.set(file, []);
            direct.get(file).push(name === local ? name : `${name} as ${local}`);
          }
          const lines = [...direct].map(([file, names]) => `import { ${names.join(", ")} } from ${JSON.stringify(file)};`);
          if (rest.length > 0) lines.push(`import { ${rest.join(", ")} } from ${JSON.stringify(specifier)};`);
          // Keep the line count, so positions in messages and maps stay near the source's.
          return lines.join(" ") + "\n".repeat((statement.match(/\n/g) ?? []).length);
        });
        return { contents, loader: "ts" };
      });
    },
  };
}
