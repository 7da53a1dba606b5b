import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { encryptValue } from "@hush/core";

/** The SOPS version this writer follows (the oracle's). */
const SOPS_VERSION = "3.9.2";
/** The suffix of the keys SOPS leaves in clear (its default rule, which the file records). */
const UNENCRYPTED_SUFFIX = "_unencrypted";

/**
 * The file `sops encrypt` (SOPS 3.9.2) writes for a dotenv plaintext, for tests that need a file
 * SOPS encrypted where the oracle only decrypts: the plaintext read as SOPS's dotenv store reads
 * it (lines split at LF, empty ones skipped, `#` in column 0 a comment, else key up to the first
 * `=` and the value after it with `\n` read as a line break), every non-empty value and comment
 * encrypted (AAD `KEY:`, comments `:`) but for keys ending `_unencrypted`, left in clear as the
 * file's `unencrypted_suffix` says, the MAC over the values in order, the data key wrapped
 * for `recipient` by the age CLI, the metadata flattened and sorted. Undefined where SOPS refuses
 * the plaintext (a line without `=`) or would take a line for metadata (`sops_`). Real SOPS
 * opening the result is what shows that it is SOPS's file.
 */
export function sopsEncryptDotenv(plaintext: string, recipient: string): string | undefined {
  const dataKey = randomBytes(32);
  const seal = (text: string, type: "str" | "comment", aad: string): string => (text === "" ? "" : encryptValue(dataKey, Buffer.from(text), type, aad, randomBytes(32)));
  const mac = createHash("sha512");
  const lines: string[] = [];
  for (const line of plaintext.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("#")) {
      lines.push(`#${seal(line.slice(1), "comment", ":")}`);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1 || line.startsWith("sops_")) return undefined;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll("\\n", "\n");
    mac.update(value);
    lines.push(`${key}=${key.endsWith(UNENCRYPTED_SUFFIX) ? value.replaceAll("\n", "\\n") : seal(value, "str", `${key}:`)}`);
  }
  const wrapped = spawnSync("age", ["--encrypt", "--armor", "--recipient", recipient], { input: dataKey, encoding: "utf8" });
  if (wrapped.status !== 0) throw new Error(`age could not wrap the data key: ${wrapped.stderr}`);
  const lastModified = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const metadata = [
    `sops_age__list_0__map_enc=${wrapped.stdout.replaceAll("\n", "\\n")}`,
    `sops_age__list_0__map_recipient=${recipient}`,
    `sops_lastmodified=${lastModified}`,
    `sops_mac=${seal(mac.digest("hex").toUpperCase(), "str", lastModified)}`,
    `sops_unencrypted_suffix=${UNENCRYPTED_SUFFIX}`,
    `sops_version=${SOPS_VERSION}`,
  ];
  return [...lines, ...metadata].map((l) => `${l}\n`).join("");
}
