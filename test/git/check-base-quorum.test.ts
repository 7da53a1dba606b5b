import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll, createAgeKey, createSandbox, findingCodes, git, hush, keylessCheck, setUpCoveredRepo, type Sandbox } from "./helpers.ts";

/**
 * `hush check --base`: a branch's `.sops.yaml` that lets fewer keys open a file than the base's
 * rule, by listing a key in several key groups (the threshold counts groups, not keys), fails the
 * gate. The files are as the base made them; merged, the next `updatekeys` re-keys them so.
 */

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

const groupsRule = (groups: ReadonlyArray<readonly string[]>, threshold: number): string =>
  `creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    shamir_threshold: ${threshold}\n    key_groups:\n${groups.map((g) => `      - age:\n${g.map((r) => `          - ${r}\n`).join("")}`).join("")}`;

/** A covered repository whose secrets/app.yaml is re-keyed on main to three groups (the sandbox key, B, C), any `threshold` of which open it. */
function threeGroupRepo(name: string, threshold = 2): { repo: string; b: string; c: string } {
  const repo = setUpCoveredRepo(sb, name);
  const b = createAgeKey(sb, `${name}-b`).recipient;
  const c = createAgeKey(sb, `${name}-c`).recipient;
  writeFileSync(join(repo, ".sops.yaml"), groupsRule([[sb.recipient], [b], [c]], threshold));
  const r = hush(sb, ["updatekeys", "--yes", "secrets/app.yaml"], { cwd: repo });
  expect(r.status, r.stderr).toBe(0);
  commitAll(sb, repo, `${threshold} of three groups`);
  git(sb, repo, ["checkout", "-q", "-b", "pr"]);
  return { repo, b, c };
}

describe("hush check --base: a branch's rule that lets fewer keys open a file", () => {
  it("says so when one key is put in a second group (it alone meets the threshold of 2): a warning, an error with --strict", () => {
    const { repo, b, c } = threeGroupRepo("quorum-shared");
    writeFileSync(join(repo, ".sops.yaml"), groupsRule([[sb.recipient], [b, sb.recipient], [c]], 2));
    commitAll(sb, repo, "only .sops.yaml");
    const { status, report, stdout } = keylessCheck(sb, repo, ["--base", "main"]);
    expect(findingCodes(report)).toContain("secrets/app.yaml warning key-groups-differ");
    expect(stdout).toContain(
      `secrets/app.yaml: warning: the creation rule of this branch lets 1 key open the file (age ${sb.recipient} in more than one key group), the creation rule in main:.sops.yaml needs 2; merged, the next \`hush updatekeys\` would re-key it so; if that is not meant, list each key in one group`,
    );
    // A team may lower its quorum on purpose, in a pull request a reviewer reads.
    expect(status).toBe(0);
    const strict = keylessCheck(sb, repo, ["--base", "main", "--strict"]);
    expect(findingCodes(strict.report)).toContain("secrets/app.yaml error key-groups-differ");
    expect(strict.status).toBe(1);
  });

  it("names the base's groups when the branch lowers the threshold", () => {
    const { repo, b, c } = threeGroupRepo("quorum-lowered", 3);
    writeFileSync(join(repo, ".sops.yaml"), groupsRule([[sb.recipient], [b], [c]], 2));
    commitAll(sb, repo, "two of three");
    const { stdout } = keylessCheck(sb, repo, ["--base", "main"]);
    expect(stdout).toContain("the creation rule of this branch lets 2 keys open the file, the creation rule in main:.sops.yaml needs 3; merged, the next `hush updatekeys` would re-key it so; if that is not meant, keep the key groups and threshold of main:.sops.yaml");
  });

  it("is not an error for groups reordered or a threshold raised: as many keys or more", () => {
    const { repo, b, c } = threeGroupRepo("quorum-same");
    writeFileSync(join(repo, ".sops.yaml"), groupsRule([[c], [sb.recipient], [b]], 3));
    commitAll(sb, repo, "reordered, stricter");
    const { status, report } = keylessCheck(sb, repo, ["--base", "main"]);
    expect(findingCodes(report).filter((f) => f.includes(" error "))).toEqual([]);
    expect(status).toBe(0);
  });
});
