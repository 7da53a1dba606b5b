/**
 * Flattened metadata (dotenv `sops_…` lines, INI `[sops]` keys) with a list index that is not plain
 * decimal: real SOPS reads the index with Go's strconv.Atoi after every `__list_`, ignoring its
 * error (stores/flatten.go `tokenize`: `x` and `0.5` are 0, `+1` is 1), while hush read `0.5` as a
 * JavaScript number (an array property no one sees) and took `+1` for part of a field name. A
 * branch without a key could so add a key entry that SOPS reads and that hush's review,
 * `hush access` and `hush check` never showed (or showed as a field "SOPS ignores"), and the next
 * `sops rotate` would wrap the new data key to it. Each case first shows that real SOPS (3.9.2)
 * reads the entry: it opens the file with that entry's key alone. Then hush refuses the file.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, sopsDecrypt, type GnupgHome } from "@hush/testkit";
import { hush, makeAgeKey, type AgeKey } from "../keys/helpers.ts";

let tmp: { path: string; cleanup: () => void };
let gpg: GnupgHome;
let alice: AgeKey;
let bob: AgeKey;

beforeAll(async () => {
  tmp = makeTempDir("hush-flat-index-");
  gpg = makeGnupgHome();
  alice = await makeAgeKey(tmp.path, "alice");
  bob = await makeAgeKey(tmp.path, "bob");
});

afterAll(() => {
  gpg?.cleanup();
  tmp?.cleanup();
});

async function encrypted(name: string, plaintext: string, keys: readonly string[]): Promise<string> {
  const path = join(tmp.path, name);
  writeFileSync(path, plaintext);
  const r = await hush(["encrypt", ...keys, path], { env: { GNUPGHOME: gpg.home } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** hush check (keyless) on `text` written as `name`: its exit status and report. */
async function check(name: string, text: string): Promise<{ status: number; stdout: string }> {
  writeFileSync(join(tmp.path, name), text);
  const r = await hush(["check", name], { cwd: tmp.path });
  return { status: r.status, stdout: r.stdout };
}

describe.concurrent("flattened list indices that are not plain decimal", () => {
  it("dotenv: a PGP entry at `pgp__list_0.5` is SOPS's pgp[0]; hush refuses the file and names the key", async () => {
    const plain = await encrypted("a.env", "PASSWORD=flat-index-secret-1\n", ["--age", alice.recipient, "--pgp", SOPS_TEST_PGP_KEYS.key1]);
    const text = plain.replaceAll("sops_pgp__list_0__", "sops_pgp__list_0.5__");
    expect(text).toContain("sops_pgp__list_0.5__map_fp=");
    // The PGP key alone opens it: SOPS reads the entry as pgp[0].
    expect(await sopsDecrypt({ text, format: "dotenv", env: { GNUPGHOME: gpg.home } })).toMatchObject({ ok: true, plaintext: "PASSWORD=flat-index-secret-1\n" });

    const checked = await check("a.enc.env", text);
    expect(checked.status, checked.stdout).toBe(1);
    expect(checked.stdout).toContain("a.enc.env: error: ");
    expect(checked.stdout).toMatch(/the list index in pgp__list_0\.5__map_\w+ is not plain decimal/);
    expect(checked.stdout).not.toContain("flat-index-secret-1");
    const decrypt = await hush(["decrypt", join(tmp.path, "a.enc.env")], { env: { SOPS_AGE_KEY_FILE: alice.file } });
    expect(decrypt.status).toBe(2);
    expect(decrypt.stderr).toMatch(/invalid sops metadata: the list index in pgp__list_0\.5__map_\w+ is not plain decimal/);
    expect(decrypt.stdout).toBe("");
  });

  it("INI: an age entry at `age__list_+1` is SOPS's age[1]; hush check refuses it, not as a field SOPS ignores", async () => {
    const plain = await encrypted("b.ini", "[app]\npassword = flat-index-secret-2\n", ["--age", `${alice.recipient},${bob.recipient}`]);
    const text = plain.replace(/^age__list_1__/gm, "age__list_+1__");
    expect(text).toMatch(/^age__list_\+1__map_recipient/m);
    // Bob's key alone opens it: SOPS reads the entry as age[1].
    expect(await sopsDecrypt({ text, format: "ini", env: { SOPS_AGE_KEY_FILE: bob.file } })).toMatchObject({ ok: true });

    const checked = await check("b.enc.ini", text);
    expect(checked.status, checked.stdout).toBe(1);
    expect(checked.stdout).toMatch(/b\.enc\.ini: error: .*the list index in age__list_\+1__map_\w+ is not plain decimal/);
    expect(checked.stdout).not.toContain("unknown-metadata-field");
  });
});
