import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { decryptFile, encryptText, HushError, isHushError, openFile, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";
import { requireTool } from "../../packages/key-source-age/test/tools.ts";
import { keyedDir } from "../workflows/helpers.ts";

/**
 * The Node API against a file a branch made: its `sops` metadata (recipients, which values it
 * encrypts) is covered by no MAC, so a program's `openFile` → `set` → `toText` must not write a
 * new secret to a stranger's key or into clear where `.sops.yaml` says otherwise.
 */

const k = keyedDir();
afterAll(() => k.cleanup());
const age = new AgeKeySource({ identities: parseAgeIdentities(k.keyText) });
const keySources: KeySourceResolver = async (kind) => (kind === "age" ? age : undefined);
const strangerRecipient = (await generateAgeKeyPair()).recipient;
const secret = { kind: "scalar", value: { type: "str", text: "s3cret-api-key" } } as const;

/** A directory with a `.sops.yaml` naming only the user's key (and `extra` lines of rule). */
function repo(name: string, extra = ""): string {
  const dir = k.path(name);
  mkdirSync(dir);
  writeFileSync(`${dir}/.sops.yaml`, `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${k.recipient}\n${extra}`);
  return dir;
}

async function refusal(work: Promise<unknown>): Promise<HushError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isHushError(err, "UNVOUCHED_WRITE")) throw new Error(`expected UNVOUCHED_WRITE, got ${String(err)}`);
  return err;
}

describe("Node API: a write the file's own metadata steers", () => {
  it("a file made for the user and a stranger: set then toText refuses, naming the stranger's key, and never the value", async () => {
    const dir = repo("readers");
    const file = `${dir}/app.yaml`;
    writeFileSync(file, await encryptText("host: db\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }, { kind: "age", recipient: strangerRecipient }]] }));
    const doc = await openFile(file, { keySources });
    await doc.set(["api_key"], secret);
    const err = await refusal(doc.toText());
    const shown = [err.message, err.hint, ...(err.details ?? [])].join("\n");
    expect(err.details).toContain(`  group 0: age ${strangerRecipient}`);
    // A program writing many files learns which one it was.
    expect(err.location?.file).toBe(file);
    expect(shown).not.toContain(k.recipient);
    expect(shown).not.toContain("s3cret");
    expect(err.hint).toContain("trustFileMetadata");

    // The caller who checked the metadata says so; the write then goes as the file says.
    const trusted = await openFile(file, { keySources, trustFileMetadata: true });
    await trusted.set(["api_key"], secret);
    writeFileSync(file, await trusted.toText());
    expect(await decryptFile(file, { keySources })).toBe("host: db\napi_key: s3cret-api-key\n");
  });

  it("a rule narrowed in the file's metadata: a new secret that would stay in clear is refused, naming its key path and both rules", async () => {
    const dir = repo("narrowed");
    const file = `${dir}/app.yaml`;
    // What a branch makes of a file that held only a password: its MAC still holds.
    writeFileSync(file, await encryptText("password: hunter2\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }]], rule: { kind: "encrypted_regex", value: "^password$" } }));
    const doc = await openFile(file, { keySources });
    await doc.set(["api_key"], secret);
    const err = await refusal(doc.toText());
    expect(err.details).toEqual(["left in clear (the file: encrypted_regex: ^password$; .sops.yaml: unencrypted_suffix: _unencrypted):", "  [\"api_key\"] (line 2)"]);
    expect([err.message, ...(err.details ?? [])].join("\n")).not.toContain("s3cret");

    // A value the rule encrypts anyway is written as before.
    const ok = await openFile(file, { keySources });
    await ok.set(["password"], secret);
    const text = await ok.toText();
    expect(text).not.toContain("s3cret");
  });

  it("a file whose entry for the user also wraps the data key for a stranger's key: toText refuses, naming the entry", async () => {
    const dir = repo("folded");
    const file = `${dir}/app.yaml`;
    const stranger = await generateAgeKeyPair();
    const made = await encryptText("host: db\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }, { kind: "age", recipient: stranger.recipient }]] });
    // The stranger, holding the data key, folds a wrapping for their own key into the user's entry.
    const ageCli = requireTool("age", "age");
    const strangerKey = k.path("stranger-key.txt");
    writeFileSync(strangerKey, `${stranger.identity}\n`);
    // Each entry as SOPS writes it: `- enc: |`, the armored lines, then `recipient:`.
    const entries = [...made.matchAll(/ {8}- enc: \|\n((?: {12}.*\n)+) {10}recipient: (\S+)\n/g)].map((m) => [m[0], m[2], m[1]] as const);
    const strangers = entries.find((m) => m[1] === stranger.recipient)!;
    const dataKey = execFileSync(ageCli, ["-d", "-i", strangerKey], { input: strangers[2]!.replace(/^ +/gm, "") });
    const armored = execFileSync(ageCli, ["-a", "-r", k.recipient, "-r", stranger.recipient], { input: dataKey }).toString();
    const folded = armored.trim().split("\n").map((l) => `            ${l}\n`).join("");
    const users = entries.find((m) => m[1] === k.recipient)!;
    writeFileSync(file, made.replace(strangers[0], "").replace(users[2]!, folded));
    const doc = await openFile(file, { keySources });
    await doc.set(["api_key"], secret);
    const err = await refusal(doc.toText());
    const named = [
      "wrapped keys that also open for a key no entry names:",
      `  group 0: age ${k.recipient}: its age header wraps the data key 2 times (X25519, X25519), where SOPS wraps it once, for the age key the entry names`,
    ];
    expect(err.details).toEqual(named);
    expect(err.message).toBe("the change would also be readable by a key no entry of the file names: an entry's wrapped data key opens for it too");

    // With no .sops.yaml rule for the file there is nothing to compare with, but the entry itself still says so.
    const elsewhere = k.path("folded-no-rule");
    mkdirSync(elsewhere);
    writeFileSync(`${elsewhere}/app.yaml`, readFileSync(file));
    const unruled = await openFile(`${elsewhere}/app.yaml`, { keySources, config: "/dev/null" });
    await unruled.set(["api_key"], secret);
    expect((await refusal(unruled.toText())).details).toEqual(named);
    const trusted = await openFile(`${elsewhere}/app.yaml`, { keySources, config: "/dev/null", trustFileMetadata: true });
    await trusted.set(["api_key"], secret);
    expect(await trusted.toText()).toContain("api_key: ENC[");
  });

  it("refuses nothing where nothing is given away: an unchanged document, a file .sops.yaml vouches for, no .sops.yaml, no rule for the file", async () => {
    const dir = repo("vouched", "    encrypted_regex: ^password$\n");
    const strangers = { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }, { kind: "age", recipient: strangerRecipient }]] } as const;
    // Unchanged: the same values under the same data key give nothing new to anyone.
    const unchanged = `${dir}/unchanged.yaml`;
    writeFileSync(unchanged, await encryptText("password: x\n", strangers));
    await expect((await openFile(unchanged, { keySources })).toText()).resolves.toContain("ENC[");
    // The file's rule is .sops.yaml's: api_key stays in clear as the owner chose.
    const vouched = `${dir}/vouched.yaml`;
    writeFileSync(vouched, await encryptText("password: x\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }]], rule: { kind: "encrypted_regex", value: "^password$" } }));
    const doc = await openFile(vouched, { keySources });
    await doc.set(["api_key"], secret);
    expect(await doc.toText()).toContain("api_key: s3cret-api-key");
    // No rule covers a .json file here, and a directory without .sops.yaml has nothing to compare with.
    const json = `${dir}/other.json`;
    writeFileSync(json, await encryptText("{}", { ...strangers, format: "json" }));
    const jsonDoc = await openFile(json, { keySources });
    await jsonDoc.set(["api_key"], secret);
    await expect(jsonDoc.toText()).resolves.toContain("ENC[");
    const bare = k.path("no-config");
    mkdirSync(bare);
    writeFileSync(`${bare}/app.yaml`, readFileSync(unchanged, "utf8"));
    const bareDoc = await openFile(`${bare}/app.yaml`, { keySources });
    await bareDoc.set(["api_key"], secret);
    await expect(bareDoc.toText()).resolves.toContain("api_key: ENC[");
  });

  it("a file made with mac_only_encrypted where .sops.yaml's rule has none: a value set in clear is refused, naming its key path", async () => {
    const dir = repo("mac-only", "    encrypted_regex: ^password$\n");
    const file = `${dir}/app.yaml`;
    // Made under another rule (a dev path's, say) and copied here: it opens, its MAC its own.
    writeFileSync(file, await encryptText("password: hunter2\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }]], rule: { kind: "encrypted_regex", value: "^password$" }, macOnlyEncrypted: true }));
    const doc = await openFile(file, { keySources });
    await doc.set(["replicas"], { kind: "scalar", value: { type: "int", text: "3" } });
    expect((await refusal(doc.toText())).details).toEqual(["left out of the MAC (the file: mac_only_encrypted: true; .sops.yaml: false):", '  ["replicas"] (line 2)']);
    // A secret the rule encrypts is covered by the MAC either way.
    const ok = await openFile(file, { keySources });
    await ok.set(["password"], secret);
    expect(await ok.toText()).toContain("mac_only_encrypted: true");
  });

  it("a file whose one key group lets either recipient open what .sops.yaml's groups give to both together: refused, naming who", async () => {
    const dir = k.path("quorum");
    mkdirSync(dir);
    writeFileSync(`${dir}/.sops.yaml`, `creation_rules:\n  - path_regex: \\.yaml$\n    shamir_threshold: 2\n    key_groups:\n      - age: [${k.recipient}]\n      - age: [${strangerRecipient}]\n`);
    const file = `${dir}/app.yaml`;
    writeFileSync(file, await encryptText("host: db\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }, { kind: "age", recipient: strangerRecipient }]] }));
    const doc = await openFile(file, { keySources });
    await doc.set(["api_key"], secret);
    expect((await refusal(doc.toText())).details).toEqual([
      "fewer recipients together open it than .sops.yaml's key groups ask:",
      `  age ${k.recipient} opens it alone (the file: 1 of its 1 key group; .sops.yaml: 2 of its 2)`,
    ]);
  });

  it("with cwd, the file read is the one under cwd, whose .sops.yaml rule is the one checked", async () => {
    const dir = repo("relative");
    writeFileSync(`${dir}/app.yaml`, await encryptText("host: db\n", { format: "yaml", keySources, keyGroups: [[{ kind: "age", recipient: k.recipient }, { kind: "age", recipient: strangerRecipient }]] }));
    // The test runs elsewhere: a relative path read from the process's directory found no file,
    // or another file than the one whose rule was looked up.
    const doc = await openFile("app.yaml", { keySources, cwd: dir });
    await doc.set(["api_key"], secret);
    expect((await refusal(doc.toText())).details).toContain(`  group 0: age ${strangerRecipient}`);
  });
});
