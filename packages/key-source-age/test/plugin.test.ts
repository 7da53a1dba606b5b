import { generateKeyPairSync } from "node:crypto";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ageTestPluginKeyPair } from "@hush/testkit";
import { AgeKeySource, discoverAgeIdentities, generateAgeKeyPair, parseAgeIdentities } from "../src/index.ts";
import { isValidPluginName, parsePluginIdentity, parsePluginRecipient } from "../src/plugin-names.ts";
import { decodeStrictBase64, encodeStanza, StanzaReader } from "../src/plugin-wire.ts";
import { randomKey } from "./tools.ts";

describe("plugin names, as age's validPluginName", () => {
  it("allow letters, digits and + - . _ only", () => {
    for (const good of ["yubikey", "tpm", "fido2-hmac", "se.1", "a+b", "X_Y"]) expect(isValidPluginName(good), good).toBe(true);
    for (const bad of ["", "a/b", "..\\x", "a b", "évil", "a~b", "a\nb", "a:b"]) expect(isValidPluginName(bad), bad).toBe(false);
  });

  it("read the test plugin's recipient and identity; the identity never appears in the result", () => {
    const { identity, recipient } = ageTestPluginKeyPair();
    expect(parsePluginRecipient(recipient)).toEqual({ name: "hushtest" });
    expect(parsePluginIdentity(identity)).toEqual({ name: "hushtest" });
    expect(parsePluginIdentity(identity.toLowerCase())).toEqual({ fault: "encoding", name: "hushtest" });
    expect(JSON.stringify(parsePluginIdentity(`${identity.slice(0, -1)}Q`))).not.toContain(identity.slice(25));
  });
});

describe("stanza framing", () => {
  it("round-trips bodies of every length class (empty, short, one full line, several)", async () => {
    const out = new PassThrough();
    const reader = new StanzaReader(out);
    const bodies = [0, 1, 47, 48, 49, 96, 200].map((n) => new Uint8Array(n).map((_, i) => (i * 7) & 0xff));
    for (const [i, body] of bodies.entries()) out.write(encodeStanza("t", [String(i), "x"], body));
    for (const [i, body] of bodies.entries()) {
      const s = await reader.next();
      expect(s.type).toBe("t");
      expect(s.args).toEqual([String(i), "x"]);
      expect(Buffer.from(s.body)).toEqual(Buffer.from(body));
    }
    // A full 48-byte body ends with an empty line, as age writes it.
    expect(encodeStanza("t", [], new Uint8Array(48)).toString("latin1").endsWith("AAAA\n\n")).toBe(true);
  });

  it("refuses what age refuses: padding, non-canonical bits, long lines, bad openings, truncation", async () => {
    expect(decodeStrictBase64("AA==")).toBeUndefined();
    expect(decodeStrictBase64("AB")).toBeUndefined();
    expect(decodeStrictBase64("AA")).toEqual(new Uint8Array([0]));
    for (const wire of ["-> ok\nAA==\n", "-> ok\nAB\n", `-> ok\n${"A".repeat(68)}\n`, "-- ok\n\n", "-> \n\n", "->  ok\n\n", "-> ok\n"]) {
      const out = new PassThrough();
      const reader = new StanzaReader(out);
      out.end(wire);
      await expect(reader.next(), JSON.stringify(wire)).rejects.toThrow(/malformed|ended/);
    }
  });
});

describe("plugin identities in key sources", () => {
  it("are listed by plugin name; with no plugin installed the failure says what to install", async () => {
    const { identity, recipient } = ageTestPluginKeyPair();
    const ids = parseAgeIdentities(`${identity}\n`, { source: "keys.txt" });
    expect(ids.map((i) => [i.plugin, i.stanzaTypes])).toEqual([["hushtest", []]]);
    const source = new AgeKeySource({ identities: ids, env: { PATH: "/nonexistent" } });
    expect(source.describeSearch()).toEqual(["keys.txt: age-plugin-hushtest identity"]);
    const wrap = source.wrap(randomKey(), { kind: "age", recipient });
    await expect(wrap).rejects.toThrow(/^age-plugin-hushtest: not found in PATH$/);
    await expect(wrap).rejects.toMatchObject({ code: "KEY_SOURCE_FAILED", hint: expect.stringContaining("install the age-plugin-hushtest program") });
  });
});

describe("key commands", () => {
  it("run once per recipient with SOPS_AGE_RECIPIENT set, as SOPS 3.13 runs them", async () => {
    const a = await generateAgeKeyPair();
    const b = await generateAgeKeyPair();
    const asked: (string | undefined)[] = [];
    const provider = discoverAgeIdentities({
      env: { SOPS_AGE_KEY_CMD: "keys-for", SOPS_AGE_RECIPIENT: "inherited" },
      homeDir: "",
      platform: "linux",
      readFile: () => {
        throw Object.assign(new Error("missing"), { code: "ENOENT" });
      },
      runCommand: (_argv, env) => {
        asked.push(env["SOPS_AGE_RECIPIENT"]);
        return env["SOPS_AGE_RECIPIENT"] === b.recipient ? b.identity : "";
      },
    });
    const source = new AgeKeySource({ identities: provider });
    const entryA = await new AgeKeySource().wrap(randomKey(), { kind: "age", recipient: a.recipient });
    const keyB = randomKey();
    const entryB = await new AgeKeySource().wrap(keyB, { kind: "age", recipient: b.recipient });
    expect(await source.unwrap(entryA)).toBeNull();
    expect(await source.unwrap(entryB)).toEqual(keyB);
    expect(await source.unwrap(entryB)).toEqual(keyB);
    expect(asked).toEqual([a.recipient, b.recipient]);
  });

  it("are not told, nor run for, a recipient that is no age recipient: the file's writer chose it", async () => {
    const a = await generateAgeKeyPair();
    const asked: (string | undefined)[] = [];
    const provider = discoverAgeIdentities({
      env: { SOPS_AGE_KEY_CMD: "keys-for" },
      homeDir: "",
      platform: "linux",
      readFile: () => {
        throw Object.assign(new Error("missing"), { code: "ENOENT" });
      },
      runCommand: (_argv, env) => {
        asked.push(env["SOPS_AGE_RECIPIENT"]);
        return a.identity;
      },
    });
    const source = new AgeKeySource({ identities: provider });
    const entry = await new AgeKeySource().wrap(randomKey(), { kind: "age", recipient: a.recipient });
    for (const recipient of ["../../.ssh/id_ed25519", "$(touch /tmp/x)", `${a.recipient}\nSOPS_AGE_KEY_FILE=/etc/passwd`, "age1notbech32"]) {
      expect(await source.unwrap({ ...entry, recipient })).toBeNull();
    }
    expect(asked).toEqual([]);
    expect(provider.describeSearch()).toContain("SOPS_AGE_KEY_CMD: not run: the entry's recipient is not an age recipient");
  });

  it("are told an SSH recipient's comment only when it is plain words: the rest of the line is the file writer's text", async () => {
    // An SSH recipient is a key line, and its comment is free text that age ignores: a command
    // that hands the recipient to a shell (`ssh keyhost get-key "$SOPS_AGE_RECIPIENT"`) ran it.
    const point = Buffer.from(generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }).x!, "base64url");
    const wire = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), point]);
    const key = `ssh-ed25519 ${wire.toString("base64")}`;
    const asked: (string | undefined)[] = [];
    const provider = discoverAgeIdentities({
      env: { SOPS_AGE_KEY_CMD: "keys-for", SOPS_AGE_SSH_PRIVATE_KEY_CMD: "ssh-key-for" },
      homeDir: "",
      platform: "linux",
      readFile: () => {
        throw Object.assign(new Error("missing"), { code: "ENOENT" });
      },
      runCommand: (argv, env) => {
        asked.push(`${argv[0]}: ${env["SOPS_AGE_RECIPIENT"]}`);
        return "";
      },
    });
    const hostile = ["x$(touch /tmp/pwned);`id`", "a'b", "..\\..\\x", "a/b", "x\u001b[2Jy", "é", "x\u2028y", "a b;c"];
    for (const comment of hostile) await provider.identities(`${key} ${comment}`);
    await provider.identities(`${key}\tme@laptop.example-1`);
    await provider.identities(`${key} deploy key+2 of_3`);
    await provider.identities(`${key} me@laptop `);
    expect(asked).toEqual([
      // Once for all the hostile comments: they name the same key.
      `ssh-key-for: ${key}`,
      `keys-for: ${key}`,
      `ssh-key-for: ${key} me@laptop.example-1`,
      `keys-for: ${key} me@laptop.example-1`,
      `ssh-key-for: ${key} deploy key+2 of_3`,
      `keys-for: ${key} deploy key+2 of_3`,
      `ssh-key-for: ${key} me@laptop`,
      `keys-for: ${key} me@laptop`,
    ]);
  });
});
