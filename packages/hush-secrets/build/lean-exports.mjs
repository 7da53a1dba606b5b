/**
 * Gives a bundled chunk plain CommonJS exports in place of the getters esbuild writes.
 *
 * esbuild turns an ES module chunk into CommonJS with two layers of getters: `__export` defines
 * a getter per export on an object, and `__toCommonJS` copies each onto another object with a
 * getter of its own. A chunk pays two closures, two property descriptors and two accessors per
 * export when it starts, and every call across chunks runs both getters first. With a few hundred
 * exports among the fifty chunks the env loader starts with, that was about a tenth of what the
 * loader allocated before the application's first line: enough to cost the application a garbage
 * collection (about 1 ms) that `hush decrypt` does not pay.
 *
 * The getters keep live bindings and cyclic imports working. Neither is needed here: the build
 * refuses a cycle among chunks (the launcher's `load` then returns a chunk only once it has run
 * to the end), and a binding declared once with a value and written nowhere (a function, a
 * class, a source `const`: esbuild declares them all with `var`) cannot change after that. So
 * such exports become properties set at the end of the chunk; one whose binding may be written
 * (the write scan errs that way), or another chunk's export, keeps a getter.
 */
import ts from "typescript";

/** esbuild's `var X={};__export(X,{a:()=>local,…});module.exports=__toCommonJS(X);`. */
const INTEROP = /var ([A-Za-z_$][\w$]*)=\{\};[A-Za-z_$][\w$]*\(\1,\{([^}]*)\}\);module\.exports=[A-Za-z_$][\w$]*\(\1\);/;
/** The hint esbuild leaves at the end for Node's CommonJS export detection: `0&&(module.exports={a,b});`. */
const HINT = /0&&\(module\.exports=\{[^}]*\}\);\s*$/;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** An export of another chunk's export (`o.d`): kept a getter, as what it reads may be one. */
const REEXPORT = /^[A-Za-z_$][\w$]*\.[A-Za-z_$][\w$]*$/;

/** Every identifier `node` may assign (all of a destructuring target's, to be safe). */
function assignedIdentifiers(node, into) {
  if (ts.isIdentifier(node)) into.add(node.text);
  else if (!ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) node.forEachChild((child) => assignedIdentifiers(child, into));
}

const ASSIGNMENTS = new Set([ts.SyntaxKind.FirstAssignment, ...Array.from({ length: ts.SyntaxKind.LastCompoundAssignment - ts.SyntaxKind.FirstCompoundAssignment + 1 }, (_, i) => ts.SyntaxKind.FirstCompoundAssignment + i)]);

/**
 * Names written anywhere in `source` after their declaration: assigned, incremented, the target of
 * a for-in/of or a destructuring. Scopes are not told apart, so a name a nested function assigns
 * to a local of its own counts too: the answer errs towards "may change".
 */
function writtenNames(source) {
  const written = new Set();
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind)) assignedIdentifiers(node.left, written);
    else if ((ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) assignedIdentifiers(node.operand, written);
    else if ((ts.isForInStatement(node) || ts.isForOfStatement(node)) && !ts.isVariableDeclarationList(node.initializer)) assignedIdentifiers(node.initializer, written);
    node.forEachChild(visit);
  };
  visit(source);
  return written;
}

/**
 * The names of `code`'s top-level bindings that cannot change once the chunk has run: functions,
 * classes and variables declared once with a value and never written. esbuild declares every
 * top-level binding with `var` (a `const` in the source included), so writes are looked for.
 */
function fixedBindings(code, file) {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const declared = new Map();
  const declare = (name, once) => declared.set(name, declared.has(name) ? false : once);
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name !== undefined) declare(statement.name.text, true);
  }
  // A `var` outside any function is the chunk's, in whatever block or loop it is declared.
  const visit = (node) => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isVariableDeclaration(node)) {
      const names = new Set();
      assignedIdentifiers(node.name, names);
      for (const name of names) declare(name, ts.isIdentifier(node.name) && node.initializer !== undefined);
    }
    node.forEachChild(visit);
  };
  source.statements.forEach(visit);
  const written = writtenNames(source);
  return new Set([...declared].filter(([name, once]) => once && !written.has(name)).map(([name]) => name));
}

/**
 * `code` (esbuild's CommonJS form of chunk `file`) with its exports set at its end, as values
 * where the binding is fixed and as getters otherwise. A chunk without exports is returned as it is.
 * @throws Error when esbuild's output no longer has the shape this relies on (an esbuild upgrade)
 */
export function leanExports(code, file) {
  const interop = INTEROP.exec(code);
  if (interop === null) {
    if (/module\.exports=/.test(code.replace(HINT, ""))) throw new Error(`${file}: esbuild's CommonJS exports changed shape; update build/lean-exports.mjs`);
    return code;
  }
  if (!HINT.test(code)) throw new Error(`${file}: esbuild's CommonJS export hint changed shape; update build/lean-exports.mjs`);
  const fixed = fixedBindings(code, file);
  const properties = interop[2].split(",").map((entry) => {
    const [name, local] = entry.split(":()=>");
    if (name === undefined || local === undefined || !(IDENTIFIER.test(local) || REEXPORT.test(local))) throw new Error(`${file}: unexpected export ${entry}; update build/lean-exports.mjs`);
    return fixed.has(local) ? `${name}:${local}` : `get ${name}(){return ${local}}`;
  });
  return code.replace(INTEROP, "").replace(HINT, `module.exports={${properties.join(",")}};\n`);
}

/**
 * Refuses a cycle of static imports among the build's outputs (esbuild's metafile), which
 * {@link leanExports} relies on not being there.
 * @throws Error naming the outputs of the cycle
 */
export function refuseChunkCycles(metafile) {
  const importsOf = new Map(Object.entries(metafile.outputs).map(([output, { imports }]) => [output, imports.filter((i) => i.kind === "import-statement" && !i.external).map((i) => i.path)]));
  const done = new Set();
  const visit = (output, path) => {
    if (done.has(output)) return;
    const at = path.indexOf(output);
    if (at >= 0) throw new Error(`the chunks import each other in a cycle (${[...path.slice(at), output].join(" -> ")}): build/lean-exports.mjs needs it broken`);
    for (const imported of importsOf.get(output) ?? []) visit(imported, [...path, output]);
    done.add(output);
  };
  for (const output of importsOf.keys()) visit(output, []);
}
