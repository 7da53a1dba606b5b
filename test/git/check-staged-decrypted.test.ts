import { rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createSandbox, expectOk, findingCodes, git, hush, keylessCheck, type Sandbox } from "./helpers.ts";

/**
 * `hush check --staged` (the pre-commit hook) against HEAD: a file HEAD has encrypted, staged in
 * clear, fails the commit even when no creation rule and no committed `.gitattributes` line
 * covers it (encrypted with key flags). `hush decrypt -i` then `git commit -a` stored the secret
 * in clear before, and only a later `hush check --base` in CI said so, after the push.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** A repository with `app.yaml` (`plaintext`) encrypted with key flags (no .sops.yaml), committed. */
function repoWithFlagEncryptedFile(name: string, plaintext = "token: staged-secret-1\n"): string {
  const repo = join(sb.dir, name);
  git(sb, sb.dir, ["init", "-q", "-b", "main", name]);
  git(sb, repo, ["config", "user.name", "Test User"]);
  git(sb, repo, ["config", "user.email", "test@example.com"]);
  writeFileSync(join(repo, "app.yaml"), plaintext);
  writeFileSync(join(repo, "notes.txt"), "plain\n");
  expectOk(hush(sb, ["encrypt", "-i", "--age", sb.recipient, "app.yaml"], { cwd: repo }));
  commitAll(sb, repo, "encrypted with key flags");
  return repo;
}

describe("hush check --staged: a file HEAD has encrypted", () => {
  it("fails when it is staged in clear, naming the file and never the value", () => {
    const repo = repoWithFlagEncryptedFile("decrypted");
    expectOk(hush(sb, ["decrypt", "-i", "app.yaml"], { cwd: repo }));
    writeFileSync(join(repo, "notes.txt"), "plain, changed\n");
    git(sb, repo, ["add", "-A"]);
    const { status, report, stdout } = keylessCheck(sb, repo, ["--staged"]);
    expect(status).toBe(1);
    expect(findingCodes(report)).toEqual(["app.yaml error not-encrypted"]);
    expect(stdout).toContain("app.yaml: error: staged in clear, but HEAD has app.yaml encrypted; next: encrypt it again with `hush encrypt -i`");
    expect(stdout).not.toContain("staged-secret-1");
    // The work tree's version does not count: only what would be committed.
    expectOk(hush(sb, ["encrypt", "-i", "--age", sb.recipient, "app.yaml"], { cwd: repo }));
    expect(keylessCheck(sb, repo, ["--staged"]).status).toBe(1);
    git(sb, repo, ["add", "app.yaml"]);
    expect(keylessCheck(sb, repo, ["--staged"]).status).toBe(0);
  });

  it("the pre-commit hook stops `git commit -a` of the decrypted file", () => {
    const repo = repoWithFlagEncryptedFile("hook");
    expectOk(hush(sb, ["git", "setup", "--hook"], { cwd: repo }));
    expectOk(hush(sb, ["decrypt", "-i", "app.yaml"], { cwd: repo }));
    const commit = git(sb, repo, ["commit", "-qam", "in clear"], { allowFail: true });
    expect(commit.status).toBe(1);
    expect(commit.stderr + commit.stdout).toContain("app.yaml: error: staged in clear, but HEAD has app.yaml encrypted");
    expect(git(sb, repo, ["log", "--format=%s"]).stdout).toBe("encrypted with key flags\n");
  });

  it("passes a file stored in clear on purpose: deleted in one commit, added back in another", () => {
    const repo = repoWithFlagEncryptedFile("on-purpose");
    git(sb, repo, ["rm", "-q", "app.yaml"]);
    git(sb, repo, ["commit", "-qm", "drop the encrypted file"]);
    writeFileSync(join(repo, "app.yaml"), "token: not-a-secret-any-more\n");
    git(sb, repo, ["add", "app.yaml"]);
    expect(keylessCheck(sb, repo, ["--staged"]).status).toBe(0);
  });

  it("fails when the commit moves it as it decrypts it, and passes an example file with stand-in values", () => {
    const repo = repoWithFlagEncryptedFile("moved");
    git(sb, repo, ["mv", "app.yaml", "settings.yaml"]);
    expectOk(hush(sb, ["decrypt", "-i", "settings.yaml"], { cwd: repo }));
    git(sb, repo, ["add", "-A"]);
    // Decrypted, the file is too unlike the encrypted one for git to see a rename.
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("D\tapp.yaml\nA\tsettings.yaml\n");
    const { status, report, stdout } = keylessCheck(sb, repo, ["--staged"]);
    expect(status).toBe(1);
    expect(findingCodes(report)).toEqual(["settings.yaml error not-encrypted"]);
    expect(stdout).toContain("settings.yaml: error: staged in clear, and it holds the key of every encrypted value of app.yaml, which HEAD has encrypted and this commit deletes");
    expect(stdout).not.toContain("staged-secret-1");
    writeFileSync(join(repo, "settings.yaml"), "token: ${TOKEN}\n");
    git(sb, repo, ["add", "settings.yaml"]);
    expect(keylessCheck(sb, repo, ["--staged"]).status).toBe(0);
  });

  it("a file with some secrets written as references fails while a value whose key names a secret is still in clear; host and port beside references pass", () => {
    const plaintext = "db:\n  host: db.internal\n  port: 5432\n  password: staged-secret-2\napi_key: staged-secret-3\n";
    for (const [name, settings, status] of [
      ["one-moved-one-pasted", "db:\n  host: db.internal\n  port: 5432\n  password: ${DB_PASSWORD}\napi_key: staged-secret-3\n", 1],
      ["all-referenced", "db:\n  host: db.internal\n  port: 5432\n  password: ${DB_PASSWORD}\napi_key: ${API_KEY}\n", 0],
      ["empty-beside-a-reference", "db:\n  host: db.internal\n  port: 5432\n  password: ${DB_PASSWORD}\napi_key: \"\"\n", 0],
    ] as const) {
      const repo = repoWithFlagEncryptedFile(name, plaintext);
      git(sb, repo, ["rm", "-q", "app.yaml"]);
      writeFileSync(join(repo, "settings.yaml"), settings);
      git(sb, repo, ["add", "settings.yaml"]);
      const check = keylessCheck(sb, repo, ["--staged"]);
      expect(check.status, `${name}: ${check.stdout}`).toBe(status);
      if (status === 1) expect(findingCodes(check.report)).toEqual(["settings.yaml error not-encrypted"]);
      expect(check.stdout).not.toContain("staged-secret-3");
    }
  });

  it("fails when the commit deletes it and pastes its values into a plain file HEAD has, renamed or not, or into an example file's placeholders; passes an example file whose values there stay", () => {
    const repo = repoWithFlagEncryptedFile("pasted");
    const settings = Array.from({ length: 12 }, (_, i) => `setting${i}: ${i}\n`).join("");
    writeFileSync(join(repo, "settings.yaml"), settings);
    writeFileSync(join(repo, "app.example.yaml"), "token: ${TOKEN}\n");
    writeFileSync(join(repo, "other.example.yaml"), "token: sample-token\n");
    commitAll(sb, repo, "settings and examples");
    git(sb, repo, ["rm", "-q", "app.yaml"]);
    writeFileSync(join(repo, "settings.yaml"), `${settings}token: staged-secret-1\n`);
    writeFileSync(join(repo, "app.example.yaml"), "token: staged-secret-1\n");
    // Changed elsewhere, its value at the deleted file's key as it was: not moved there.
    writeFileSync(join(repo, "other.example.yaml"), "token: sample-token\nport: 1\n");
    git(sb, repo, ["add", "-A"]);
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("M\tapp.example.yaml\nD\tapp.yaml\nM\tother.example.yaml\nM\tsettings.yaml\n");
    const { status, report, stdout } = keylessCheck(sb, repo, ["--staged"]);
    expect(status).toBe(1);
    expect(findingCodes(report)).toEqual(["app.example.yaml error not-encrypted", "settings.yaml error not-encrypted"]);
    git(sb, repo, ["reset", "-q", "app.example.yaml"]);
    expect(stdout).toContain("settings.yaml: error: staged in clear, and it holds the key of every encrypted value of app.yaml, which HEAD has encrypted and this commit deletes");
    expect(stdout).not.toContain("staged-secret-1");
    // A rename git sees (the file is alike enough) is judged against its old version.
    git(sb, repo, ["mv", "settings.yaml", "service.yaml"]);
    expect(git(sb, repo, ["diff", "--cached", "--name-status", "-M"]).stdout).toContain("R");
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual(["service.yaml error not-encrypted"]);
  });

  it("passes settings that take over every key of a deleted file with its secrets as references, here and against a base; stops real values", () => {
    // SOPS encrypts every value by default: the host and port with the password.
    const repo = repoWithFlagEncryptedFile("refactor", "db:\n  host: db.internal\n  port: 5432\n  password: staged-secret-1\n");
    git(sb, repo, ["checkout", "-q", "-b", "secrets-to-env"]);
    git(sb, repo, ["rm", "-q", "app.yaml"]);
    const settings = (password: string): string => `log: info\ndb:\n  host: db.internal\n  port: 5432\n  password: ${password}\n`;
    for (const reference of ["${DB_PASSWORD}", "$DB_PASSWORD", "{{ .Values.db.password }}", "changeme"]) {
      writeFileSync(join(repo, "settings.yaml"), settings(reference));
      git(sb, repo, ["add", "-A"]);
      expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report), reference).toEqual([]);
    }
    // Decrypted, a password is a value, one starting with $ too; an empty one is no reference.
    for (const password of ["staged-secret-1", "$ecret1", '""']) {
      writeFileSync(join(repo, "settings.yaml"), settings(password));
      git(sb, repo, ["add", "-A"]);
      expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report), password).toEqual(["settings.yaml error not-encrypted"]);
    }
    writeFileSync(join(repo, "settings.yaml"), settings("${DB_PASSWORD}"));
    git(sb, repo, ["add", "-A"]);
    git(sb, repo, ["commit", "-q", "--no-verify", "-m", "secrets to the environment"]);
    const base = keylessCheck(sb, repo, ["--base", "main"]);
    expect(findingCodes(base.report)).toEqual([]);
    expect(base.status).toBe(0);
  });

  it("passes a commit that deletes an encrypted whole file beside plain files with a data key, here and against a base", () => {
    // A whole file's one encrypted value is SOPS's envelope key `data`: no key of the file itself.
    const repo = repoWithFlagEncryptedFile("whole-file");
    writeFileSync(join(repo, "old-cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    expectOk(hush(sb, ["encrypt", "-i", "--input-type", "binary", "--age", sb.recipient, "old-cert.pem"], { cwd: repo }));
    commitAll(sb, repo, "a certificate");
    git(sb, repo, ["checkout", "-q", "-b", "retire"]);
    git(sb, repo, ["rm", "-q", "old-cert.pem"]);
    writeFileSync(join(repo, "configmap.yaml"), "kind: ConfigMap\ndata: plain-setting\n");
    writeFileSync(join(repo, "app.env"), "data=1\n");
    git(sb, repo, ["add", "-A"]);
    const staged = keylessCheck(sb, repo, ["--staged"]);
    expect(findingCodes(staged.report)).toEqual([]);
    expect(staged.status).toBe(0);
    git(sb, repo, ["commit", "-q", "--no-verify", "-m", "retire the certificate"]);
    const base = keylessCheck(sb, repo, ["--base", "main"]);
    expect(findingCodes(base.report)).toEqual([]);
    expect(base.status).toBe(0);
  });

  /** `repo` on main, merging (not yet committed) a branch that deleted app.yaml in one commit and then added `added` in clear in another. */
  function mergingBranchThatAddsInClear(repo: string, added: Record<string, string>): void {
    git(sb, repo, ["checkout", "-q", "-b", "feature"]);
    git(sb, repo, ["rm", "-q", "app.yaml"]);
    git(sb, repo, ["commit", "-qm", "drop the encrypted file"]);
    for (const [path, text] of Object.entries(added)) writeFileSync(join(repo, path), text);
    git(sb, repo, ["add", ...Object.keys(added)]);
    git(sb, repo, ["commit", "-qm", "add it back in clear"]);
    git(sb, repo, ["checkout", "-q", "main"]);
    writeFileSync(join(repo, "notes.txt"), "plain, changed on main\n");
    commitAll(sb, repo, "main moves on");
    git(sb, repo, ["merge", "-q", "--no-commit", "--no-ff", "feature"]);
  }

  it("passes a merge that brings in a file its branch stored in clear on purpose, and stops one decrypted during the merge", () => {
    const repo = repoWithFlagEncryptedFile("merge");
    mergingBranchThatAddsInClear(repo, { "app.yaml": "token: not-a-secret-any-more\n" });
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("M\tapp.yaml\n");
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual([]);
    // Staged otherwise than the merged branch has it: the finding stands.
    writeFileSync(join(repo, "app.yaml"), "token: changed-during-the-merge\n");
    git(sb, repo, ["add", "app.yaml"]);
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual(["app.yaml error not-encrypted"]);
  });

  it("passes a merge that brings in a file holding the keys of one its branch deleted in an earlier commit", () => {
    const repo = repoWithFlagEncryptedFile("merge-moved");
    mergingBranchThatAddsInClear(repo, { "settings.yaml": "token: staged-secret-1\n" });
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("D\tapp.yaml\nA\tsettings.yaml\n");
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual([]);
    writeFileSync(join(repo, "settings.yaml"), "token: staged-secret-1\nmore: 1\n");
    git(sb, repo, ["add", "settings.yaml"]);
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual(["settings.yaml error not-encrypted"]);
  });

  it("passes a link that replaces the encrypted file: it holds a name, not the values", () => {
    const repo = repoWithFlagEncryptedFile("link");
    rmSync(join(repo, "app.yaml"));
    symlinkSync("notes.txt", join(repo, "app.yaml"));
    git(sb, repo, ["add", "app.yaml"]);
    expect(git(sb, repo, ["diff", "--cached", "--name-status"]).stdout).toBe("T\tapp.yaml\n");
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual([]);
  });

  it("passes a plain file whose version in HEAD only had a top-level sops key, no encrypted value", () => {
    const repo = repoWithFlagEncryptedFile("sops-key");
    writeFileSync(join(repo, "versions.yaml"), "tools: [age]\nsops:\n  version: 3.9.2\n");
    commitAll(sb, repo, "tool versions");
    writeFileSync(join(repo, "versions.yaml"), "tools: [age]\n");
    git(sb, repo, ["add", "versions.yaml"]);
    expect(findingCodes(keylessCheck(sb, repo, ["--staged"]).report)).toEqual([]);
  });

  it("says nothing on a repository's first commit", () => {
    const repo = join(sb.dir, "first");
    git(sb, sb.dir, ["init", "-q", "-b", "main", "first"]);
    writeFileSync(join(repo, "app.yaml"), "name: x\n");
    git(sb, repo, ["add", "app.yaml"]);
    const { status, report } = keylessCheck(sb, repo, ["--staged"]);
    expect([status, findingCodes(report)]).toEqual([0, []]);
  });
});
