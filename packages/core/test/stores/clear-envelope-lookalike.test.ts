import { describe, expect, it } from "vitest";
import { decryptText, encryptText, type FileFormat } from "@hush/core";
import { dataKey, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * A value a rule leaves in clear may hold text that looks like an envelope: an example in a
 * README-like key, a value copied from another encrypted file. SOPS writes it as it is and
 * reads it back as the string it is (a value in clear is never decrypted). Encryption checked
 * that the written file reads back with as many envelopes as it encrypted, and counted that
 * value among them: every format refused the file with "would not read back as written",
 * naming no key, and `hush set`/`edit` of a file SOPS wrote so could not save it.
 */

const LOOKALIKE = "ENC[AES256_GCM,data:cQ==,iv:aERWyQ07a/fd7ZGEYCFdHjCBQfepdqCbKgRmFm9HJQY=,tag:OGlyqdTSaW5LfiPejUmH7Q==,type:int]";
const RULE = { kind: "unencrypted_suffix", value: "_unencrypted" } as const;

const CASES: ReadonlyArray<{ format: FileFormat; plain: string; clearLine: string }> = [
  { format: "yaml", plain: `example_unencrypted: ${LOOKALIKE}\npassword: hunter2\n`, clearLine: `example_unencrypted: ${LOOKALIKE}\n` },
  { format: "json", plain: `{"example_unencrypted": "${LOOKALIKE}", "password": "hunter2"}\n`, clearLine: `"example_unencrypted": "${LOOKALIKE}"` },
  { format: "dotenv", plain: `EXAMPLE_unencrypted=${LOOKALIKE}\nPASSWORD=hunter2\n`, clearLine: `EXAMPLE_unencrypted=${LOOKALIKE}\n` },
  { format: "ini", plain: `[db]\nexample_unencrypted = ${LOOKALIKE}\npassword = hunter2\n`, clearLine: `example_unencrypted = ${LOOKALIKE}\n` },
  { format: "toml", plain: `example_unencrypted = "${LOOKALIKE}"\npassword = "hunter2"\n`, clearLine: `example_unencrypted = "${LOOKALIKE}"\n` },
];

describe("a value in clear that looks like an envelope", () => {
  it.each(CASES)("$format: is written in clear, the others encrypted, and decrypts back byte for byte", async ({ format, plain, clearLine }) => {
    const encrypted = await encryptText(plain, { format, rule: RULE, keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
    expect(encrypted).toContain(clearLine);
    expect(encrypted).not.toContain("hunter2");
    expect(await decryptText(encrypted, { format, keySources: noKeys, dataKey })).toBe(plain);
  });
});
