import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mergeDriverCommand, textconvCommand } from "@hush/git";
import { HUSH_SCRIPT } from "@hush/testkit";
import { commitAll, createRepo, createSandbox, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/** `hush git setup` / `uninstall`: what they write, idempotence, dry runs. */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** What setup writes to run hush: node and the CLI script by absolute path (no PATH needed). */
const HUSH = `${process.execPath} ${realpathSync(HUSH_SCRIPT)}`;

const config = (repo: string): string =>
  git(sb, repo, ["config", "--local", "--get-regexp", "^(diff|merge)\\.hush\\."], { allowFail: true }).stdout;

describe("hush git setup", () => {
  it("derives patterns from the creation rules, sets the drivers, and is idempotent", () => {
    const repo = createRepo(sb, "basic");
    writeFileSync(join(repo, ".gitattributes"), "*.png binary\n");
    const dry = hush(sb, ["git", "setup", "--dry-run"], { cwd: repo });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("would update .gitattributes");
    expect(dry.stdout).toContain(`would set git config diff.hush.textconv = ${textconvCommand(HUSH)}\n`);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toBe("*.png binary\n");
    expect(config(repo)).toBe("");

    const r = hush(sb, ["git", "setup"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toBe(
      [
        "*.png binary",
        "",
        "# >>> hush (managed by `hush git setup`; `hush git uninstall` removes this block)",
        "*.enc.yaml diff=hush merge=hush",
        "*.enc.json diff=hush merge=hush",
        "*.enc.env diff=hush merge=hush",
        "*.enc.ini diff=hush merge=hush",
        "*.enc.toml diff=hush merge=hush",
        "# <<< hush",
        "",
      ].join("\n"),
    );
    expect(config(repo)).toBe(
      `diff.hush.textconv ${textconvCommand(HUSH)}\nmerge.hush.name hush: merge encrypted files by key path\nmerge.hush.recursive binary\nmerge.hush.driver ${mergeDriverCommand(HUSH)}\n`,
    );
    // The textconv cache stays off: it would store decrypted text in the repository.
    expect(git(sb, repo, ["config", "--get", "diff.hush.cachetextconv"], { allowFail: true }).stdout).toBe("");
    expect(git(sb, repo, ["check-attr", "diff", "merge", "--", "a/b/x.enc.yaml"]).stdout).toBe("a/b/x.enc.yaml: diff: hush\na/b/x.enc.yaml: merge: hush\n");

    const again = hush(sb, ["git", "setup"], { cwd: repo });
    expect(again.stdout).toContain("already set up; nothing to change");

    const un = hush(sb, ["git", "uninstall"], { cwd: repo });
    expect(un.status, un.stderr).toBe(0);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toBe("*.png binary\n");
    expect(config(repo)).toBe("");
    expect(hush(sb, ["git", "uninstall"], { cwd: repo }).stdout).toContain("nothing to remove");
  });

  it("run again, leaves .gitattributes as it is: a file with no final line break, and a user's override below the block that git lets win", () => {
    const repo = createRepo(sb, "attributes-again");
    writeFileSync(join(repo, ".gitattributes"), "*.png binary");
    expect(hush(sb, ["git", "setup", "*.enc.yaml"], { cwd: repo }).status).toBe(0);
    const written = readFileSync(join(repo, ".gitattributes"), "utf8");
    const again = hush(sb, ["git", "setup", "*.enc.yaml"], { cwd: repo });
    expect(again.stdout).toContain("already set up; nothing to change");
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toBe(written);
    // A line below the block, for a file the user keeps out of the review view.
    const overridden = `${written}legacy.enc.yaml -diff\n`;
    writeFileSync(join(repo, ".gitattributes"), overridden);
    const third = hush(sb, ["git", "setup", "*.enc.yaml"], { cwd: repo });
    expect(third.stdout).toContain("already set up; nothing to change");
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toBe(overridden);
    expect(git(sb, repo, ["check-attr", "diff", "--", "legacy.enc.yaml"]).stdout).toBe("legacy.enc.yaml: diff: unset\n");
  });

  it("handles a .sops.yaml in a subdirectory, anchored regexes, and files a glob cannot express", () => {
    const repo = createRepo(sb, "nested");
    mkdirSync(join(repo, "deploy", "secrets"), { recursive: true });
    writeFileSync(
      join(repo, "deploy", ".sops.yaml"),
      `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: ${sb.recipient}\n  - path_regex: ^(?i)special\\d+\\.json$\n    age: ${sb.recipient}\n`,
    );
    writeFileSync(join(repo, "deploy", "special1.json"), "{}\n");
    // An encrypted file that no rule names is covered too.
    writeEncrypted(sb, repo, "stray.enc.yaml", "a: b\n");
    commitAll(sb, repo, "files");
    const r = hush(sb, ["git", "setup"], { cwd: join(repo, "deploy") });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("has no glob equivalent");
    const attrs = readFileSync(join(repo, ".gitattributes"), "utf8");
    expect(attrs).toContain("/deploy/secrets/**/*.yaml diff=hush merge=hush\n");
    expect(attrs).toContain("/deploy/special1.json diff=hush merge=hush\n");
    expect(attrs).toContain("/stray.enc.yaml diff=hush merge=hush\n");
    expect(git(sb, repo, ["check-attr", "diff", "--", "deploy/secrets/a/b.yaml", "secrets/b.yaml"]).stdout).toBe(
      "deploy/secrets/a/b.yaml: diff: hush\nsecrets/b.yaml: diff: unspecified\n",
    );
  });

  it("uses the patterns given, installs the hook, and never overwrites a hook it did not write", () => {
    const repo = createRepo(sb, "hooks");
    const r = hush(sb, ["git", "setup", "--hook", "*.secret.yaml"], { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(repo, ".gitattributes"), "utf8")).toContain("\n*.secret.yaml diff=hush merge=hush\n");
    const hook = join(repo, ".git", "hooks", "pre-commit");
    expect(readFileSync(hook, "utf8")).toContain(`exec ${HUSH} check --staged`);
    expect(hush(sb, ["git", "uninstall"], { cwd: repo }).stdout).toContain("remove the pre-commit hook");
    expect(existsSync(hook)).toBe(false);
    expect(existsSync(join(repo, ".gitattributes"))).toBe(false);

    writeFileSync(hook, "#!/bin/sh\necho mine\n", { mode: 0o755 });
    const again = hush(sb, ["git", "setup", "--hook", "*.secret.yaml"], { cwd: repo });
    expect(again.stdout).toContain("already exists and was not written by hush");
    expect(readFileSync(hook, "utf8")).toBe("#!/bin/sh\necho mine\n");
  });

  it("a hook it installs outside the repository (a global core.hooksPath) comes with a note; a linked worktree's shared hooks do not", () => {
    const repo = createRepo(sb, "global-hooks");
    const shared = join(sb.home, "all-my-hooks");
    git(sb, repo, ["config", "--global", "core.hooksPath", shared]);
    try {
      const r = hush(sb, ["git", "setup", "--hook", "*.secret.yaml"], { cwd: repo });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`note: the pre-commit hook goes to ${join(shared, "pre-commit")}, outside this repository (core.hooksPath names that directory): git runs it for every repository that uses it`);
      expect(readFileSync(join(shared, "pre-commit"), "utf8")).toContain("# hush pre-commit hook");
    } finally {
      git(sb, repo, ["config", "--global", "--unset", "core.hooksPath"]);
    }
    commitAll(sb, repo, "attributes");
    const linked = join(sb.dir, "global-hooks-linked");
    git(sb, repo, ["worktree", "add", "-q", linked]);
    const inWorktree = hush(sb, ["git", "setup", "--hook", "*.secret.yaml"], { cwd: linked });
    expect(inWorktree.status, inWorktree.stderr).toBe(0);
    expect(inWorktree.stdout).toContain("install the pre-commit hook");
    expect(inWorktree.stdout).not.toContain("outside this repository");
    expect(readFileSync(join(repo, ".git", "hooks", "pre-commit"), "utf8")).toContain("# hush pre-commit hook");
  });

  it("outside a git repository it says so", () => {
    const dir = join(sb.dir, "not-a-repo");
    mkdirSync(dir);
    const r = hush(sb, ["git", "setup"], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not inside a git working tree");
  });
});
