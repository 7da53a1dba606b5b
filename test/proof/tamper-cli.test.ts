import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, runHush } from "@hush/testkit";
import { byteVariants, MARKER, replaceAt, tamperDocument, tamperFields } from "./support.ts";

/**
 * A handful of tamper cases through the built CLI: a non-zero SOPS exit status, nothing on
 * stdout, one line on stderr without plaintext or stack trace. (The exhaustive cases run in
 * process, in tamper-*.test.ts.)
 */
describe("tampered files through `hush decrypt`", () => {
  let dir: { path: string; cleanup: () => void };
  let env: Record<string, string>;
  let enc: string;

  beforeAll(() => {
    dir = makeTempDir("hush-tamper-");
    const keyFile = join(dir.path, "key.txt");
    const kg = runHush(["keygen", "-o", keyFile]);
    expect(kg.status).toBe(0);
    const recipient = /Public key: (age1[a-z0-9]+)/.exec(kg.stderr)?.[1];
    expect(recipient).toBeDefined();
    env = { SOPS_AGE_KEY_FILE: keyFile };
    writeFileSync(join(dir.path, "plain.yaml"), tamperDocument("yaml"));
    const r = runHush(["encrypt", "--age", recipient!, "plain.yaml"], { cwd: dir.path, env });
    expect(r.status).toBe(0);
    enc = r.stdout;
    writeFileSync(join(dir.path, "good.yaml"), enc);
    const ok = runHush(["decrypt", "good.yaml"], { cwd: dir.path, env });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(readFileSync(join(dir.path, "plain.yaml"), "utf8"));
  });
  afterAll(() => dir.cleanup());

  const field = (kind: string, nth = 0): { start: number; end: number } => tamperFields(enc, "yaml").filter((f) => f.kind === kind)[nth]!;
  const flip = (kind: string, offset: number, nth = 0): string => {
    const f = field(kind, nth);
    const at = f.start + Math.min(offset, f.end - f.start - 1);
    return replaceAt(enc, at, byteVariants(enc[at]!)[0]!);
  };
  const lines = (): string[] => enc.split("\n");
  const swapEnvelopes = (a: number, b: number): string => {
    const l = lines();
    const ea = /ENC\[[^\]]*\]/.exec(l[a]!)![0];
    const eb = /ENC\[[^\]]*\]/.exec(l[b]!)![0];
    l[a] = l[a]!.replace(ea, eb);
    l[b] = l[b]!.replace(eb, ea);
    return l.join("\n");
  };
  const lineOf = (prefix: string, after = 0): number => lines().findIndex((l, i) => i >= after && l.startsWith(prefix));

  it.each([
    ["a changed byte in a value's data", 25, () => flip("value", 16, 10)],
    ["a changed byte in a value's tag", 25, () => flip("value", 90, 20)],
    ["a changed byte in the MAC", 51, () => flip("mac", 40)],
    // A digit of the seconds changed to another digit: still a valid time, so the MAC check (whose
    // additional data is lastmodified) is what must fail, whatever time the file was written at.
    ["a changed byte in lastmodified", 51, () => {
      const f = field("lastmodified");
      const at = enc.lastIndexOf("Z", f.end) - 1;
      return replaceAt(enc, at, String((Number(enc[at]) + 1) % 10));
    }],
    ["a changed byte in the wrapped data key", 128, () => flip("meta:age.enc", 150)],
    ["a value moved to another key", 25, () => swapEnvelopes(lineOf("    k1: ", lineOf("s1:")), lineOf("    k2: ", lineOf("s1:")))],
    ["two list items swapped", 51, () => swapEnvelopes(lineOf("    - "), lineOf("    - ") + 1)],
    [
      "a value deleted",
      51,
      () => {
        const l = lines();
        l.splice(lineOf("    k5: ", lineOf("s3:")), 1);
        return l.join("\n");
      },
    ],
  ] as const)("%s: exit %i, no output, no plaintext", (_name, status, make) => {
    writeFileSync(join(dir.path, "bad.yaml"), make());
    const r = runHush(["decrypt", "bad.yaml"], { cwd: dir.path, env });
    expect(r.status).toBe(status);
    expect(r.stdout).toBe("");
    expect(r.stderr).not.toContain(MARKER);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr).toMatch(/^hush: [^\n]*\n(  [^\n]*\n)*$/);
  });
});
