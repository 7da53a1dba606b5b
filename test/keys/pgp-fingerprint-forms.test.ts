import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, runHush, SOPS_TEST_PGP_KEYS, type GnupgHome } from "@hush/testkit";

/**
 * gpg takes a fingerprint or key ID with a `0x` prefix (`gpg --keyid-format 0xlong` shows them
 * so), and SOPS hands `--pgp`, `SOPS_PGP_FP` and `.sops.yaml` fingerprints to gpg as given, so
 * SOPS writes `fp: 0x…` entries. hush refused them on every command that wraps a data key: such
 * a file decrypted but could not be rotated, re-keyed or created with the same setting.
 */

const FP = SOPS_TEST_PGP_KEYS.key1;
const PREFIXED = `0x${FP}`;

describe("PGP fingerprints with gpg's 0x prefix", () => {
  let gnupg: GnupgHome;
  const tmp = makeTempDir("hush-pgp-0x-");
  beforeAll(() => {
    gnupg = makeGnupgHome();
  });
  afterAll(() => {
    gnupg.cleanup();
    tmp.cleanup();
  });
  const run = (args: readonly string[]) => runHush(args, { cwd: tmp.path, env: { GNUPGHOME: gnupg.home } });
  const fps = (file: string): string[] => [...readFileSync(file, "utf8").matchAll(/^\s*fp: (\S+)$/gm)].map((m) => m[1]!);

  it("encrypt --pgp 0x… writes the entry as given (as SOPS), and decrypt and rotate open it", () => {
    const f = join(tmp.path, "app.yaml");
    writeFileSync(f, "password: s3cr3t\n");
    const enc = run(["encrypt", "-i", "--pgp", PREFIXED, f]);
    expect(enc.stderr).toBe("");
    expect(fps(f)).toEqual([PREFIXED]);
    const rot = run(["rotate", "-i", f]);
    expect(rot.stderr).toBe("");
    expect(rot.status).toBe(0);
    expect(fps(f)).toEqual([PREFIXED]);
    expect(run(["decrypt", f]).stdout).toBe("password: s3cr3t\n");
  });

  it("the prefixed and plain spellings are one key: updatekeys respells it keeping the data key, --rm-pgp removes it", () => {
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - pgp: "${PREFIXED}"\n`);
    const f = join(tmp.path, "team.yaml");
    writeFileSync(f, "token: t0k3n\n");
    expect(run(["encrypt", "-i", f]).stderr).toBe("");
    expect(fps(f)).toEqual([PREFIXED]);
    writeFileSync(join(tmp.path, ".sops.yaml"), `creation_rules:\n  - pgp: ${FP}\n`);
    const value = (): string => /^token: (.*)$/m.exec(readFileSync(f, "utf8"))![1]!;
    const before = value();
    // As SOPS, updatekeys writes the spelling .sops.yaml now uses; no recipient left, so the values stay.
    const up = run(["updatekeys", "-y", f]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout + up.stderr).not.toContain("new data key");
    expect(fps(f)).toEqual([FP]);
    expect(value()).toBe(before);
    writeFileSync(f, readFileSync(f, "utf8").replace(`fp: ${FP}`, `fp: ${PREFIXED}`));
    const rm = run(["rotate", "-i", "--add-pgp", SOPS_TEST_PGP_KEYS.key2, "--rm-pgp", FP, f]);
    expect(rm.stderr).toBe("");
    expect(fps(f)).toEqual([SOPS_TEST_PGP_KEYS.key2]);
  });
});
