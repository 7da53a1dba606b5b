import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, repoPath } from "@hush/testkit";
import { BUNDLE_OUT, requireBundle } from "./helpers.ts";

/**
 * The bundle's plain chunk exports (packages/hush-secrets/build/lean-exports.mjs): a program split
 * into chunks as the build splits hush, run with esbuild's CommonJS exports and with the plain
 * ones, prints the same, including what a live binding (`let`) reads after it changed.
 */

interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<{ metafile: { outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }> } }>;
  transform(code: string, options: Record<string, unknown>): Promise<{ code: string }>;
}
interface LeanExports {
  leanExports(code: string, file: string): string;
  refuseChunkCycles(metafile: { outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }> }): void;
}

const SOURCES: Record<string, string> = {
  // Imported by every entry: a chunk of its own.
  "deep.ts": 'export const depth = { level: 3 };\nexport function deepName(): string { return "deep"; }\n',
  // Imported by two entries: another chunk, which re-exports one of deep's.
  "shared.ts": [
    'import { depth } from "./deep.ts";',
    'export { deepName } from "./deep.ts";',
    "export function greet(name: string): string { return `hello ${name} at ${depth.level}`; }",
    'export const table = { a: 1, b: 2 };',
    "export class Box { constructor(readonly v: number) {} twice(): number { return this.v * 2; } }",
    "export let count = 0;",
    "export function bump(): void { count += 1; }",
    "",
  ].join("\n"),
  "one.ts": [
    'import { greet, table, Box, count, bump, deepName } from "./shared.ts";',
    'import { depth } from "./deep.ts";',
    "bump(); bump();",
    'console.log(greet("one"), table.b, new Box(4).twice(), count, deepName(), depth.level);',
    "",
  ].join("\n"),
  "two.ts": 'import { greet, count } from "./shared.ts";\nconsole.log(greet("two"), count);\n',
  "three.ts": 'import { deepName } from "./deep.ts";\nconsole.log(deepName());\n',
};

describe("the bundle's plain chunk exports", () => {
  const tmp = makeTempDir("hush-lean-exports-");
  let esbuild: EsbuildApi;
  let lean: LeanExports;

  beforeAll(async () => {
    esbuild = createRequire(repoPath("packages", "hush-secrets", "package.json"))("esbuild") as EsbuildApi;
    lean = (await import(pathToFileURL(repoPath("packages", "hush-secrets", "build", "lean-exports.mjs")).href)) as LeanExports;
    mkdirSync(join(tmp.path, "src"));
    for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(tmp.path, "src", file), text);
  });
  afterAll(() => tmp.cleanup());

  /** The program split into chunks and turned into CommonJS as the build does, in `dir`; each entry's output. */
  const buildAndRun = async (dir: string, plain: boolean): Promise<{ outputs: string[]; chunks: Map<string, string> }> => {
    const staging = join(tmp.path, `${dir}-esm`);
    const { metafile } = await esbuild.build({
      entryPoints: ["one", "two", "three"].map((e) => join(tmp.path, "src", `${e}.ts`)),
      bundle: true,
      splitting: true,
      format: "esm",
      minify: true,
      platform: "node",
      metafile: true,
      outdir: staging,
      chunkNames: "c-[hash]",
      logLevel: "silent",
    });
    lean.refuseChunkCycles(metafile);
    const out = join(tmp.path, dir);
    mkdirSync(out);
    const chunks = new Map<string, string>();
    for (const file of readdirSync(staging)) {
      const { code } = await esbuild.transform(readFileSync(join(staging, file), "utf8"), { format: "cjs", platform: "node", minify: true });
      const linked = code.replace(/require\("\.\/([\w-]+)\.js"\)/g, 'require("./$1.cjs")');
      const written = plain && file.startsWith("c-") ? lean.leanExports(linked, file) : linked;
      writeFileSync(join(out, file.replace(/\.js$/, ".cjs")), written);
      if (file.startsWith("c-")) chunks.set(file, written);
    }
    const outputs = ["one", "two", "three"].map((e) => execFileSync(process.execPath, [join(out, `${e}.cjs`)], { encoding: "utf8" }));
    return { outputs, chunks };
  };

  it("runs the same: functions, objects, a class, and a `let` read after it changed", async () => {
    const getters = await buildAndRun("getters", false);
    expect(getters.outputs).toEqual(["hello one at 3 2 8 2 deep 3\n", "hello two at 3 0\n", "deep\n"]);
    const plain = await buildAndRun("plain", true);
    expect(plain.outputs).toEqual(getters.outputs);
    // Two chunks (deep, shared), each now setting its exports at its end: the functions, class and
    // objects as values; the `let` keeps a getter.
    expect(plain.chunks.size).toBe(2);
    const ends = [...plain.chunks.values()].map((code) => code.slice(code.lastIndexOf("module.exports={")));
    for (const end of ends) expect(end).toMatch(/^module\.exports=\{.*\};\n$/);
    const getterCount = ends.map((e) => (e.match(/\bget /g) ?? []).length).sort();
    expect(getterCount).toEqual([0, 1]);
    for (const code of plain.chunks.values()) expect(code).not.toMatch(/module\.exports=[\w$]+\([\w$]+\)/);
  });

  it("refuses a chunk it cannot read, and chunks that import each other in a cycle", () => {
    expect(() => lean.leanExports('var a={};b(a,{x:()=>y()});module.exports=c(a);0&&(module.exports={x});', "c-X.js")).toThrow(/unexpected export x:\(\)=>y\(\)/);
    expect(() => lean.leanExports("module.exports=something;", "c-Y.js")).toThrow(/changed shape/);
    expect(lean.leanExports("console.log(1);", "c-Z.js")).toBe("console.log(1);");
    // Another chunk's export, and a binding written after its declaration (by whatever scope),
    // keep getters; a function and a variable written nowhere become values.
    const esbuildShape = 'var a={};b(a,{f:()=>o.d,g:()=>n,h:()=>k,i:()=>m});module.exports=c(a);var o=require("./c-W.cjs"),n=1,m={};function k(){let n=0;n++}0&&(module.exports={f,g,h,i});';
    expect(lean.leanExports(esbuildShape, "c-V.js")).toBe('var o=require("./c-W.cjs"),n=1,m={};function k(){let n=0;n++}module.exports={get f(){return o.d},get g(){return n},h:k,i:m};\n');
    const imports = (...paths: string[]): { imports: { path: string; kind: string }[] } => ({ imports: paths.map((path) => ({ path, kind: "import-statement" })) });
    expect(() => lean.refuseChunkCycles({ outputs: { "e.js": imports("c-1.js"), "c-1.js": imports("c-2.js"), "c-2.js": imports("c-1.js") } })).toThrow(/cycle \(c-1\.js -> c-2\.js -> c-1\.js\)/);
    expect(() => lean.refuseChunkCycles({ outputs: { "e.js": imports("c-1.js", "c-2.js"), "c-1.js": imports("c-2.js"), "c-2.js": imports() } })).not.toThrow();
  });
});

/** Whether identifier `id` is written where it stands: assigned (a destructuring's target too), incremented, a for-in/of target. */
function writtenAt(id: ts.Identifier): boolean {
  let node: ts.Node = id;
  let parent = node.parent;
  // Up through a destructuring pattern to the assignment or loop that writes it.
  while (
    ts.isParenthesizedExpression(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    ts.isObjectLiteralExpression(parent) ||
    ts.isShorthandPropertyAssignment(parent) ||
    ts.isSpreadElement(parent) ||
    ts.isSpreadAssignment(parent) ||
    (ts.isPropertyAssignment(parent) && parent.initializer === node) ||
    (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.left === node && (ts.isArrayLiteralExpression(parent.parent) || ts.isPropertyAssignment(parent.parent) || ts.isShorthandPropertyAssignment(parent.parent)))
  ) {
    node = parent;
    parent = node.parent;
  }
  const kind = ts.isBinaryExpression(parent) ? parent.operatorToken.kind : undefined;
  if (kind !== undefined && ts.isBinaryExpression(parent) && parent.left === node && kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment) return true;
  if ((ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) && (parent.operator === ts.SyntaxKind.PlusPlusToken || parent.operator === ts.SyntaxKind.MinusMinusToken)) return true;
  return (ts.isForInStatement(parent) || ts.isForOfStatement(parent)) && parent.initializer === node;
}

/**
 * What is wrong with chunks' value exports, by the TypeScript checker's own scopes (not the
 * build's reading, which does not tell scopes apart): an export set as a value whose binding is
 * declared more than once or written anywhere, where a getter is needed to see it change.
 */
function changingValueExports(files: readonly string[]): string[] {
  const program = ts.createProgram([...files], { allowJs: true, noEmit: true, noResolve: true, noLib: true, types: [], target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.CommonJS });
  const checker = program.getTypeChecker();
  const problems = new Set<string>();
  for (const source of program.getSourceFiles()) {
    if (!files.includes(source.fileName)) continue;
    const last = source.statements[source.statements.length - 1];
    if (last === undefined || !ts.isExpressionStatement(last) || !ts.isBinaryExpression(last.expression) || !ts.isObjectLiteralExpression(last.expression.right)) {
      problems.add(`${source.fileName}: does not end with module.exports={…}`);
      continue;
    }
    const values = new Set<ts.Symbol>();
    for (const p of last.expression.right.properties) {
      if (!ts.isPropertyAssignment(p)) continue;
      const symbol = ts.isIdentifier(p.initializer) ? checker.getSymbolAtLocation(p.initializer) : undefined;
      if (symbol === undefined) problems.add(`${source.fileName}: the value export ${p.name.getText(source)} is not a binding of the chunk`);
      else values.add(symbol);
    }
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol !== undefined && values.has(symbol)) {
          if ((symbol.declarations ?? []).length !== 1) problems.add(`${source.fileName}: ${node.text} is declared ${(symbol.declarations ?? []).length} times`);
          if (writtenAt(node)) problems.add(`${source.fileName}: ${node.text} is written at ${node.getStart(source)}`);
        }
      }
      node.forEachChild(visit);
    };
    visit(source);
  }
  return [...problems];
}

/** The names a chunk's closing `module.exports={…}` sets, sorted (read, not run). */
function exportedNames(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);
  const last = source.statements[source.statements.length - 1];
  if (last === undefined || !ts.isExpressionStatement(last) || !ts.isBinaryExpression(last.expression) || !ts.isObjectLiteralExpression(last.expression.right)) return [];
  return last.expression.right.properties.map((p) => (p.name === undefined ? "" : ts.isStringLiteral(p.name) ? p.name.text : p.name.getText(source))).sort();
}

describe("the bundle's chunks as built", () => {
  it("export what esbuild said each exports, values only where the binding cannot change", () => {
    requireBundle();
    const dist = join(BUNDLE_OUT, "dist");
    const chunks = readdirSync(dist).filter((f) => /^c-[\w-]+\.cjs$/.test(f));
    expect(chunks.length).toBeGreaterThan(50);
    // The reading of writes finds them (the checker's scopes: the inner `let a` is another binding).
    const probe = makeTempDir("hush-lean-probe-");
    try {
      writeFileSync(join(probe.path, "c-P.cjs"), "var a=1,b={},c=2;function f(){let a=2;a++;(()=>{[b]=[3]})()}class K{static{c??=4}}for({x:a} of []);\nmodule.exports={a:a,b:b,c:c,f:f};\n");
      expect(changingValueExports([join(probe.path, "c-P.cjs")]).map((p) => p.replace(/^.*: /, "")).sort()).toEqual(["a is written at 89", "b is written at 49", "c is written at 75"]);
    } finally {
      probe.cleanup();
    }
    expect(changingValueExports(chunks.map((c) => join(dist, c)))).toEqual([]);
    // Every chunk exports the names esbuild gave it (its metafile), no more and no fewer.
    const meta = JSON.parse(readFileSync(join(BUNDLE_OUT, "..", "out-meta.json"), "utf8")) as { outputs: Record<string, { exports: string[] }> };
    for (const [output, { exports }] of Object.entries(meta.outputs)) {
      const name = output.replace(/^.*\//, "").replace(/\.js$/, ".cjs");
      if (!name.startsWith("c-")) continue;
      expect([exportedNames(join(dist, name)), name]).toEqual([[...exports].sort(), name]);
    }
  });
});
