/**
 * sops-decoder's documented use: `decodeFile` of a KMS-encrypted JSON file (it supports JSON and
 * AWS KMS only). The result is written to stdout as JSON, as `hush decrypt` writes its plaintext.
 * The AWS SDK reads the endpoint and credentials from the environment (AWS_ENDPOINT_URL_KMS, …).
 * Usage: node sops-decoder-decrypt.mjs <file.json>
 */
import { createRequire } from "node:module";

const { decodeFile } = createRequire(import.meta.url)("sops-decoder");
const value = await decodeFile(process.argv[2]);
process.stdout.write(JSON.stringify(value) + "\n");
