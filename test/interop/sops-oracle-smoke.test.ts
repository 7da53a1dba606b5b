/**
 * Real SOPS (3.9.2, see @hush/testkit's sops-oracle) against hush, the part everyday `pnpm test`
 * runs: the harness proves itself on files SOPS wrote, then one file per format goes through the
 * real hush CLI (age key) and SOPS's plaintext is compared with `hush decrypt`'s (INI: SOPS's
 * verdict only). The full matrix of key types, workflows and rule flags is sops-oracle.test.ts,
 * run by `pnpm test:all`.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, sopsDecrypt, sopsVector, type GnupgHome, type SopsOracleFormat } from "@hush/testkit";
import { withDecoySessionKey } from "../git/pgp-reframe.ts";
import { makeAgeKey, type AgeKey } from "../keys/helpers.ts";
import { PLAINTEXT } from "./fixtures.ts";
import { runCase, type CaseEnv } from "./oracle-case.ts";

const FORMATS: readonly SopsOracleFormat[] = ["yaml", "json", "dotenv", "ini", "binary"];

let tmp: { path: string; cleanup: () => void };
let gpg: GnupgHome;
let age: AgeKey;
let k: CaseEnv;

beforeAll(async () => {
  tmp = makeTempDir("hush-sops-smoke-");
  gpg = makeGnupgHome();
  age = await makeAgeKey(tmp.path, "smoke");
  k = { dir: tmp.path, env: { SOPS_AGE_KEY_FILE: age.file } };
});

afterAll(() => {
  gpg?.cleanup();
  tmp?.cleanup();
});

// The harness first proves itself on files SOPS wrote (testdata/sops), independent of hush.
describe.concurrent("the SOPS oracle", () => {
  it("decrypts SOPS-written files in every format and refuses a tampered one", async () => {
    const env = { GNUPGHOME: gpg.home };
    const read = (name: string): string => readFileSync(sopsVector(name), "utf8");
    expect(await sopsDecrypt({ text: read("format.enc.yaml"), format: "yaml", env })).toEqual({ ok: true, plaintext: '{\n  "foo": "bar"\n}', warnings: [] });
    expect(await sopsDecrypt({ text: read("format.enc.json"), format: "json", env })).toEqual({ ok: true, plaintext: '{\n  "foo": "bar"\n}', warnings: [] });
    expect(await sopsDecrypt({ text: read("format.enc.env"), format: "dotenv", env })).toEqual({ ok: true, plaintext: "foo = bar\n", warnings: [] });
    expect(await sopsDecrypt({ text: read("format.enc.ini"), format: "ini", env })).toEqual({ ok: true, plaintext: undefined, warnings: [] });
    const tampered = read("format.enc.yaml").replace(/^foo: ENC\[AES256_GCM,data:(.)/m, (m, c: string) => m.slice(0, -1) + (c === "A" ? "B" : "A"));
    const refused = await sopsDecrypt({ text: tampered, format: "yaml", env });
    expect(refused.ok).toBe(false);
    expect(refused.ok ? "" : refused.error).toMatch(/Could not decrypt value|Failed to verify data integrity|cipher: message authentication failed/);
    expect(await sopsDecrypt({ text: read("format.enc.yaml"), format: "yaml", env: {} })).toMatchObject({ ok: false, error: expect.stringMatching(/Error getting data key/) as unknown });
  });

  it("opens a PGP entry whose message has a session key packet for another key first: every armor line differs (hush check --base must still find the copy)", async () => {
    const text = readFileSync(sopsVector("format.enc.yaml"), "utf8");
    const reframed = withDecoySessionKey(text);
    const lines = (t: string): Set<string> => new Set(t.split("\n").filter((l) => /^ {12}[A-Za-z0-9+/]{64}$/.test(l)));
    expect([...lines(reframed)].filter((l) => lines(text).has(l))).toEqual([]);
    expect(await sopsDecrypt({ text: reframed, format: "yaml", env: { GNUPGHOME: gpg.home } })).toEqual({ ok: true, plaintext: '{\n  "foo": "bar"\n}', warnings: [] });
  });
});

describe.concurrent("SOPS 3.9.2 decrypts what hush encrypts: one file per format", () => {
  for (const format of FORMATS) {
    it(`${format}, one age recipient`, async () => {
      const outcome = await runCase({ name: `smoke-${format}`, format, plaintext: PLAINTEXT[format], encrypt: ["--age", age.recipient] }, k);
      expect(outcome.problem, `${format}:\n${outcome.encrypted}`).toBeUndefined();
    });
  }
});
