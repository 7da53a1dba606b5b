import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { createAgeKey, createRepo, createSandbox, hush, writeEncrypted, type AgeKey, type Sandbox, commitAtDate } from "./helpers.ts";

/**
 * A repository with history for `hush access` and `hush audit`: three files, recipients added
 * and removed, values changed, every commit at a fixed date.
 * - 2024-01-10 "create": prod.enc.yaml (Alice, bob, carol) and dev.enc.env (Alice, carol);
 * - 2024-02-01 "clear": ci.enc.json committed in clear; 2024-02-02 "encrypted": encrypted;
 * - 2024-06-01 "password": prod's db password changed with `hush set`;
 * - 2025-01-15 "carol-prod": carol removed from prod with `updatekeys --keep-data-key`;
 * - 2025-03-01 "carol-dev": dev rotated, carol out and dave (not in .sops.yaml) in.
 */
export interface AuditRepo {
  readonly sb: Sandbox;
  readonly repo: string;
  readonly bob: AgeKey;
  readonly carol: AgeKey;
  readonly dave: AgeKey;
  /** Commit hashes by the names above. */
  readonly commits: Readonly<Record<string, string>>;
}

function sopsYaml(alice: string, bob: AgeKey, carol: AgeKey, prod: readonly string[]): string {
  return [
    "# Names for reports; SOPS ignores this key.",
    "hush_recipient_names:",
    `  Alice: ${alice}`,
    "keys:",
    `  - &bob ${bob.recipient}`,
    `  - &carol ${carol.recipient}`,
    "creation_rules:",
    "  - path_regex: prod\\.enc\\.yaml$",
    "    key_groups:",
    "      - age:",
    ...prod.map((r) => `          - ${r}`),
    "  - path_regex: \\.enc\\.(env|json)$",
    "    key_groups:",
    "      - age:",
    `          - ${alice}`,
    "          - *carol",
    "",
  ].join("\n");
}

/** An identity as the tables shorten it. */
export const short = (r: string): string => `${r.slice(0, 16)}…${r.slice(-6)}`;

export function buildAuditRepo(): AuditRepo {
  const sb = createSandbox();
  const repo = createRepo(sb);
  const bob = createAgeKey(sb, "bob");
  const carol = createAgeKey(sb, "carol");
  const dave = createAgeKey(sb, "dave");
  const commits: Record<string, string> = {};
  const commitAt = (name: string, date: string, message: string): void => {
    commits[name] = commitAtDate(sb, repo, date, message);
  };
  const ok = (args: readonly string[]): void => {
    const r = hush(sb, args, { cwd: repo });
    expect(r.status, r.stderr).toBe(0);
  };
  writeFileSync(join(repo, ".sops.yaml"), sopsYaml(sb.recipient, bob, carol, [sb.recipient, "*bob", "*carol"]));
  writeEncrypted(sb, repo, "prod.enc.yaml", "db:\n  password: first\napi_key: k1\n");
  writeEncrypted(sb, repo, "dev.enc.env", "DB_PASSWORD=dev1\nTOKEN=t1\n");
  commitAt("create", "2024-01-10", "Add prod and dev secrets");
  writeFileSync(join(repo, "ci.enc.json"), '{"token": "ci-1"}\n');
  commitAt("clear", "2024-02-01", "Add CI token");
  ok(["encrypt", "-i", "ci.enc.json"]);
  commitAt("encrypted", "2024-02-02", "Encrypt CI token");
  ok(["set", "prod.enc.yaml", '["db"]["password"]', '"second"']);
  commitAt("password", "2024-06-01", "Change the prod database password");
  // carol leaves prod the SOPS way: her wrapped key is gone, the data key she may hold stays.
  writeFileSync(join(repo, ".sops.yaml"), sopsYaml(sb.recipient, bob, carol, [sb.recipient, "*bob"]));
  ok(["updatekeys", "-y", "--keep-data-key", "prod.enc.yaml"]);
  commitAt("carol-prod", "2025-01-15", "Remove carol from prod");
  // carol leaves dev with a new data key; dave joins it without being in the rule.
  ok(["rotate", "-i", "--rm-age", carol.recipient, "--add-age", dave.recipient, "dev.enc.env"]);
  commitAt("carol-dev", "2025-03-01", "Rotate dev: carol out, dave in");
  return { sb, repo, bob, carol, dave, commits };
}
