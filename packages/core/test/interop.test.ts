import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, isHushError, type MasterKeyEntry } from "@hush/core";
import { repoPath, sopsVector } from "@hush/testkit";

const fixture = (name: string): string => readFileSync(sopsVector(name), "utf8");
const noKeys = async (): Promise<undefined> => undefined;
const key = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

// Data keys from testdata/sops/README.md: the value layer is tested without gpg here;
// the CLI tests unwrap the same files through gpg.
const KEYS: Record<string, string> = {
  "format.enc.yaml": "af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4",
  "format.enc.json": "9f6aeda6383502c38f7dae6fbbb8cb6890582adb0335effa8952fe590d7a9596",
  "comments.enc.yaml": "61bec946f5783fd4cea3d1b1ce407fce2b6e81fc301cc539c422015e27f6d1be",
  "multiple_keys.yaml": "1e1db61c6b93c001caa9ce34a9d68448eee8a3c69336697eab36bb92327ce786",
  "no_mac.yaml": "87f9ee7ab041cfd1946fb50e6166b29858fcb4224ae3816186a129248558461f",
};

describe("files written by SOPS", () => {
  it("decrypts format.enc.yaml and format.enc.json byte for byte", async () => {
    expect(await decryptText(fixture("format.enc.yaml"), { format: "yaml", keySources: noKeys, dataKey: key(KEYS["format.enc.yaml"]!) })).toBe("foo: bar\n");
    expect(await decryptText(fixture("format.enc.json"), { format: "json", keySources: noKeys, dataKey: key(KEYS["format.enc.json"]!) })).toBe('{\n\t"foo": "bar"\n}\n');
  });

  it("decrypts encrypted comments (AAD ':' at top level)", async () => {
    const out = await decryptText(fixture("comments.enc.yaml"), { format: "yaml", keySources: noKeys, dataKey: key(KEYS["comments.enc.yaml"]!) });
    // comments.yaml has no final newline; SOPS always writes one, so the decrypted file has it.
    expect(out).toBe(fixture("comments.yaml") + "\n");
  });

  it("decrypts multiple_keys.yaml", async () => {
    const out = await decryptText(fixture("multiple_keys.yaml"), { format: "yaml", keySources: noKeys, dataKey: key(KEYS["multiple_keys.yaml"]!) });
    expect(out).toBe("message: hello\n");
  });

  it("refuses no_mac.yaml unless the MAC check is skipped", async () => {
    const opts = { format: "yaml" as const, keySources: noKeys, dataKey: key(KEYS["no_mac.yaml"]!) };
    await expect(decryptText(fixture("no_mac.yaml"), opts)).rejects.toSatisfy((e) => isHushError(e, "MAC_MISMATCH"));
    expect(await decryptText(fixture("no_mac.yaml"), { ...opts, ignoreMac: true })).toBe("myapp1: t00m4nys3cr3tzupdated\n");
  });
});

describe("spec section 10.4 synthetic vector", () => {
  it("is reproduced byte for byte with injected key and IVs", async () => {
    const spec = readFileSync(repoPath("docs", "sops-format.md"), "utf8");
    const section = spec.slice(spec.indexOf("### 10.4"));
    const expected = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const ageEnc = /enc: \|\n((?: {12}.*\n)+)/.exec(expected)![1]!.replace(/^ {12}/gm, "");
    const wrapped: MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1lzd99uklcjnc0e7d860axevet2cz99ce9pq6tzuzd05l5nr28ams36nvun", enc: ageEnc }]];
    const plaintext = '# top comment\na: 1\nb: true\nc: 1.5\nd:\n    - x\n    - null\n    - ""\ne_unencrypted: plain\n';
    let n = 0;
    const out = await encryptText(plaintext, {
      format: "yaml",
      keySources: noKeys,
      wrappedKeys: wrapped,
      dataKey: new Uint8Array(Array.from({ length: 32 }, (_, i) => i)),
      now: new Date("2025-01-02T03:04:05Z"),
      ivSource: () => Buffer.alloc(32, ++n),
    });
    expect(out).toBe(expected);
    const back = await decryptText(out, { format: "yaml", keySources: noKeys, dataKey: new Uint8Array(Array.from({ length: 32 }, (_, i) => i)) });
    expect(back).toBe(plaintext);
  });
});
