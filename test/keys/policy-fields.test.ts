import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsDecrypt } from "@hush/testkit";
import { combineKeys, encValues, hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * A file brought in by a branch that was made under another creation rule: copied from `dev/`,
 * whose rule has `mac_only_encrypted: true` or one key group for alice and bob, to `prod/`,
 * whose rule has neither. It opens (its MAC is its own), names only recipients `.sops.yaml`
 * names, and holds only encrypted values. A key holder's next write then left new values in
 * clear out of the MAC (anyone could change `replicas` unseen), or let bob alone read what the
 * rule says needs alice and bob; `updatekeys` kept the data key bob alone had opened.
 */

describe("fields of a file's metadata that a write is compared with", () => {
  const tmp = makeTempDir("hush-policy-fields-");
  const repo = tmp.path;
  let alice: AgeKey;
  let bob: AgeKey;
  let both: string;

  beforeAll(async () => {
    alice = await makeAgeKey(repo, "alice");
    bob = await makeAgeKey(repo, "bob");
    both = combineKeys(repo, "both", [alice, bob]);
    mkdirSync(join(repo, "dev"));
    mkdirSync(join(repo, "prod"));
    mkdirSync(join(repo, "open"));
    writeFileSync(
      join(repo, ".sops.yaml"),
      "creation_rules:\n" +
        `  - path_regex: ^dev/mac\n    encrypted_regex: ^password$\n    mac_only_encrypted: true\n    age: ${alice.recipient}\n` +
        `  - path_regex: ^dev/\n    age: ${alice.recipient},${bob.recipient}\n` +
        `  - path_regex: ^prod/mac\n    encrypted_regex: ^password$\n    age: ${alice.recipient}\n` +
        `  - path_regex: ^prod/\n    shamir_threshold: 2\n    key_groups:\n      - age: [${alice.recipient}]\n      - age: [${bob.recipient}]\n` +
        // A rule that names no keys: the files' keys come from the command line, as with SOPS.
        "  - path_regex: ^open/\n",
    );
  });
  afterAll(() => tmp.cleanup());

  const as = (keyFile: string, args: readonly string[], input?: string) =>
    hush(args, { cwd: repo, env: { SOPS_AGE_KEY_FILE: keyFile }, ...(input === undefined ? {} : { input }) });

  /** `dev/NAME` encrypted by its rule, then copied to `prod/NAME` as a branch would: prod's text. */
  async function madeInDevCopiedToProd(name: string, plain: string): Promise<string> {
    writeFileSync(join(repo, "dev", name), plain);
    const made = await as(both, ["encrypt", "-i", `dev/${name}`]);
    expect(made.status, made.stderr).toBe(0);
    copyFileSync(join(repo, "dev", name), join(repo, "prod", name));
    return readFileSync(join(repo, "prod", name), "utf8");
  }

  describe("mac_only_encrypted: true that prod's rule does not have", () => {
    const listed =
      "prod/mac.yaml: the file's own mac_only_encrypted: true would leave these values in clear out of its MAC (anyone could change them unseen), where .sops.yaml's rule for this file has the MAC cover them:\n" +
      "    (the file: mac_only_encrypted: true; .sops.yaml: false)\n" +
      '    ["replicas"] (line 2)\n';

    it("set of a value in clear: without an answer nothing is written, the value's path and the next step are shown", async () => {
      const copied = await madeInDevCopiedToProd("mac.yaml", "password: hunter2\n");
      const r = await as(alice.file, ["set", "prod/mac.yaml", '["replicas"]', "3"]);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(listed);
      expect(r.stderr).toContain("re-encrypt it under .sops.yaml's rule (`hush decrypt prod/mac.yaml | hush encrypt --filename-override prod/mac.yaml - > prod/mac.yaml.new`, then move prod/mac.yaml.new over it)");
      expect(readFileSync(join(repo, "prod", "mac.yaml"), "utf8")).toBe(copied);
      // The file's own path's rule has the flag: nothing to ask.
      const dev = await as(alice.file, ["set", "dev/mac.yaml", '["replicas"]', "3"]);
      expect(dev.stderr).toBe("");
      expect(dev.status).toBe(0);
    });

    it("an answer of n writes nothing, --yes writes after the listing; a value the rule encrypts is not asked about", async () => {
      const copied = await madeInDevCopiedToProd("mac.yaml", "password: hunter2\n");
      const no = await as(alice.file, ["set", "prod/mac.yaml", '["replicas"]', "3"], "n\n");
      expect(no.status).toBe(1);
      expect(readFileSync(join(repo, "prod", "mac.yaml"), "utf8")).toBe(copied);
      const secret = await as(alice.file, ["set", "prod/mac.yaml", '["password"]', '"rotated"']);
      expect(secret.stderr).toBe("");
      expect(secret.status).toBe(0);
      const yes = await as(alice.file, ["set", "--yes", "prod/mac.yaml", '["replicas"]', "3"]);
      expect(yes.status).toBe(0);
      expect(yes.stderr).toContain(listed);
      expect(readFileSync(join(repo, "prod", "mac.yaml"), "utf8")).toContain("replicas: 3\n");
    });

    it("the flag is bound to the MAC: added by a branch without the key, hush and real SOPS refuse the file", async () => {
      writeFileSync(join(repo, "prod", "mac-flag.yaml"), "password: hunter2\nreplicas: 3\n");
      expect((await as(alice.file, ["encrypt", "-i", "prod/mac-flag.yaml"])).status).toBe(0);
      const honest = readFileSync(join(repo, "prod", "mac-flag.yaml"), "utf8");
      const flagged = honest.replace(/^ {4}version:/m, "    mac_only_encrypted: true\n    version:");
      expect(flagged).not.toBe(honest);
      writeFileSync(join(repo, "prod", "mac-flag.yaml"), flagged);
      const hushSays = await as(alice.file, ["decrypt", "prod/mac-flag.yaml"]);
      expect(hushSays.status).toBe(51);
      expect(hushSays.stdout).toBe("");
      const sops = await sopsDecrypt({ text: flagged, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } });
      expect(sops.ok).toBe(false);
      if (!sops.ok) expect(sops.error).toMatch(/^Failed to verify data integrity/);
      // The file as written opens for both.
      expect((await sopsDecrypt({ text: honest, format: "yaml", env: { SOPS_AGE_KEY_FILE: alice.file } })).ok).toBe(true);
    });

    it("encrypt --reuse asks too", async () => {
      const copied = await madeInDevCopiedToProd("mac.yaml", "password: hunter2\n");
      writeFileSync(join(repo, "next.yaml"), "password: hunter2\nreplicas: 3\n");
      const r = await as(alice.file, ["encrypt", "--reuse", "prod/mac.yaml", "next.yaml"]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(listed);
      expect(readFileSync(join(repo, "prod", "mac.yaml"), "utf8")).toBe(copied);
    });
  });

  describe("key groups that let alice or bob alone open what prod's rule gives to alice and bob together", () => {
    const alone = (): string => `age ${alice.recipient} opens it alone (the file: 1 of its 1 key group; .sops.yaml: 2 of its 2)`;

    it("set and rotate ask, naming who opens it and both counts; nothing is written without an answer", async () => {
      const copied = await madeInDevCopiedToProd("app.yaml", "password: hunter2\n");
      const set = await as(alice.file, ["set", "prod/app.yaml", '["api_key"]', '"s3cret-4711"']);
      expect(set.status, set.stderr).toBe(1);
      expect(set.stderr).toContain(
        "prod/app.yaml: what you write would be readable by fewer recipients together than .sops.yaml's key groups and shamir_threshold ask for this file:\n" +
          `    ${alone()}\n`,
      );
      expect(set.stderr).toContain("`hush updatekeys prod/app.yaml`");
      expect(set.stderr).not.toContain("s3cret-4711");
      const rotate = await as(alice.file, ["rotate", "-i", "prod/app.yaml"]);
      expect(rotate.status, rotate.stderr).toBe(1);
      expect(rotate.stderr).toContain(`prod/app.yaml: the new data key would open for fewer recipients together than .sops.yaml's key groups and shamir_threshold ask for this file:\n    ${alone()}\n`);
      expect(readFileSync(join(repo, "prod", "app.yaml"), "utf8")).toBe(copied);
    });

    it("rotate of a file that also names a recipient prod's rule does not asks one question listing both findings, answered once", async () => {
      const carol = await makeAgeKey(repo, "carol");
      writeFileSync(join(repo, "three.yml"), "password: hunter2\n");
      const made = await as(both, ["encrypt", "--config", "/dev/null", "--age", `${alice.recipient},${bob.recipient},${carol.recipient}`, "--input-type", "yaml", "three.yml"]);
      expect(made.status, made.stderr).toBe(0);
      const file = join(repo, "prod", "three.yaml");
      writeFileSync(file, made.stdout);
      const questions = (stderr: string): number => stderr.split("Is this okay? (y/n):").length - 1;
      const refused = await as(alice.file, ["rotate", "-i", "prod/three.yaml"], "n\n");
      expect(refused.status, refused.stderr).toBe(1);
      expect(questions(refused.stderr)).toBe(1);
      expect(refused.stderr).toContain(`prod/three.yaml: the new data key would also go to recipients that .sops.yaml does not name for this file:\n    group 0: age ${carol.recipient}\n`);
      expect(refused.stderr).toContain("prod/three.yaml: the new data key would open for fewer recipients together than .sops.yaml's key groups and shamir_threshold ask for this file:\n");
      expect(readFileSync(file, "utf8")).toBe(made.stdout);
      const agreed = await as(alice.file, ["rotate", "-i", "prod/three.yaml"], "y\n");
      expect(agreed.status, agreed.stderr).toBe(0);
      expect(questions(agreed.stderr)).toBe(1);
      expect(readFileSync(file, "utf8")).not.toBe(made.stdout);
    });

    it("edit asks before the editor opens; without an answer the editor never runs and the file stays", async () => {
      const copied = await madeInDevCopiedToProd("app.yaml", "password: hunter2\n");
      const editor = join(repo, "editor.sh");
      const ran = join(repo, "editor-ran");
      writeFileSync(editor, `#!/bin/sh\ntouch '${ran}'\nprintf 'password: hunter2\\napi_key: s3cret-4711\\n' > "$1"\n`, { mode: 0o755 });
      const r = await hush(["edit", "prod/app.yaml"], { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file, EDITOR: editor } });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toContain(`    ${alone()}\n`);
      expect(existsSync(ran)).toBe(false);
      expect(readFileSync(join(repo, "prod", "app.yaml"), "utf8")).toBe(copied);
    });

    it("updatekeys gives the file a new data key (bob alone opened the old one); set then asks nothing and bob alone opens nothing", async () => {
      const copied = await madeInDevCopiedToProd("app.yaml", "password: hunter2\n");
      const r = await as(alice.file, ["updatekeys", "-y", "prod/app.yaml"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("new data key: fewer recipients together opened the old one than the new key groups ask, and may hold it, so every value is re-encrypted");
      const updated = readFileSync(join(repo, "prod", "app.yaml"), "utf8");
      expect(encValues(updated)[0]).not.toBe(encValues(copied)[0]);
      expect(updated).toContain("    shamir_threshold: 2\n");
      const set = await as(both, ["set", "prod/app.yaml", '["api_key"]', '"s3cret-4711"']);
      expect(set.stderr).toBe("");
      expect(set.status).toBe(0);
      expect((await as(bob.file, ["decrypt", "prod/app.yaml"])).status).not.toBe(0);
      expect((await as(both, ["decrypt", "prod/app.yaml"])).stdout).toBe("password: hunter2\napi_key: s3cret-4711\n");
    });
  });

  describe("a rule that names no keys", () => {
    it("vouches for no reader, so a file's own recipients are not asked about; its encryption rule still is", async () => {
      const stranger = await makeAgeKey(repo, "stranger");
      writeFileSync(join(repo, "open", "s.yaml"), "password: hunter2\n");
      const made = await as(alice.file, ["encrypt", "-i", "--age", `${alice.recipient},${stranger.recipient}`, "open/s.yaml"]);
      expect(made.status, made.stderr).toBe(0);
      const readers = await as(alice.file, ["set", "open/s.yaml", '["password"]', '"rotated"']);
      expect(readers.stderr).toBe("");
      expect(readers.status).toBe(0);
      // The file's rule narrowed (a branch's change): what the rule encrypts is still compared.
      const text = readFileSync(join(repo, "open", "s.yaml"), "utf8");
      writeFileSync(join(repo, "open", "s.yaml"), text.replace("    unencrypted_suffix: _unencrypted\n", "    encrypted_regex: ^password$\n"));
      const clear = await as(alice.file, ["set", "open/s.yaml", '["api_key"]', '"s3cret-4711"']);
      expect(clear.status).toBe(1);
      expect(clear.stderr).toContain('    (the file: encrypted_regex: ^password$; .sops.yaml: unencrypted_suffix: _unencrypted)\n    ["api_key"] (line 2)\n');
    });
  });
});
