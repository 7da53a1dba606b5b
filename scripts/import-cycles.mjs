#!/usr/bin/env node
// Lists import cycles among the TypeScript sources of the given directories (default: every
// packages/*/src), following relative static imports and `import("./x.ts")` calls; type-only
// imports are left out since they vanish at run time. Exits 1 when there is a cycle.
//   node scripts/import-cycles.mjs [dir...]
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const roots = process.argv.length > 2 ? process.argv.slice(2) : readdirSync("packages").map((p) => join("packages", p, "src"));
const files = new Set();
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith(".ts")) files.add(resolve(path));
  }
};
for (const root of roots) {
  try {
    walk(root);
  } catch {
    // a package without src
  }
}
const graph = new Map();
for (const file of files) {
  const source = readFileSync(file, "utf8");
  const deps = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g)) {
    if (m[1] !== undefined) continue;
    const target = resolve(dirname(file), m[2] ?? m[3]);
    if (files.has(target)) deps.push(target);
  }
  graph.set(file, deps);
}
const cycles = new Set();
const stack = [];
const onStack = new Set();
const done = new Set();
const visit = (node) => {
  stack.push(node);
  onStack.add(node);
  for (const dep of graph.get(node)) {
    if (onStack.has(dep)) cycles.add(stack.slice(stack.indexOf(dep)).map((f) => relative(process.cwd(), f)).join(" -> "));
    else if (!done.has(dep)) visit(dep);
  }
  stack.pop();
  onStack.delete(node);
  done.add(node);
};
for (const file of files) if (!done.has(file)) visit(file);
for (const cycle of cycles) console.log(cycle);
console.log(`${cycles.size} import cycle(s) in ${files.size} files`);
process.exit(cycles.size === 0 ? 0 : 1);
