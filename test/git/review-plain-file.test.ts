import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createSandbox, git, hush, setUpCoveredRepo, type Sandbox } from "./helpers.ts";

/**
 * A file git hands to hush's diff driver that holds no sops metadata. Anyone can commit one
 * without a key: its text is what the review shows, so it must not be able to pass for the view
 * of an encrypted file (`# hush:` summary lines and `<encrypted:…>` markers typed by hand), nor
 * reach the reviewer's terminal with escape sequences or carriage returns in it.
 */

const NOT_ENCRYPTED = "# hush: WARNING: not encrypted: this file holds no sops metadata; its text follows as stored";

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

describe("a plaintext file at a path hush reviews", () => {
  it("replacing an encrypted file with a copy of its keyless view is a visible change", () => {
    const repo = setUpCoveredRepo(sb, "forged-view");
    // What a reviewer without a key sees of the encrypted file…
    const view = git(sb, repo, ["cat-file", "--textconv", "HEAD:secrets/app.yaml"], { env: sb.keylessEnv }).stdout;
    expect(view).toContain("<encrypted:");
    // …committed on a branch as the file itself: every value now in clear, no metadata.
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    writeFileSync(join(repo, "secrets", "app.yaml"), view);
    commitAll(sb, repo, "same file, promise");

    const diff = git(sb, repo, ["diff", "main", "pr", "--", "secrets/app.yaml"], { env: sb.keylessEnv }).stdout;
    expect(diff).toContain(`\n+${NOT_ENCRYPTED}\n`);
    // The one-process review prints the same.
    const review = hush(sb, ["git", "diff", "main", "pr", "--", "secrets/app.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(review.status, review.stderr).toBe(0);
    expect(review.stdout).toBe(diff);
  });

  it("shows its control characters escaped, under the warning, not raw", () => {
    const repo = setUpCoveredRepo(sb, "plain-escapes");
    writeFileSync(join(repo, "secrets", "notes.yaml"), "url: https://evil.example/?\rurl: https://ok.example/\ntitle: \u001b]52;c;ZXZpbA==\u0007x\u202e\n");
    const r = hush(sb, ["git", "textconv", "secrets/notes.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
    expect(r.stdout.split("\n")).toEqual([
      "# hush: WARNING: the text below holds control or invisible characters, shown escaped (\\xNN, \\uNNNN); programs get the characters themselves",
      NOT_ENCRYPTED,
      "url: https://evil.example/?\\x0durl: https://ok.example/",
      "title: \\x1b]52;c;ZXZpbA==\\x07x\\u202e",
      "",
    ]);
  });

  it("that is not UTF-8 is shown escaped too, under the warning", () => {
    const repo = setUpCoveredRepo(sb, "plain-latin1");
    writeFileSync(join(repo, "secrets", "latin1.yaml"), Buffer.concat([Buffer.from("name: caf"), Buffer.from([0xe9]), Buffer.from("\u001b[2J\n")]));
    const r = hush(sb, ["git", "textconv", "secrets/latin1.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("\u001b");
    expect(r.stdout.split("\n")).toContain(NOT_ENCRYPTED);
    expect(r.stdout.split("\n")).toContain("name: caf\ufffd\\x1b[2J");
  });

  it(".sops.yaml, which a rule for *.yaml routes too, is shown as it is, without the warning", () => {
    const repo = setUpCoveredRepo(sb, "plain-config");
    const config = readFileSync(join(repo, ".sops.yaml"), "utf8");
    const r = hush(sb, ["git", "textconv", ".sops.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(config);
  });

  it("padded past the review limit, still says it is not encrypted", () => {
    const repo = setUpCoveredRepo(sb, "plain-too-large");
    writeFileSync(join(repo, "secrets", "app.yaml"), `password: in-clear\n${"# padding\n".repeat(200)}`);
    const env = { ...sb.keylessEnv, HUSH_TEXTCONV_MAX_BYTES: "1024" };
    const r = hush(sb, ["git", "textconv", "secrets/app.yaml"], { cwd: repo, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("# hush: file too large for the review view");
    expect(r.stdout).toContain("# hush: WARNING: not encrypted: this file holds no encrypted value\n");
    expect(r.stdout).not.toContain("in-clear");
    // The encrypted file it replaced, past the limit too, gets no such line.
    git(sb, repo, ["checkout", "--", "secrets/app.yaml"]);
    const original = hush(sb, ["git", "textconv", "secrets/app.yaml"], { cwd: repo, env: { ...env, HUSH_TEXTCONV_MAX_BYTES: "16" } });
    expect(original.stdout).toContain("# hush: file too large for the review view");
    expect(original.stdout).not.toContain("not encrypted");
  });

  it("an empty file stays empty", () => {
    const repo = setUpCoveredRepo(sb, "plain-empty");
    writeFileSync(join(repo, "secrets", "empty.yaml"), "");
    const r = hush(sb, ["git", "textconv", "secrets/empty.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
  });
});

describe("a hand-typed marker in an encrypted file", () => {
  it("in place of an encrypted value is a visible change in the keyless review", () => {
    const repo = setUpCoveredRepo(sb, "forged-marker");
    const view = git(sb, repo, ["cat-file", "--textconv", "HEAD:secrets/app.yaml"], { env: sb.keylessEnv }).stdout;
    const marker = /^password: (<encrypted:[0-9a-f]{8}>)$/m.exec(view)![1]!;
    // The branch writes the marker itself where the ciphertext was: the value is now that text, in clear.
    git(sb, repo, ["checkout", "-q", "-b", "pr"]);
    const file = join(repo, "secrets", "app.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace(/^password: ENC\[[^\]]*\]$/m, `password: ${marker}`));
    commitAll(sb, repo, "same value");
    expect(git(sb, repo, ["show", "pr:secrets/app.yaml"]).stdout).toContain(`password: ${marker}\n`);

    const diff = git(sb, repo, ["diff", "main", "pr", "--", "secrets/app.yaml"], { env: sb.keylessEnv }).stdout;
    expect(diff).toContain('\n+# hush: WARNING: text in this file looks like a marker of an encrypted value but is not one (line 1): "<encrypted:…>" typed into the file\n');
    const review = hush(sb, ["git", "diff", "main", "pr", "--", "secrets/app.yaml"], { cwd: repo, env: sb.keylessEnv });
    expect(review.stdout).toBe(diff);
  });
});
