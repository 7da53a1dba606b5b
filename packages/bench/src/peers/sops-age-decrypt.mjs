/**
 * sops-age's documented use: decrypt a file to a JavaScript object with an age key. The object
 * is written to stdout as JSON, as `hush decrypt` writes its plaintext, so both pay for output.
 * Usage: node sops-age-decrypt.mjs <file> (key from SOPS_AGE_KEY_FILE).
 */
import { readFileSync } from "node:fs";
import { decryptSops } from "sops-age";

const secretKey = /AGE-SECRET-KEY-1\S+/.exec(readFileSync(process.env.SOPS_AGE_KEY_FILE, "utf8"))[0];
const value = await decryptSops({ path: process.argv[2], secretKey });
process.stdout.write(JSON.stringify(value) + "\n");
