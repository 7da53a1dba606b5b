/**
 * hush's decrypt through its Node API, with the decrypt span scanner or with the general YAML
 * parser, so that the bench can show what the scanner saves in one run (same process shape, same
 * key discovery as `hush decrypt`). Usage: node hush-decrypt-reader.mjs scan|general <file>.
 */
import { readFileSync } from "node:fs";
import { decryptText } from "@hush/core";
import { defaultKeySources } from "@hush/cli";

const [reader, file] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const plaintext = await decryptText(text, { format: "yaml", keySources: defaultKeySources(), generalParser: reader === "general" });
process.stdout.write(plaintext);
