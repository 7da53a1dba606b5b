import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileFormat } from "@hush/core";
import { commitAll, createRepo, createSandbox, editEncrypted, git, hush, writeEncrypted, type Sandbox } from "./helpers.ts";

/**
 * After `hush git setup`, git's own commands show decrypted diffs, and without a key the changed
 * key paths and nothing else.
 */

interface Case {
  readonly format: FileFormat;
  readonly file: string;
  readonly before: string;
  readonly after: string;
  /** Lines the decrypted diff must contain. */
  readonly removed: string;
  readonly added: string;
  /** The changed key as it appears in the keyless view. */
  readonly changedKey: RegExp;
  readonly unchangedKey: RegExp;
}

const CASES: Case[] = [
  {
    format: "yaml",
    file: "app.enc.yaml",
    before: "db:\n  user: app\n  password: yaml-old-secret-71\napi_key: yaml-api-key-93\n",
    after: "db:\n  user: app\n  password: yaml-new-secret-72\napi_key: yaml-api-key-93\n",
    removed: "-  password: yaml-old-secret-71",
    added: "+  password: yaml-new-secret-72",
    changedKey: /^[-+] {2}password: <encrypted:[0-9a-f]{8}>$/m,
    unchangedKey: /^ api_key: <encrypted:[0-9a-f]{8}>$/m,
  },
  {
    format: "json",
    file: "app.enc.json",
    before: '{\n  "user": "app",\n  "password": "json-old-secret-81",\n  "api_key": "json-api-key-83"\n}\n',
    after: '{\n  "user": "app",\n  "password": "json-new-secret-82",\n  "api_key": "json-api-key-83"\n}\n',
    removed: '-  "password": "json-old-secret-81",',
    added: '+  "password": "json-new-secret-82",',
    changedKey: /^[-+] {2}"password": "<encrypted:[0-9a-f]{8}>",$/m,
    unchangedKey: /^ {3}"api_key": "<encrypted:[0-9a-f]{8}>"$/m,
  },
  {
    format: "dotenv",
    file: "app.enc.env",
    before: "DB_USER=app\nDB_PASSWORD=env-old-secret-61\nAPI_KEY=env-api-key-63\n",
    after: "DB_USER=app\nDB_PASSWORD=env-new-secret-62\nAPI_KEY=env-api-key-63\n",
    removed: "-DB_PASSWORD=env-old-secret-61",
    added: "+DB_PASSWORD=env-new-secret-62",
    changedKey: /^[-+]DB_PASSWORD=<encrypted:[0-9a-f]{8}>$/m,
    unchangedKey: /^ API_KEY=<encrypted:[0-9a-f]{8}>$/m,
  },
  {
    format: "ini",
    file: "app.enc.ini",
    before: "[db]\nuser = app\npassword = ini-old-secret-51\n\n[api]\nkey = ini-api-key-53\n",
    after: "[db]\nuser = app\npassword = ini-new-secret-52\n\n[api]\nkey = ini-api-key-53\n",
    removed: "-password = ini-old-secret-51",
    added: "+password = ini-new-secret-52",
    changedKey: /^[-+]password = <encrypted:[0-9a-f]{8}>$/m,
    unchangedKey: /^ user = <encrypted:[0-9a-f]{8}>$/m,
  },
  {
    format: "toml",
    file: "app.enc.toml",
    before: 'title = "svc"\n\n[db]\nuser = "app"\npassword = "toml-old-secret-41"\nport = 5432\n',
    after: 'title = "svc"\n\n[db]\nuser = "app"\npassword = "toml-new-secret-42"\nport = 5432\n',
    removed: '-password = "toml-old-secret-41"',
    added: '+password = "toml-new-secret-42"',
    changedKey: /^[-+]password = "<encrypted:[0-9a-f]{8}>"$/m,
    unchangedKey: /^ port = "<encrypted:[0-9a-f]{8}>"$/m,
  },
];

let sb: Sandbox;
let repo: string;

beforeAll(async () => {
  sb = createSandbox();
  repo = createRepo(sb);
  for (const c of CASES) writeEncrypted(sb, repo, c.file, c.before);
  commitAll(sb, repo, "initial");
  const setup = hush(sb, ["git", "setup"], { cwd: repo });
  expect(setup.status, setup.stderr).toBe(0);
  commitAll(sb, repo, "git setup");
  for (const c of CASES) await editEncrypted(sb, repo, c.file, c.format, c.after);
});

afterAll(() => sb.cleanup());

describe.each(CASES)("$format", (c) => {
  it("git diff shows the decrypted change (working tree)", () => {
    const out = git(sb, repo, ["diff", "--", c.file]).stdout;
    expect(out).toContain(c.removed);
    expect(out).toContain(c.added);
    expect(out).not.toContain("ENC[AES256_GCM");
    expect(out).not.toContain("sops");
  });

  it("git log -p, git show, git blame and git cat-file --textconv decrypt committed versions", () => {
    git(sb, repo, ["add", c.file]);
    git(sb, repo, ["commit", "-q", "--no-verify", "-m", `change ${c.format}`]);
    const log = git(sb, repo, ["log", "-p", "-1", "--", c.file]).stdout;
    expect(log).toContain(c.removed);
    expect(log).toContain(c.added);
    const show = git(sb, repo, ["show", "HEAD", "--", c.file]).stdout;
    expect(show).toContain(c.added);
    const blame = git(sb, repo, ["blame", "--", c.file]).stdout;
    expect(blame).toContain(c.added.slice(1).trim());
    const cat = git(sb, repo, ["cat-file", "--textconv", `HEAD~1:${c.file}`]).stdout;
    expect(cat).toMatch(/^# hush: key group 0: age age1[0-9a-z]+ wrapped key [0-9a-f]{16}\n/);
    expect(cat.replace(/^(# hush: .*\n)+/, "")).toBe(c.before);
  });

  it("without a key, the diff names the changed key path with markers and prints no plaintext", () => {
    const out = git(sb, repo, ["log", "-p", "-1", "--", c.file], { env: sb.keylessEnv }).stdout;
    expect(out).toMatch(c.changedKey);
    expect(out).toMatch(c.unchangedKey);
    const view = git(sb, repo, ["cat-file", "--textconv", `HEAD:${c.file}`], { env: sb.keylessEnv }).stdout;
    expect(view).toMatch(/^# hush: values hidden: no key for this file \(encrypted for age age1[0-9a-z]+\); markers change when a value changes\n/);
    expect(view).not.toMatch(/secret-\d\d|api-key-\d\d|ENC\[|sops/);
    for (const secret of [c.removed, c.added]) expect(out).not.toContain(secret.slice(1).trim());
    expect(out).not.toMatch(/secret-\d\d|api-key-\d\d/);
    // Exactly one value changed: one marker line removed, one added.
    expect(out.split("\n").filter((l) => /^[-+][^-+]/.test(l))).toHaveLength(2);
  });
});

describe("textconv on git's temporary copies", () => {
  it("finds the format without the extension and without .sops.yaml", () => {
    const shown = git(sb, repo, ["show", `HEAD:${CASES[0]!.file}`]).stdout;
    const blob = join(sb.dir, "blob-without-extension");
    writeFileSync(blob, shown);
    const r = hush(sb, ["git", "textconv", blob], { cwd: sb.dir });
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/^(# hush: .*\n)+/, "")).toBe(CASES[0]!.after);
  });

  it("passes files that are not encrypted through unchanged", () => {
    const r = hush(sb, ["git", "textconv", ".sops.yaml"], { cwd: repo });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("creation_rules:");
  });
});
