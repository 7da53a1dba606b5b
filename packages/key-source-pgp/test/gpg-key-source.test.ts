import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isHushError, type MasterKeyEntry } from "@hush/core";
import { GpgKeySource, normalizePgpFingerprint, readMessageRecipients, type PgpKeyEntry } from "@hush/key-source-pgp";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, type GnupgHome } from "@hush/testkit";
import { readFixturePgpEntries } from "./interop-fixtures.ts";

const { key1, key2, publicOnly } = SOPS_TEST_PGP_KEYS;

/** Data keys of the interop fixtures (interop README). */
const FIXTURE_KEYS: ReadonlyArray<readonly [file: string, hex: string]> = [
  ["format.enc.yaml", "af5e68dd342b72c6a0475f81a50da4fde898f4b7742c92cbcf1668211411f4e4"],
  ["format.enc.json", "9f6aeda6383502c38f7dae6fbbb8cb6890582adb0335effa8952fe590d7a9596"],
  ["format.enc.env", "322d9a97997823fb2bf42f55a6c26100cbaf0520cf88bb7ebee1cf47dd6d318d"],
  ["format.enc.ini", "ce46fd76883106d55913ff2207e160bbeac65a71d6e1cf84c510614bed6f8ccd"],
  ["format-2.enc.ini", "200b251d35608cb3451d26d95d0f6c4580575d8f61d908b6d224fc488c65263f"],
  ["comments.enc.yaml", "61bec946f5783fd4cea3d1b1ce407fce2b6e81fc301cc539c422015e27f6d1be"],
  ["no_mac.yaml", "87f9ee7ab041cfd1946fb50e6166b29858fcb4224ae3816186a129248558461f"],
];
const MULTIPLE_KEYS_HEX = "1e1db61c6b93c001caa9ce34a9d68448eee8a3c69336697eab36bb92327ce786";

function pgpEntry(file: string, index = 0): PgpKeyEntry {
  const entry = readFixturePgpEntries(file)[index];
  if (entry === undefined) throw new Error(`${file} has no PGP entry #${index}`);
  return { kind: "pgp", fp: entry.fp, createdAt: "2019-08-29T22:22:04Z", enc: entry.enc };
}

const hex = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("hex"));

/** Runs gpg directly, to build messages the key source itself would never write. */
function gpgEncrypt(home: GnupgHome, extraArgs: readonly string[], input: Uint8Array): string {
  const result = spawnSync("gpg", ["--batch", "--quiet", "--yes", "--encrypt", "-a", "--no-encrypt-to", ...extraArgs], { env: home.env, input });
  if (result.status !== 0) throw new Error(`gpg --encrypt failed: ${result.stderr.toString("utf8")}`);
  return result.stdout.toString("utf8").trim();
}

/** A SOPS_GPG_EXEC wrapper that logs each gpg invocation, to count the processes a call starts. */
function loggingGpg(dir: string): { binary: string; calls: () => string[] } {
  const log = join(dir, "calls.log");
  writeFileSync(log, "");
  const binary = join(dir, "gpg-logging");
  writeFileSync(binary, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec gpg "$@"\n`, { mode: 0o755 });
  return { binary, calls: () => readFileSync(log, "utf8").split("\n").filter((line) => line !== "") };
}

async function expectHushError(promise: Promise<unknown>, code: string): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isHushError(error), `expected a HushError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  return error as Error;
}

let full: GnupgHome;
let source: GpgKeySource;

beforeAll(() => {
  full = makeGnupgHome();
  source = new GpgKeySource({ env: full.env });
});
afterAll(() => full.cleanup());

describe("GpgKeySource.unwrap on files written by SOPS", () => {
  it.each(FIXTURE_KEYS)("%s unwraps to its data key", async (file, expected) => {
    expect(hex(await source.unwrap(pgpEntry(file)))).toBe(expected);
  });

  it("multiple_keys.yaml: both entries unwrap to the same data key", async () => {
    const entries = readFixturePgpEntries("multiple_keys.yaml");
    expect(entries.map((entry) => entry.fp)).toEqual([key1, key2]);
    expect(hex(await source.unwrap(pgpEntry("multiple_keys.yaml", 0)))).toBe(MULTIPLE_KEYS_HEX);
    expect(hex(await source.unwrap(pgpEntry("multiple_keys.yaml", 1)))).toBe(MULTIPLE_KEYS_HEX);
  });

  it("accepts armors with and without a trailing newline (|- and | in YAML)", async () => {
    const entry = pgpEntry("format.enc.yaml");
    expect(entry.enc.endsWith("\n")).toBe(false);
    expect(hex(await source.unwrap({ ...entry, enc: `${entry.enc}\n` }))).toBe(FIXTURE_KEYS[0]?.[1]);
    expect(pgpEntry("comments.enc.yaml").enc.endsWith("-----END PGP MESSAGE-----\n")).toBe(true);
  });
});

describe("each secret key alone", () => {
  const homes: GnupgHome[] = [];
  afterAll(() => {
    for (const home of homes) home.cleanup();
  });

  it.each([
    [key1, 0],
    [key2, 1],
  ] as const)("%s alone opens its entry of multiple_keys.yaml and skips the other without running gpg", async (fp, own) => {
    const home = makeGnupgHome({ onlySecretKey: fp });
    homes.push(home);
    const log = loggingGpg(home.home);
    const single = new GpgKeySource({ env: { ...home.env, SOPS_GPG_EXEC: log.binary } });

    expect(await single.unwrap(pgpEntry("multiple_keys.yaml", 1 - own))).toBeNull();
    expect(log.calls()).toEqual(["--batch --with-colons --list-secret-keys"]);
    expect(hex(await single.unwrap(pgpEntry("multiple_keys.yaml", own)))).toBe(MULTIPLE_KEYS_HEX);
    expect(log.calls()).toHaveLength(2);
    expect(log.calls()[1]).toContain("--decrypt");
  });
});

describe("GpgKeySource.wrap", () => {
  it.each([key1, key2])("round-trips a data key through %s", async (fp) => {
    const dataKey = new Uint8Array(randomBytes(32));
    const before = Date.now();
    const entry = await source.wrap(dataKey, { kind: "pgp", fp });
    expect(entry.kind).toBe("pgp");
    expect(entry.fp).toBe(fp);
    expect(entry.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(entry.createdAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(entry.createdAt)).toBeLessThanOrEqual(Date.now());
    expect(entry.enc.startsWith("-----BEGIN PGP MESSAGE-----\n\n")).toBe(true);
    expect(entry.enc.endsWith("-----END PGP MESSAGE-----")).toBe(true);
    expect(hex(await source.unwrap(entry))).toBe(hex(dataKey));
  });

  it("wraps a 33-byte key share", async () => {
    const share = new Uint8Array(randomBytes(33));
    const entry = await source.wrap(share, { kind: "pgp", fp: key1 });
    expect(hex(await source.unwrap(entry))).toBe(hex(share));
  });

  it("removes spaces from the fingerprint and keeps its case", async () => {
    const spaced = "fbc7 b9e2 a4f9 289a c0c1  d484 3d16 cee4 a273 81b4";
    const entry = await source.wrap(new Uint8Array(32), { kind: "pgp", fp: spaced });
    expect(entry.fp).toBe("fbc7b9e2a4f9289ac0c1d4843d16cee4a27381b4");
    expect(hex(await source.unwrap(entry))).toBe("00".repeat(32));
  });

  it("takes a fingerprint or key ID written with gpg's 0x prefix, as SOPS (through gpg) does, and keeps it as given", async () => {
    for (const fp of [`0x${key1}`, `0x${key1.slice(-16)}`]) {
      const entry = await source.wrap(new Uint8Array(32).fill(3), { kind: "pgp", fp });
      expect(entry.fp).toBe(fp);
      expect(hex(await source.unwrap(entry))).toBe("03".repeat(32));
    }
    // gpg itself refuses a capital 0X, and "0x" alone is no key.
    for (const fp of [`0X${key1}`, "0x", `0x0x${key1.slice(-16)}`]) expect(() => normalizePgpFingerprint(fp), fp).toThrow(/invalid PGP fingerprint/);
  });

  it("encrypts to the encryption subkey of the primary fingerprint", async () => {
    const entry = await source.wrap(new Uint8Array(32), { kind: "pgp", fp: key2 });
    expect(readMessageRecipients(entry.enc)).toEqual({ keyIds: ["5C5525B581705783"], anonymous: false, sessionKeys: ["5C5525B581705783"] });
  });

  it("wraps to a key that has only a public part, which then does not unwrap", async () => {
    const entry = await source.wrap(new Uint8Array(randomBytes(32)), { kind: "pgp", fp: publicOnly });
    expect(entry.fp).toBe(publicOnly);
    expect(readMessageRecipients(entry.enc)).toEqual({ keyIds: ["832D91F4BEA02569"], anonymous: false, sessionKeys: ["832D91F4BEA02569"] });
    expect(await source.unwrap(entry)).toBeNull();
  });

  it.each(["", "xyz", "--help", "0123456789ABCDE", "0123456789ABCDEF0123456789ABCDEF012345678", "0XFBC7B9E2A4F9289A", "0x0123456789ABCDE", "FBC7B9E2A4F9289A!!", "FBC7B9E2A4F9289A\n"])(
    "rejects the invalid fingerprint %j before running gpg",
    async (fp) => {
      // A missing binary proves that validation comes first: the error is not KEY_SOURCE_FAILED.
      const noGpg = new GpgKeySource({ env: { ...full.env, SOPS_GPG_EXEC: "/nonexistent/gpg" } });
      await expectHushError(noGpg.wrap(new Uint8Array(32), { kind: "pgp", fp }), "INVALID_ARGUMENT");
    },
  );

  it("rejects a data key that is neither 32 nor 33 bytes", async () => {
    await expectHushError(source.wrap(new Uint8Array(16), { kind: "pgp", fp: key1 }), "INVALID_ARGUMENT");
  });

  it("rejects recipients of another kind", async () => {
    await expectHushError(source.wrap(new Uint8Array(32), { kind: "age", recipient: "age1xyz" }), "INVALID_ARGUMENT");
  });

  it("names the fingerprint of a key that is not in the keyring", async () => {
    const unknown = "0123456789ABCDEF0123456789ABCDEF01234567";
    const error = await expectHushError(source.wrap(new Uint8Array(32), { kind: "pgp", fp: unknown }), "KEY_SOURCE_FAILED");
    expect(error.message).toContain(unknown);
    expect(error.message).toMatch(/no public key/i);
  });
});

describe("GpgKeySource.unwrap edge cases", () => {
  it("returns null for entries of other kinds", async () => {
    const age: MasterKeyEntry = { kind: "age", recipient: "age1abc", enc: "-----BEGIN AGE ENCRYPTED FILE-----\n" };
    expect(await source.unwrap(age)).toBeNull();
  });

  it("returns null without running gpg when the keyring has no secret key", async () => {
    const empty = makeTempDir("hush-gnupg-empty-");
    try {
      const log = loggingGpg(empty.path);
      const home = join(empty.path, "home");
      spawnSync("mkdir", ["-m", "700", home]);
      const bare = new GpgKeySource({ env: { ...process.env, GNUPGHOME: home, SOPS_GPG_EXEC: log.binary } });
      expect(await bare.unwrap(pgpEntry("format.enc.yaml"))).toBeNull();
      expect(await bare.unwrap(pgpEntry("multiple_keys.yaml", 1))).toBeNull();
      expect(log.calls()).toEqual(["--batch --with-colons --list-secret-keys"]);
      spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: { ...process.env, GNUPGHOME: home } });
    } finally {
      empty.cleanup();
    }
  });

  it("tries messages with a hidden recipient and maps gpg's missing secret key to null", async () => {
    const dataKey = new Uint8Array(randomBytes(32));
    const toKey1 = gpgEncrypt(full, ["--throw-keyids", "-r", key1, "--trusted-key", key1.slice(-16)], dataKey);
    const toPublicOnly = gpgEncrypt(full, ["--throw-keyids", "-r", publicOnly, "--trusted-key", publicOnly.slice(-16)], dataKey);
    expect(readMessageRecipients(toKey1)).toEqual({ keyIds: [], anonymous: true, sessionKeys: ["0000000000000000"] });
    expect(hex(await source.unwrap({ kind: "pgp", fp: key1, createdAt: "2020-01-01T00:00:00Z", enc: toKey1 }))).toBe(hex(dataKey));
    expect(await source.unwrap({ kind: "pgp", fp: publicOnly, createdAt: "2020-01-01T00:00:00Z", enc: toPublicOnly })).toBeNull();
  });

  it("reports a corrupt message for one of its keys as KEY_SOURCE_FAILED with gpg's reason", async () => {
    const entry = pgpEntry("format.enc.yaml");
    const lines = entry.enc.split("\n");
    // Damage the encrypted payload (line 8 of the armor) but keep the session key packet intact.
    lines[8] = `${(lines[8] ?? "").slice(0, 10)}AAAA${(lines[8] ?? "").slice(14)}`;
    const error = await expectHushError(source.unwrap({ ...entry, enc: lines.join("\n") }), "KEY_SOURCE_FAILED");
    expect(error.message).toContain(key1);
    expect(error.message).toContain("gpg: ");
  });

  it("treats an unparseable message as foreign unless its fingerprint is in the keyring", async () => {
    const junk = "-----BEGIN PGP MESSAGE-----\n\nbm90IGEgbWVzc2FnZQ==\n-----END PGP MESSAGE-----";
    expect(await source.unwrap({ kind: "pgp", fp: publicOnly, createdAt: "2020-01-01T00:00:00Z", enc: junk })).toBeNull();
    expect(await source.unwrap({ kind: "pgp", fp: "--weird", createdAt: "2020-01-01T00:00:00Z", enc: "--output=/tmp/x" })).toBeNull();
    const error = await expectHushError(source.unwrap({ kind: "pgp", fp: key1, createdAt: "2020-01-01T00:00:00Z", enc: junk }), "KEY_SOURCE_FAILED");
    expect(error.message).toContain(key1);
  });

  it("rejects a decrypted payload that is not a 32/33-byte key", async () => {
    const enc = gpgEncrypt(full, ["-r", key1, "--trusted-key", key1.slice(-16)], new Uint8Array([1, 2, 3, 4, 5]));
    const error = await expectHushError(source.unwrap({ kind: "pgp", fp: key1, createdAt: "2020-01-01T00:00:00Z", enc }), "KEY_SOURCE_FAILED");
    expect(error.message).toContain("5 bytes");
  });
});

describe("gpg binary and keyring location", () => {
  it("honours SOPS_GPG_EXEC and fails clearly when it does not exist", async () => {
    const missing = new GpgKeySource({ env: { ...full.env, SOPS_GPG_EXEC: "/nonexistent/bin/gpg2" } });
    const wrapError = await expectHushError(missing.wrap(new Uint8Array(32), { kind: "pgp", fp: key1 }), "KEY_SOURCE_FAILED");
    expect(wrapError.message).toContain("/nonexistent/bin/gpg2");
    expect(wrapError.message).toContain("not found");
    expect((wrapError as { hint?: string }).hint).toContain("SOPS_GPG_EXEC");
    await expectHushError(missing.unwrap(pgpEntry("format.enc.yaml")), "KEY_SOURCE_FAILED");
  });

  it("describes the keyring it searches", () => {
    expect(source.describeSearch()).toEqual([`gpg keyring at ${full.home}`]);
    expect(new GpgKeySource({ env: { HOME: "/home/alice" } }).describeSearch()).toEqual(["gpg keyring at /home/alice/.gnupg"]);
  });
});

describe("normalizePgpFingerprint and readMessageRecipients", () => {
  it("normalizes fingerprints as SOPS stores them", () => {
    expect(normalizePgpFingerprint(" FBC7 B9E2A4F9289A ")).toBe("FBC7B9E2A4F9289A");
    expect(normalizePgpFingerprint("71D962851765394F76DB9CFC25294A17CD90507F!")).toBe("71D962851765394F76DB9CFC25294A17CD90507F!");
    expect(() => normalizePgpFingerprint("not-a-key")).toThrow(/invalid PGP fingerprint/);
  });

  it("reads the recipient key IDs of SOPS messages", () => {
    expect(readMessageRecipients(pgpEntry("format.enc.yaml").enc)).toEqual({ keyIds: ["25294A17CD90507F"], anonymous: false, sessionKeys: ["25294A17CD90507F"] });
    expect(readMessageRecipients(pgpEntry("comments.enc.yaml").enc)).toEqual({ keyIds: ["25294A17CD90507F"], anonymous: false, sessionKeys: ["25294A17CD90507F"] });
    expect(readMessageRecipients(pgpEntry("multiple_keys.yaml", 1).enc)).toEqual({ keyIds: ["5C5525B581705783"], anonymous: false, sessionKeys: ["5C5525B581705783"] });
    expect(readMessageRecipients("")).toBeNull();
    expect(readMessageRecipients("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBF1o\n-----END PGP PUBLIC KEY BLOCK-----")).toBeNull();
  });
});

describe("a secret key whose passphrase gpg-agent cannot get", () => {
  it("is an error, not a missing key", async () => {
    const home = makeGnupgHome({ onlySecretKey: key2 });
    try {
      // No pinentry can run, so the agent fails at once instead of prompting on a terminal; a low
      // s2k count keeps the re-protection below fast.
      writeFileSync(join(home.home, "gpg-agent.conf"), "pinentry-program /bin/false\ns2k-count 65536\n");
      spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: home.env });
      const passwd = spawnSync("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0", "--passwd", key2], { env: home.env, input: "correct horse\n" });
      expect(passwd.status, passwd.stderr.toString("utf8")).toBe(0);
      // Forget the passphrase cached by --passwd.
      spawnSync("gpgconf", ["--kill", "gpg-agent"], { env: home.env });

      const locked = new GpgKeySource({ env: home.env });
      const error = await expectHushError(locked.unwrap(pgpEntry("multiple_keys.yaml", 1)), "KEY_SOURCE_FAILED");
      expect(error.message).toContain(key2);
      expect(await locked.unwrap(pgpEntry("multiple_keys.yaml", 0))).toBeNull();
    } finally {
      home.cleanup();
    }
  });
});
