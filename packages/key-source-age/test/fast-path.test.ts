import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";
import { makeTempDir } from "@hush/testkit";
import { bech32Decode } from "../src/bech32.ts";
import { x25519PrivateKey, x25519PublicOf } from "../src/curve25519.ts";
import { decodeArmor, fastUnwrapX25519, type X25519Key } from "../src/fast-unwrap.ts";
import { fastWrapX25519 } from "../src/fast-wrap.ts";
import { ageVectors, randomKey, requireTool } from "./tools.ts";

const age = requireTool("age", "age");
const v = ageVectors();
const tmp = makeTempDir("hush-age-fast-");
afterAll(() => tmp.cleanup());

const entry = (enc: string) => ({ kind: "age" as const, recipient: "age1…", enc });
const source = (identities: string) => new AgeKeySource({ identities: parseAgeIdentities(identities) });

function keyOf(identity: string): X25519Key {
  const privateKey = x25519PrivateKey(bech32Decode(identity).bytes);
  return { privateKey, publicKey: x25519PublicOf(privateKey) };
}

function ageEncrypt(plain: Uint8Array, ...recipients: string[]): string {
  const args = ["-e", "-a", ...recipients.flatMap((r) => ["-r", r])];
  return execFileSync(age, args, { input: plain, encoding: "utf8", stdio: ["pipe", "pipe", "inherit"] });
}

/** Re-armors a binary age file the way age writes it (64 columns). */
function armor(file: Uint8Array): string {
  const b64 = Buffer.from(file).toString("base64");
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END AGE ENCRYPTED FILE-----\n`;
}

/** Flips the lowest bit of one byte of the binary file, chosen by `at`. */
function flip(enc: string, at: (file: Uint8Array) => number): string {
  const file = Uint8Array.from(decodeArmor(enc)!);
  const i = at(file);
  file[i]! ^= 0x01;
  return armor(file);
}

const headerEnd = (file: Uint8Array) => Buffer.from(file).indexOf("\n---") + 1;

describe("the X25519 fast path", () => {
  it("opens the SOPS mock vector without the full implementation", async () => {
    const file = decodeArmor(v.mockEncryptedKey)!;
    const fast = fastUnwrapX25519(file, [keyOf(v.mockIdentity)]);
    expect(Buffer.from(fast!.opened!).toString("utf8")).toBe("data");
    const out = await source(v.mockIdentity).unwrap(entry(v.mockEncryptedKey));
    expect(Buffer.from(out!).toString("utf8")).toBe("data");
  });

  it("answers null for a foreign identity, and tries identities in order", async () => {
    const file = decodeArmor(v.mockEncryptedKey)!;
    expect(fastUnwrapX25519(file, [keyOf(v.mockOtherIdentity)])).toEqual({ opened: null });
    expect(await source(v.mockOtherIdentity).unwrap(entry(v.mockEncryptedKey))).toBeNull();
    const both = `${v.mockOtherIdentity}\n${v.mockIdentity}\n`;
    expect(Buffer.from((await source(both).unwrap(entry(v.mockEncryptedKey)))!).toString("utf8")).toBe("data");
  });

  it("opens files written by the age CLI, with one or several recipients", async () => {
    const mine = await generateAgeKeyPair();
    const other = await generateAgeKeyPair();
    for (const recipients of [[mine.recipient], [other.recipient, mine.recipient]]) {
      const dataKey = randomKey();
      const enc = ageEncrypt(dataKey, ...recipients);
      expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(mine.identity)])?.opened).toEqual(dataKey);
      expect(await source(mine.identity).unwrap(entry(enc))).toEqual(dataKey);
    }
  });

  it("hands multi-chunk payloads to the full implementation, with the same result", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const big = new Uint8Array(70_000).fill(7);
    const enc = ageEncrypt(big, recipient);
    expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(identity)])).toBeUndefined();
    expect(await source(identity).unwrap(entry(enc))).toEqual(big);
  });

  it("a tampered header MAC throws KEY_SOURCE_FAILED", async () => {
    const enc = flip(v.mockEncryptedKey, (f) => headerEnd(f) + 6);
    expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(v.mockIdentity)])).toBeUndefined();
    await expect(source(v.mockIdentity).unwrap(entry(enc))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
  });

  it("an unknown header version throws KEY_SOURCE_FAILED", async () => {
    const file = Uint8Array.from(decodeArmor(v.mockEncryptedKey)!);
    const text = Buffer.from(file).toString("latin1").replace("age-encryption.org/v1", "age-encryption.org/v2");
    const enc = armor(Buffer.from(text, "latin1"));
    await expect(source(v.mockIdentity).unwrap(entry(enc))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
  });

  it("a tampered stanza body opens nothing (as age: indistinguishable from a foreign stanza)", async () => {
    const enc = flip(v.mockEncryptedKey, (f) => headerEnd(f) - 3);
    expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(v.mockIdentity)])).toEqual({ opened: null });
    expect(await source(v.mockIdentity).unwrap(entry(enc))).toBeNull();
  });

  it("a tampered payload throws KEY_SOURCE_FAILED", async () => {
    for (const at of [(f: Uint8Array) => f.length - 1, (f: Uint8Array) => f.length - 20]) {
      const enc = flip(v.mockEncryptedKey, at);
      expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(v.mockIdentity)])).toBeUndefined();
      await expect(source(v.mockIdentity).unwrap(entry(enc))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
    }
  });

  it("a truncated payload throws KEY_SOURCE_FAILED", async () => {
    const file = decodeArmor(v.mockEncryptedKey)!;
    const enc = armor(file.subarray(0, file.length - 25));
    await expect(source(v.mockIdentity).unwrap(entry(enc))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
  });

  it("an all-zero (low-order) ephemeral share throws, as in age", async () => {
    const text = Buffer.from(decodeArmor(v.mockEncryptedKey)!).toString("latin1");
    const zero = text.replace(/^-> X25519 \S+$/m, `-> X25519 ${Buffer.alloc(32).toString("base64").replace(/=+$/, "")}`);
    const enc = armor(Buffer.from(zero, "latin1"));
    expect(fastUnwrapX25519(decodeArmor(enc)!, [keyOf(v.mockIdentity)])).toBeUndefined();
    await expect(source(v.mockIdentity).unwrap(entry(enc))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
  });

  it("malformed armor and non-canonical base64 fall back to the full decoder's error", async () => {
    expect(decodeArmor("-----BEGIN AGE ENCRYPTED FILE-----\nYQ\n-----END AGE ENCRYPTED FILE-----")).toBeUndefined();
    await expect(source(v.mockIdentity).unwrap(entry("not armor"))).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
  });
});

/** The all-zero (low-order) X25519 point as a recipient: no key exchange with it is valid. */
const LOW_ORDER_RECIPIENT = "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z";

describe("the X25519 fast wrap", () => {
  it("writes age's layout, which age -d, the full implementation and the fast unwrap open", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const keyFile = join(tmp.path, "wrap-keys.txt");
    writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
    const dataKey = randomKey();
    const { enc } = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
    // One stanza of a 43-character share and body, the MAC, then a 16-byte nonce and the sealed 32 bytes.
    const file = decodeArmor(enc)!;
    const header = Buffer.from(file).toString("latin1", 0, headerEnd(file) + 48);
    expect(header).toMatch(/^age-encryption\.org\/v1\n-> X25519 [A-Za-z0-9+/]{43}\n[A-Za-z0-9+/]{43}\n--- [A-Za-z0-9+/]{43}\n$/);
    expect(file.length).toBe(header.length + 16 + 32 + 16);
    expect(enc).toBe(armor(file));
    expect(new Uint8Array(execFileSync(age, ["-d", "-i", keyFile], { input: enc }))).toEqual(dataKey);
    const { Decrypter } = await import("age-encryption");
    const full = new Decrypter();
    full.addIdentity(identity);
    expect(await full.decrypt(file)).toEqual(dataKey);
    expect(fastUnwrapX25519(file, [keyOf(identity)])?.opened).toEqual(dataKey);
  });

  it("each wrap has its own share, file key and nonce", async () => {
    const { recipient } = await generateAgeKeyPair();
    const dataKey = randomKey();
    const a = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
    const b = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
    const shareOf = (enc: string) => /^-> X25519 (\S+)$/m.exec(Buffer.from(decodeArmor(enc)!).toString("latin1"))![1];
    expect(shareOf(a.enc)).not.toBe(shareOf(b.enc));
    expect(decodeArmor(a.enc)!.subarray(-64)).not.toEqual(decodeArmor(b.enc)!.subarray(-64));
  });

  it("leaves a low-order recipient and a payload beyond one chunk to the full implementation, with its result", async () => {
    expect(fastWrapX25519(randomKey(), new Uint8Array(32))).toBeUndefined();
    await expect(new AgeKeySource().wrap(randomKey(), { kind: "age", recipient: LOW_ORDER_RECIPIENT })).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED" });
    const { identity, recipient } = await generateAgeKeyPair();
    const big = new Uint8Array(70_000).fill(7);
    expect(fastWrapX25519(big, bech32Decode(recipient).bytes)).toBeUndefined();
    const { enc } = await new AgeKeySource().wrap(big, { kind: "age", recipient });
    expect(await source(identity).unwrap(entry(enc))).toEqual(big);
  });
});

describe("bech32", () => {
  it("decodes identities and rejects bad checksums and mixed case", () => {
    expect(bech32Decode(v.mockIdentity).prefix).toBe("age-secret-key-");
    expect(bech32Decode(v.mockRecipient).bytes.length).toBe(32);
    const last = v.mockIdentity.at(-1) === "Q" ? "P" : "Q";
    expect(() => bech32Decode(v.mockIdentity.slice(0, -1) + last)).toThrow(/checksum/);
    expect(() => bech32Decode(v.mockIdentity.slice(0, 20) + v.mockIdentity.slice(20).toLowerCase())).toThrow(/case/);
  });

  it("an identity with a broken checksum is refused without echoing it", () => {
    const bad = v.mockIdentity.slice(0, -1) + (v.mockIdentity.at(-1) === "Q" ? "P" : "Q");
    expect(() => parseAgeIdentities(bad)).toThrow(/invalid age identity/);
    try {
      parseAgeIdentities(bad);
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(bad.slice(16));
    }
  });
});

describe("import cost", () => {
  const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

  /** Runs `body` in a child node with the built package; returns stdout and every module URL resolved. */
  function runLogged(body: string): { stdout: string; loaded: string[] } {
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm build\` first`);
    const log = join(tmp.path, `loaded-${Math.random().toString(36).slice(2)}.txt`);
    const hooks = join(tmp.path, "hooks.mjs");
    writeFileSync(
      hooks,
      `import { appendFileSync } from "node:fs";\n` +
        `export async function resolve(specifier, context, next) {\n` +
        `  const r = await next(specifier, context);\n` +
        `  appendFileSync(${JSON.stringify(log)}, r.url + "\\n");\n` +
        `  return r;\n}\n`,
    );
    const script = join(tmp.path, "main.mjs");
    writeFileSync(
      script,
      `import { register } from "node:module";\n` +
        `register(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
        `const m = await import(${JSON.stringify(pathToFileURL(dist).href)});\n` +
        body,
    );
    const stdout = execFileSync(process.execPath, [script], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", VECTORS: JSON.stringify(v) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    return { stdout, loaded: readFileSync(log, "utf8").split("\n").filter((l) => l !== "") };
  }

  it("unwrapping an X25519 entry does not load age-encryption", () => {
    const { stdout, loaded } = runLogged(
      `const v = JSON.parse(process.env.VECTORS);\n` +
        `const src = new m.AgeKeySource({ identities: m.parseAgeIdentities(v.mockIdentity) });\n` +
        `const out = await src.unwrap({ kind: "age", recipient: v.mockRecipient, enc: v.mockEncryptedKey });\n` +
        `process.stdout.write(Buffer.from(out).toString("utf8"));\n`,
    );
    expect(stdout).toBe("data");
    // The hook saw the package itself, so an absent age-encryption really was not loaded.
    expect(loaded.some((u) => u.includes("/key-source-age/dist/"))).toBe(true);
    expect(loaded.filter((u) => u.includes("age-encryption"))).toEqual([]);
  });

  it("wrapping to an X25519 recipient does not load age-encryption", () => {
    const { stdout, loaded } = runLogged(
      `const v = JSON.parse(process.env.VECTORS);\n` +
        `const e = await new m.AgeKeySource().wrap(new Uint8Array(32), { kind: "age", recipient: v.mockRecipient });\n` +
        `process.stdout.write(e.enc.split("\\n")[0]);\n`,
    );
    expect(stdout).toBe("-----BEGIN AGE ENCRYPTED FILE-----");
    expect(loaded.some((u) => u.includes("/key-source-age/dist/"))).toBe(true);
    expect(loaded.filter((u) => u.includes("age-encryption"))).toEqual([]);
  });

  it("wrapping to an SSH recipient does load it (the detection works)", () => {
    const { stdout, loaded } = runLogged(
      `const v = JSON.parse(process.env.VECTORS);\n` +
        `const e = await new m.AgeKeySource().wrap(new Uint8Array(32), { kind: "age", recipient: v.mockSshRecipient });\n` +
        `process.stdout.write(e.enc.split("\\n")[0]);\n`,
    );
    expect(stdout).toBe("-----BEGIN AGE ENCRYPTED FILE-----");
    expect(loaded.some((u) => u.includes("age-encryption"))).toBe(true);
  });
});
