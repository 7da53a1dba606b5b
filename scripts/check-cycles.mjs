#!/usr/bin/env node
// Fails when the relative imports inside a package's src/ form a cycle. A cycle makes module
// start-up order matter (a value read before its module has run is undefined), hides which file
// owns what, and keeps a file on the start-up path of commands that never use it.
//
// Usage: node scripts/check-cycles.mjs   (exit 0: no cycles; exit 1: each cycle printed)
//
// It reads `import … from "./x.ts"`, `export … from "./x.ts"` and `import("./x.ts")` with relative
// specifiers only: imports between packages go through their public entry points and are
// checked by the package graph itself. `import type` counts too: a type-only cycle still means
// two files that each need the other to be understood.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = join(root, "packages");

/** Every .ts file under `dir`. */
function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

// Static imports and re-exports (`from "…"`, possibly over several lines) and dynamic imports.
const SPECIFIER = /\b(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;

/** The relative imports of one file, resolved to files that exist. */
function importsOf(file) {
  // Comments could mention an import; drop them first (line comments only where they start a line
  // or follow code after whitespace, so that "https://…" in strings survives).
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");
  const found = new Set();
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1];
    const base = resolve(dirname(file), spec);
    const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
    const target = candidates.find((c) => c.endsWith(".ts") && existsSync(c));
    if (target !== undefined) found.add(target);
  }
  return [...found];
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const onStack = new Set();
  const idx = new Map();
  const low = new Map();
  const result = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), idx.get(w)));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) result.push(component);
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return result;
}

/** One concrete loop through a component, for the message: a → b → … → a. */
function loopThrough(component, graph) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const path = [start];
  const seen = new Set([start]);
  const walk = (v) => {
    for (const w of graph.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) return true;
      if (seen.has(w)) continue;
      seen.add(w);
      path.push(w);
      if (walk(w)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return [...path, start];
}

const graph = new Map();
for (const pkg of readdirSync(packagesDir).sort()) {
  const src = join(packagesDir, pkg, "src");
  if (!existsSync(src)) continue;
  for (const file of sourceFiles(src)) graph.set(file, importsOf(file));
}

const found = cycles(graph);
const show = (f) => relative(root, f);
if (found.length === 0) {
  console.log(`check-cycles: no import cycles in ${graph.size} source files`);
  process.exit(0);
}
console.error(`check-cycles: ${found.length} import cycle(s) among relative imports in packages/*/src:`);
for (const component of found.sort((a, b) => show(a[0]).localeCompare(show(b[0])))) {
  const files = component.map(show).sort();
  console.error(`\n  ${files.length} files: ${files.join(", ")}`);
  console.error(`  e.g. ${loopThrough(component, graph).map(show).join(" → ")}`);
}
process.exit(1);
