import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, SOPS_TEST_PGP_KEYS, sopsVector, type GnupgHome } from "@hush/testkit";
import { requireTool, sshKeygen } from "../../packages/key-source-age/test/tools.ts";
import { ageEntryBlocks, createAgeKey, createRepo, createSandbox, expectOk, findingCodes, hush, hushLines, keylessCheck, type AgeKey, type Sandbox } from "./helpers.ts";

/**
 * Whoever writes a file holds its data key, and can wrap it for a key of their own inside the
 * entry that names a teammate: one age header with two stanzas, one PGP message for two keys.
 * The teammate opens the file as usual, and what they add to it later is readable to the writer,
 * while every report showed only the teammate. SOPS and hush wrap once per entry, so a second
 * stanza or session key, or a stanza for another SSH key, is certain without a key: `check`
 * refuses the file, `access` and the review view say so.
 */

const PLAINTEXT = "db_password: s3cret-Qx81\n";

/** An age entry block of a YAML file for `recipient` with `armored` as its wrapped key. */
function ageEntry(recipient: string, armored: string): string {
  const enc = armored.trim().split("\n").map((l) => `            ${l}\n`).join("");
  return `        - recipient: ${recipient}\n          enc: |\n${enc}`;
}

describe("a wrapped key that opens for a key its entry does not name", () => {
  let sb: Sandbox;
  let repo: string;
  let mallory: AgeKey;
  let age: string;
  beforeAll(() => {
    age = requireTool("age", "age");
    sb = createSandbox();
    repo = createRepo(sb);
    mallory = createAgeKey(sb, "mallory");
  });
  afterAll(() => sb?.cleanup());

  /**
   * The file an outsider writes: encrypted for the team's recipient and their own, then their own
   * entry folded into the team's: the team's label, a header with a stanza for each.
   */
  function outsidersFile(name: string): string {
    writeFileSync(join(repo, "plain.yaml"), PLAINTEXT);
    const both = hush(sb, ["encrypt", "--config", "/dev/null", "--age", `${sb.recipient},${mallory.recipient}`, "plain.yaml"], { cwd: repo, env: sb.keylessEnv });
    expectOk(both);
    const blocks = ageEntryBlocks(both.stdout);
    const own = blocks.find((b) => b.includes(mallory.recipient))!;
    const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*-----END AGE ENCRYPTED FILE-----/.exec(own)![0].replace(/^ +/gm, "");
    const dataKey = execFileSync(age, ["-d", "-i", mallory.keyFile], { input: armored });
    const folded = execFileSync(age, ["-a", "-r", sb.recipient, "-r", mallory.recipient], { input: dataKey }).toString();
    const text = both.stdout.replace(blocks.join(""), ageEntry(sb.recipient, folded));
    writeFileSync(join(repo, name), text);
    return text;
  }

  it("an age entry with a second X25519 stanza: the team opens the file, the outsider holds its data key, check refuses it", () => {
    const text = outsidersFile("folded.enc.yaml");
    expect(ageEntryBlocks(text)).toHaveLength(1);
    // It is a working file for the team: nothing but the header says who else reads it.
    const opened = hush(sb, ["decrypt", "folded.enc.yaml"], { cwd: repo });
    expectOk(opened);
    expect(opened.stdout).toBe(PLAINTEXT);
    const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*-----END AGE ENCRYPTED FILE-----/.exec(text)![0].replace(/^ +/gm, "");
    expect(execFileSync(age, ["-d", "-i", mallory.keyFile], { input: armored })).toHaveLength(32);

    const check = keylessCheck(sb, repo, ["folded.enc.yaml"]);
    expect(check.status).toBe(1);
    expect(findingCodes(check.report)).toEqual(["folded.enc.yaml error other-reader"]);
    expect(check.report.files[0]!.problems[0]!.message).toBe(
      `the wrapped data key of age recipient ${sb.recipient} in key group 0 opens for a key the entry does not name: its age header wraps the data key 2 times (X25519, X25519), where SOPS wraps it once, for the age key the entry names; whoever wrote it may read the file, and what a key holder adds to it; run \`hush rotate -i\` on the file (with a key that opens it) for a new data key wrapped to the recipients listed only`,
    );
  });

  it("hush access lists the entry with the file, and the review view warns above the values", () => {
    outsidersFile("shown.enc.yaml");
    const json = hush(sb, ["access", "--json", "shown.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expectOk(json);
    const file = (JSON.parse(json.stdout) as { files: Array<{ otherReaders: unknown }> }).files[0]!;
    expect(file.otherReaders).toEqual([
      {
        recipient: { kind: "age", identity: sb.recipient, name: null },
        group: 0,
        why: "its age header wraps the data key 2 times (X25519, X25519), where SOPS wraps it once, for the age key the entry names",
      },
    ]);
    const text = hush(sb, ["access", "shown.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(text.stdout).toContain(`shown.enc.yaml: the wrapped key of age ${sb.recipient} (key group 0) opens for a key not shown here: its age header wraps the data key 2 times (X25519, X25519)`);
    const view = hush(sb, ["git", "textconv", "shown.enc.yaml"], { cwd: repo, env: sb.keylessEnv });
    expectOk(view);
    expect(hushLines(view.stdout.replace(/^# hush: /gm, "hush: "))).toContain(
      `hush: WARNING: key group 0: the wrapped key of age ${sb.recipient} opens for a key the entry does not name: its age header wraps the data key 2 times (X25519, X25519), where SOPS wraps it once, for the age key the entry names`,
    );
  });

  it("hush set into it asks first, naming the entry: without an answer nothing is written; hush rotate -i is the way out", () => {
    const text = outsidersFile("written.enc.yaml");
    const asked = hush(sb, ["set", "written.enc.yaml", '["api_token"]', '"tok-Zr49"'], { cwd: repo, input: "" });
    expect(asked.status).not.toBe(0);
    expect(asked.stderr).toContain(
      `hush: written.enc.yaml: what you write would also be readable by a key that no entry of the file names: the wrapped data key of these entries opens for it too:\n    group 0: age ${sb.recipient}: its age header wraps the data key 2 times (X25519, X25519)`,
    );
    expect(asked.stderr).toContain("hush rotate -i written.enc.yaml");
    expect(readFileSync(join(repo, "written.enc.yaml"), "utf8")).toBe(text);
    const forced = hush(sb, ["set", "--yes", "written.enc.yaml", '["api_token"]', '"tok-Zr49"'], { cwd: repo });
    expectOk(forced);
    expect(forced.stderr).toContain("what you write would also be readable by a key that no entry of the file names");
  });

  // The question is about the file's own entries, not about .sops.yaml: a file no creation rule
  // covers (keys given on the command line) hides the outsider's stanza just as well.
  it("hush set into such a file that no creation rule covers asks first too", () => {
    const text = outsidersFile("loose.yaml");
    const asked = hush(sb, ["set", "loose.yaml", '["api_token"]', '"tok-Zr49"'], { cwd: repo, input: "" });
    expect(asked.status).not.toBe(0);
    expect(asked.stderr).toContain(`hush: loose.yaml: what you write would also be readable by a key that no entry of the file names: the wrapped data key of these entries opens for it too:\n    group 0: age ${sb.recipient}: its age header wraps the data key 2 times (X25519, X25519)`);
    expect(readFileSync(join(repo, "loose.yaml"), "utf8")).toBe(text);
    const noConfig = hush(sb, ["set", "--config", "/dev/null", "loose.yaml", '["api_token"]', '"tok-Zr49"'], { cwd: repo, input: "" });
    expect(noConfig.status).not.toBe(0);
    expect(noConfig.stderr).toContain("what you write would also be readable by a key that no entry of the file names");
    expect(readFileSync(join(repo, "loose.yaml"), "utf8")).toBe(text);
  });

  it("hush rotate -i by the team leaves one stanza per entry: the outsider's key no longer opens the file", () => {
    outsidersFile("rotated.enc.yaml");
    expectOk(hush(sb, ["rotate", "-i", "rotated.enc.yaml"], { cwd: repo }));
    const text = readFileSync(join(repo, "rotated.enc.yaml"), "utf8");
    const armored = /-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*-----END AGE ENCRYPTED FILE-----/.exec(text)![0].replace(/^ +/gm, "");
    expect(() => execFileSync(age, ["-d", "-i", mallory.keyFile], { input: armored, stdio: ["pipe", "pipe", "ignore"] })).toThrow();
    expect(findingCodes(keylessCheck(sb, repo, ["rotated.enc.yaml"]).report)).toEqual([]);
  });

  // updatekeys re-wraps the data key it finds when no one leaves the file; this one is the
  // outsider's own, so kept it would go on opening the file for them once the stanza is gone.
  it("updatekeys gives such a file a new data key: its entries lose the outsider's stanza and the outsider the data key", () => {
    const text = outsidersFile("rekeyed.enc.yaml");
    const bob = createAgeKey(sb, "bob");
    const config = join(repo, "rekey.sops.yaml");
    writeFileSync(config, `creation_rules:\n  - path_regex: rekeyed\\.enc\\.yaml$\n    age: ${sb.recipient},${bob.recipient}\n`);
    const r = hush(sb, ["updatekeys", "--yes", "--config", config, "rekeyed.enc.yaml"], { cwd: repo });
    expectOk(r);
    expect(r.stdout).toContain("new data key:");
    const after = readFileSync(join(repo, "rekeyed.enc.yaml"), "utf8");
    const value = (t: string): string => /db_password: (ENC\[[^\]]*\])/.exec(t)![1]!;
    expect(value(after)).not.toBe(value(text));
    expect(findingCodes(keylessCheck(sb, repo, ["rekeyed.enc.yaml"]).report).filter((c) => c.includes("other-reader"))).toEqual([]);
    expect(hush(sb, ["decrypt", "rekeyed.enc.yaml"], { cwd: repo, env: bob.env }).stdout).toBe(PLAINTEXT);

    // groups add re-wraps the same way, and draws a new data key for the same reason.
    const grouped = outsidersFile("grouped.enc.yaml");
    expectOk(hush(sb, ["groups", "add", "-i", "--yes", "-f", "grouped.enc.yaml", "--age", bob.recipient], { cwd: repo }));
    expect(value(readFileSync(join(repo, "grouped.enc.yaml"), "utf8"))).not.toBe(value(grouped));
    expect(findingCodes(keylessCheck(sb, repo, ["grouped.enc.yaml"]).report).filter((c) => c.includes("other-reader"))).toEqual([]);
  });

  it("a post-quantum recipient's entry as hush writes it passes", () => {
    const keyFile = join(sb.dir, "pq-key.txt");
    const kg = hush(sb, ["keygen", "--pq", "-o", keyFile], { cwd: sb.dir, env: sb.keylessEnv });
    expectOk(kg);
    const pq = /Public key: (age1pq1[0-9a-z]+)/.exec(kg.stderr)![1]!;
    writeFileSync(join(repo, "plain.yaml"), PLAINTEXT);
    const honest = hush(sb, ["encrypt", "--config", "/dev/null", "--age", pq, "plain.yaml"], { cwd: repo, env: sb.keylessEnv });
    expectOk(honest);
    writeFileSync(join(repo, "pq.enc.yaml"), honest.stdout);
    expect(findingCodes(keylessCheck(sb, repo, ["pq.enc.yaml"]).report).filter((c) => c.includes("other-reader"))).toEqual([]);
  });

  it("an SSH entry whose stanza is for another SSH key is named, with both tags; files hush writes for SSH keys pass", () => {
    const team = sshKeygen(sb.dir, "team_ed25519", ["-t", "ed25519"]);
    const other = sshKeygen(sb.dir, "other_ed25519", ["-t", "ed25519"]);
    writeFileSync(join(repo, "plain.yaml"), PLAINTEXT);
    const honest = hush(sb, ["encrypt", "--config", "/dev/null", "--age", team.publicKey, "plain.yaml"], { cwd: repo, env: sb.keylessEnv });
    expectOk(honest);
    writeFileSync(join(repo, "ssh.enc.yaml"), honest.stdout);
    expect(findingCodes(keylessCheck(sb, repo, ["ssh.enc.yaml"]).report).filter((c) => c.includes("other-reader"))).toEqual([]);

    const forOther = execFileSync(age, ["-a", "-r", other.publicKey], { input: Buffer.alloc(32, 7) }).toString();
    const [block] = ageEntryBlocks(honest.stdout);
    writeFileSync(join(repo, "ssh-swapped.enc.yaml"), honest.stdout.replace(block!, ageEntry(team.publicKey, forOther)));
    const check = keylessCheck(sb, repo, ["ssh-swapped.enc.yaml"]);
    expect(findingCodes(check.report)).toContain("ssh-swapped.enc.yaml error other-reader");
    const message = check.report.files[0]!.problems.find((p) => p.code === "other-reader")!.message;
    expect(message).toMatch(/its age header wraps the data key for ssh-ed25519 \(tag [A-Za-z0-9+/]{6}\), not for the ssh-ed25519 key the entry names;/);
  });
});

describe("a PGP entry whose message is encrypted for two keys, or a passphrase too", () => {
  let sb: Sandbox;
  let repo: string;
  let gnupg: GnupgHome;
  const { key1, key2 } = SOPS_TEST_PGP_KEYS;
  beforeAll(() => {
    sb = createSandbox();
    repo = createRepo(sb);
    gnupg = makeGnupgHome();
  });
  afterAll(() => {
    gnupg?.cleanup();
    sb?.cleanup();
  });

  const gpg = (args: readonly string[], input: Buffer | string): Buffer => execFileSync("gpg", ["--batch", "--quiet", ...args], { input, env: { ...gnupg.env } as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "ignore"] });

  /** A file for key1 and key2, then one entry: key1's label over a message whose packets say who else reads it. */
  function folded(name: string, encryptArgs: readonly string[], reshape: (armored: string) => string = (a) => a): void {
    writeFileSync(join(repo, "plain.yaml"), PLAINTEXT);
    const env = { ...sb.keylessEnv, GNUPGHOME: gnupg.home };
    const both = hush(sb, ["encrypt", "--config", "/dev/null", "--pgp", `${key1},${key2}`, "plain.yaml"], { cwd: repo, env });
    expectOk(both);
    const list = /^ {4}pgp:\n((?:(?: {8}.*)?\n)+?)(?=^ {4}\S)/m.exec(both.stdout)![1]!;
    const second = list.split(/(?=^ {8}- )/m).find((b) => b.includes(key2))!;
    const message = /-----BEGIN PGP MESSAGE-----[\s\S]*-----END PGP MESSAGE-----/.exec(second)![0].replace(/^ +/gm, "");
    const dataKey = gpg(["-d"], message);
    const armored = reshape(gpg(["--trust-model", "always", "--no-encrypt-to", "-a", ...encryptArgs], dataKey).toString());
    const entry = `        - created_at: "2026-01-01T00:00:00Z"\n          enc: |\n${armored.trim().split("\n").map((l) => `            ${l}\n`).join("")}          fp: ${key1}\n`;
    writeFileSync(join(repo, name), both.stdout.replace(list, entry));
  }

  it("two public-key session keys: the team opens the file, check names both key IDs", () => {
    folded("two-keys.enc.yaml", ["-e", "-r", key1, "-r", key2]);
    expect(hush(sb, ["decrypt", "two-keys.enc.yaml"], { cwd: repo, env: { ...sb.env, GNUPGHOME: gnupg.home } }).stdout).toBe(PLAINTEXT);
    const check = keylessCheck(sb, repo, ["two-keys.enc.yaml"]);
    expect(check.status).toBe(1);
    const problem = check.report.files[0]!.problems.find((p) => p.code === "other-reader");
    expect(problem?.severity).toBe("error");
    expect(problem?.message).toMatch(/its message is encrypted for 2 keys \(key ID [0-9A-F]{16}, key ID [0-9A-F]{16}\), where SOPS encrypts for the one key the entry names;/);
  });

  // hush does not open such an entry (gpg would ask for the passphrase); without a key, check tells it before anyone tries.
  it("a session key for a passphrase beside the key: check says so", () => {
    folded("passphrase.enc.yaml", ["--pinentry-mode", "loopback", "--passphrase", "shared-word", "-c", "-e", "-r", key1]);
    const problem = keylessCheck(sb, repo, ["passphrase.enc.yaml"]).report.files[0]!.problems.find((p) => p.code === "other-reader");
    expect(problem?.message).toMatch(/its message is encrypted for 1 key \(key ID [0-9A-F]{16}\) and 1 passphrase, where SOPS encrypts for the one key the entry names;/);
  });

  // A marker packet ("PGP", RFC 4880 5.8) is one gpg skips wherever it is: one before the session
  // keys must not hide them, as hush's own decryption reads past it to the key IDs.
  it("a marker packet before the session keys hides neither: the team opens the file, check names both key IDs", () => {
    const withMarker = (armored: string): string => {
      const body = Buffer.concat([Buffer.from([0xca, 3, 0x50, 0x47, 0x50]), execFileSync("gpg", ["--dearmor"], { input: armored })]);
      return `-----BEGIN PGP MESSAGE-----\n\n${body.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END PGP MESSAGE-----\n`;
    };
    folded("marked.enc.yaml", ["-e", "-r", key1, "-r", key2], withMarker);
    expect(hush(sb, ["decrypt", "marked.enc.yaml"], { cwd: repo, env: { ...sb.env, GNUPGHOME: gnupg.home } }).stdout).toBe(PLAINTEXT);
    const check = keylessCheck(sb, repo, ["marked.enc.yaml"]);
    expect(check.status).toBe(1);
    expect(check.report.files[0]!.problems.find((p) => p.code === "other-reader")?.message).toMatch(/its message is encrypted for 2 keys \(key ID [0-9A-F]{16}, key ID [0-9A-F]{16}\), where SOPS encrypts/);
  });

  it("files SOPS wrote for PGP keys pass (its test vectors, one and two keys)", () => {
    for (const name of ["format.enc.yaml", "format.enc.json", "multiple_keys.yaml"]) {
      writeFileSync(join(repo, `sops-${name}`), readFileSync(sopsVector(name)));
      const check = keylessCheck(sb, repo, [`sops-${name}`]);
      expect(check.report.files[0]!.encrypted, name).toBe(true);
      expect(findingCodes(check.report).filter((c) => c.includes("other-reader")), name).toEqual([]);
    }
  });

  it("files hush writes for PGP keys pass", () => {
    writeFileSync(join(repo, "plain.yaml"), PLAINTEXT);
    const honest = hush(sb, ["encrypt", "--config", "/dev/null", "--pgp", `${key1},${key2}`, "plain.yaml"], { cwd: repo, env: { ...sb.keylessEnv, GNUPGHOME: gnupg.home } });
    writeFileSync(join(repo, "honest.enc.yaml"), honest.stdout);
    expect(findingCodes(keylessCheck(sb, repo, ["honest.enc.yaml"]).report).filter((c) => c.includes("other-reader"))).toEqual([]);
  });
});
