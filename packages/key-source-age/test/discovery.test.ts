import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  AgeKeySource,
  defaultAgeKeysFile,
  discoverAgeIdentities,
  generateAgeKeyPair,
  type AgeKeyPair,
} from "@hush/key-source-age";
import { makeTempDir } from "@hush/testkit";
import { splitShellWords } from "../src/shell-words.ts";
import { ageVectors, randomKey, sshKeygen } from "./tools.ts";

const tmp = makeTempDir("hush-age-discovery-");
afterAll(() => tmp.cleanup());

function write(path: string, content: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

async function opens(source: AgeKeySource, recipient: string): Promise<boolean> {
  const dataKey = randomKey();
  const entry = await new AgeKeySource().wrap(dataKey, { kind: "age", recipient });
  const out = await source.unwrap(entry);
  if (out !== null) expect(out).toEqual(dataKey);
  return out !== null;
}

describe("discoverAgeIdentities", () => {
  it("loads every SOPS place and combines them", async () => {
    const home = join(tmp.path, "home-all");
    const keys: AgeKeyPair[] = await Promise.all(Array.from({ length: 5 }, () => generateAgeKeyPair()));
    const [defaultKey, envKey1, envKey2, fileKey, cmdKey] = keys as [AgeKeyPair, AgeKeyPair, AgeKeyPair, AgeKeyPair, AgeKeyPair];
    mkdirSync(join(home, ".ssh"), { recursive: true });
    const homeSsh = sshKeygen(join(home, ".ssh"), "id_ed25519", ["-t", "ed25519"]);
    const sshFile = sshKeygen(tmp.path, "ssh_file_rsa", ["-t", "rsa", "-b", "2048"]);
    const sshCmd = sshKeygen(tmp.path, "ssh cmd key", ["-t", "ed25519"]);
    write(join(home, ".config", "sops", "age", "keys.txt"), `# default\n${defaultKey.identity}\n`);
    const keyFile = write(join(tmp.path, "file-keys.txt"), `\n# created: now\n${fileKey.identity}\r\n`);
    const cmdFile = write(join(tmp.path, "dir with space", "cmd-keys.txt"), `${cmdKey.identity}\n`);
    const env = {
      PATH: process.env.PATH,
      SOPS_AGE_KEY: `${envKey1.identity} ${envKey2.identity}`,
      SOPS_AGE_KEY_FILE: keyFile,
      SOPS_AGE_KEY_CMD: `cat '${cmdFile}'`,
      SOPS_AGE_SSH_PRIVATE_KEY_FILE: sshFile.path,
      SOPS_AGE_SSH_PRIVATE_KEY_CMD: `cat "${sshCmd.path}"`,
    };
    const provider = discoverAgeIdentities({ env, homeDir: home, platform: "linux" });
    const source = new AgeKeySource({ identities: provider });
    for (const recipient of [...keys.map((k) => k.recipient), homeSsh.publicKey, sshFile.publicKey, sshCmd.publicKey]) {
      expect(await opens(source, recipient), recipient).toBe(true);
    }
    expect(await provider.identities()).toHaveLength(8);
    const search = source.describeSearch();
    expect(search).toEqual([
      `SOPS_AGE_SSH_PRIVATE_KEY_FILE=${sshFile.path}: 1 identity (ssh-rsa)`,
      "SOPS_AGE_SSH_PRIVATE_KEY_CMD: 1 identity (ssh-ed25519)",
      `${join(home, ".ssh", "id_ed25519")}: 1 identity (ssh-ed25519)`,
      `${join(home, ".ssh", "id_rsa")}: not present`,
      "SOPS_AGE_KEY: 2 identities (X25519)",
      `SOPS_AGE_KEY_FILE=${keyFile}: 1 identity (X25519)`,
      "SOPS_AGE_KEY_CMD: 1 identity (X25519)",
      `${join(home, ".config", "sops", "age", "keys.txt")}: 1 identity (X25519)`,
    ]);
    expect(search.join("\n")).not.toMatch(/SECRET|PRIVATE KEY/);
  });

  it("reads nothing until identities are needed, and reads once", async () => {
    const { identity, recipient } = await generateAgeKeyPair();
    const reads: string[] = [];
    const provider = discoverAgeIdentities({
      env: { SOPS_AGE_KEY_FILE: "/keys/hush.txt" },
      homeDir: "/home/u",
      platform: "linux",
      readFile: (path) => {
        reads.push(path);
        if (path === "/keys/hush.txt") return identity;
        throw Object.assign(new Error("missing"), { code: "ENOENT" });
      },
    });
    const source = new AgeKeySource({ identities: provider });
    expect(source.describeSearch()).toEqual([
      "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
      "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
      "/home/u/.ssh/id_ed25519",
      "/home/u/.ssh/id_rsa",
      "SOPS_AGE_KEY",
      "SOPS_AGE_KEY_FILE=/keys/hush.txt",
      "SOPS_AGE_KEY_CMD",
      "/home/u/.config/sops/age/keys.txt",
    ]);
    await new AgeKeySource({ identities: provider }).wrap(randomKey(), { kind: "age", recipient });
    expect(reads).toEqual([]);
    expect(await opens(source, recipient)).toBe(true);
    expect(await opens(source, recipient)).toBe(true);
    expect(reads).toEqual(["/home/u/.ssh/id_ed25519", "/home/u/.ssh/id_rsa", "/keys/hush.txt", "/home/u/.config/sops/age/keys.txt"]);
    expect(source.describeSearch()).toContain("SOPS_AGE_SSH_PRIVATE_KEY_FILE: not set");
  });

  it("records load errors without content and still uses the places that work", async () => {
    const home = join(tmp.path, "home-errors");
    const good = await generateAgeKeyPair();
    mkdirSync(join(home, ".ssh"), { recursive: true });
    sshKeygen(join(home, ".ssh"), "id_ed25519", ["-t", "ed25519", "-N", "locked"]);
    const bad = write(join(tmp.path, "bad-keys.txt"), `# ok\n${good.identity}\nAGE-SECRET-KEY-1NOTAKEY\n`);
    const env = {
      PATH: process.env.PATH,
      SOPS_AGE_KEY: good.identity,
      SOPS_AGE_KEY_FILE: join(tmp.path, "does-not-exist.txt"),
      SOPS_AGE_KEY_CMD: "false",
      SOPS_AGE_SSH_PRIVATE_KEY_FILE: bad,
      SOPS_AGE_SSH_PRIVATE_KEY_CMD: "hush-no-such-program --token 'AGE-SECRET-KEY-1XYZ'",
    };
    const source = new AgeKeySource({ identities: discoverAgeIdentities({ env, homeDir: home, platform: "linux" }) });
    expect(await opens(source, good.recipient)).toBe(true);
    const search = source.describeSearch();
    expect(search).toContain(`SOPS_AGE_SSH_PRIVATE_KEY_FILE=${bad}: not an SSH private key`);
    expect(search).toContain('SOPS_AGE_SSH_PRIVATE_KEY_CMD: command "hush-no-such-program" not found');
    expect(search).toContain(`${join(home, ".ssh", "id_ed25519")}: passphrase-protected OpenSSH keys are not supported`);
    expect(search).toContain(`SOPS_AGE_KEY_FILE=${env.SOPS_AGE_KEY_FILE}: cannot read the file (ENOENT)`);
    expect(search).toContain('SOPS_AGE_KEY_CMD: command "false" exited with status 1');
    expect(search.join("\n")).not.toMatch(/SECRET|--token/);
  });

  it("reports the line of an invalid identity, never the line itself", async () => {
    const good = "AGE-SECRET-KEY-1G0Q5K9TV4REQ3ZSQRMTMG8NSWQGYT0T7TZ33RAZEE0GZYVZN0APSU24RK7";
    const path = write(join(tmp.path, "typo-keys.txt"), `# ok\n${good}\n${good.slice(0, -1)}X\n`);
    const provider = discoverAgeIdentities({ env: { SOPS_AGE_KEY_FILE: path }, homeDir: "", platform: "linux" });
    expect(await provider.identities()).toEqual([]);
    const search = provider.describeSearch();
    expect(search).toContain(`SOPS_AGE_KEY_FILE=${path} line 3: invalid age identity`);
    expect(search.join("\n")).not.toContain("AGE-SECRET");
  });

  it("asks for an identity file's passphrase only when no other identity opens the entry", async () => {
    const v = ageVectors();
    const other = await generateAgeKeyPair();
    const encrypted = write(join(tmp.path, "encrypted-keys.age"), v.mockEncryptedIdentity);
    const asked: string[] = [];
    const source = new AgeKeySource({
      identities: discoverAgeIdentities({
        env: { SOPS_AGE_KEY: other.identity, SOPS_AGE_KEY_FILE: encrypted },
        homeDir: "",
        platform: "linux",
        passphrase: (what) => {
          asked.push(what);
          return Promise.resolve(v.mockIdentityPassphrase);
        },
      }),
    });
    expect(await opens(source, other.recipient)).toBe(true);
    expect(asked).toEqual([]);
    const out = await source.unwrap({ kind: "age", recipient: v.mockRecipient, enc: v.mockEncryptedKey });
    expect(Buffer.from(out!).toString()).toBe("data");
    expect(asked).toEqual([`age identity file SOPS_AGE_KEY_FILE=${encrypted}`]);
    expect(source.describeSearch()).toContain(`SOPS_AGE_KEY_FILE=${encrypted}: 1 identity (passphrase-protected)`);
  });

  it("reads a binary (unarmored) passphrase-protected identity file", async () => {
    const v = ageVectors();
    const armored = v.mockEncryptedIdentity.split("\n").slice(1, -1).join("");
    const path = join(tmp.path, "binary-keys.age");
    writeFileSync(path, Buffer.from(armored, "base64"));
    const source = new AgeKeySource({
      identities: discoverAgeIdentities({
        env: { SOPS_AGE_KEY_FILE: path },
        homeDir: "",
        platform: "linux",
        passphrase: () => Promise.resolve(v.mockIdentityPassphrase),
      }),
    });
    const out = await source.unwrap({ kind: "age", recipient: v.mockRecipient, enc: v.mockEncryptedKey });
    expect(Buffer.from(out!).toString()).toBe("data");
    expect(readFileSync(path).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
  });
});

describe("defaultAgeKeysFile", () => {
  it("follows SOPS per platform", () => {
    expect(defaultAgeKeysFile({}, "/home/u", "linux")).toBe("/home/u/.config/sops/age/keys.txt");
    expect(defaultAgeKeysFile({ XDG_CONFIG_HOME: "/xdg" }, "/home/u", "linux")).toBe("/xdg/sops/age/keys.txt");
    expect(defaultAgeKeysFile({}, "/Users/u", "darwin")).toBe("/Users/u/Library/Application Support/sops/age/keys.txt");
    expect(defaultAgeKeysFile({ XDG_CONFIG_HOME: "/xdg" }, "/Users/u", "darwin")).toBe("/xdg/sops/age/keys.txt");
    expect(defaultAgeKeysFile({ APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "C:\\Users\\u", "win32")).toBe(
      "C:\\Users\\u\\AppData\\Roaming\\sops\\age\\keys.txt",
    );
    expect(defaultAgeKeysFile({}, "", "linux")).toBeUndefined();
  });
});

describe("splitShellWords", () => {
  it("splits like shlex, without a shell", () => {
    expect(splitShellWords(`op read "op://vault/age key/private key"`)).toEqual(["op", "read", "op://vault/age key/private key"]);
    expect(splitShellWords(`cat '/a b/$HOME' x\\ y "q\\"d" # comment`)).toEqual(["cat", "/a b/$HOME", "x y", 'q"d']);
    expect(splitShellWords("  a\tb\n")).toEqual(["a", "b"]);
    expect(splitShellWords("a'b'c")).toEqual(["abc"]);
    expect(() => splitShellWords("cat 'open")).toThrow(/unclosed single quote/);
  });
});
