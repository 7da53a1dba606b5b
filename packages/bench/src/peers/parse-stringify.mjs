/**
 * The floor: read a file, parse it and write it back with the parser hush itself uses for the
 * format, without any cryptography. YAML: the `yaml` package; JSON: jsonc-parser (hush's JSON
 * parser) and JSON.stringify; dotenv: hush's own dotenv store (its parser is hand-written).
 * Usage: node parse-stringify.mjs <yaml|json|dotenv> <file>
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [format, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
let out;
if (format === "yaml") {
  const { parseDocument } = await import("yaml");
  out = parseDocument(text).toString();
} else if (format === "json") {
  // Resolved from @hush/core so that the floor uses exactly the parser hush ships with.
  const require = createRequire(import.meta.resolve("@hush/core"));
  const { parseTree, getNodeValue } = require("jsonc-parser");
  out = JSON.stringify(getNodeValue(parseTree(text)), null, "\t") + "\n";
} else if (format === "dotenv") {
  const { storeFor } = await import("@hush/core");
  const store = await storeFor("dotenv");
  out = store.emitTree(store.toTree(text), {});
} else {
  throw new Error(`unknown format ${format}`);
}
process.stdout.write(out);
