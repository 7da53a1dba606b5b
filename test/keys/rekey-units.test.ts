import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { MasterKeyRecipient } from "@hush/core";
import { makeTempDir } from "@hush/testkit";
import { changeKeys, diffGroups, formatDiff, keyToRemove } from "../../packages/cli/src/rekey/key-groups.ts";
import { keysFromFlags } from "../../packages/cli/src/key-flags.ts";
import { mapLimit } from "../../packages/cli/src/rekey/pool.ts";
import { expandTargets, sniffFormat } from "../../packages/cli/src/rekey/targets.ts";
import { effectiveThreshold, wrapForGroups } from "../../packages/cli/src/rekey/wrap.ts";

const ARN = "arn:aws:kms:us-east-1:111122223333:key/0f0e0d0c-0b0a-0908-0706-050403020100";
const kms = (context: Record<string, string> = {}, awsProfile = ""): MasterKeyRecipient => ({ kind: "kms", arn: ARN, role: "", context, awsProfile });
const age = (r: string): MasterKeyRecipient => ({ kind: "age", recipient: r });

describe("mapLimit", () => {
  it("keeps input order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([...Array(25).keys()], 4, async (i) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      running -= 1;
      return i * 2;
    });
    expect(out).toEqual([...Array(25).keys()].map((i) => i * 2));
    expect(peak).toBe(4);
  });
});

describe("key changes", () => {
  it("--rm-kms ARN removes the key whatever its context; with a context only the exact key", () => {
    const groups = [[age("age1a"), kms({ app: "web" })], [kms({ app: "api" })]];
    const loose = changeKeys(groups, [], keysFromFlags({ rmKms: ARN }, {}, "rm-").map(keyToRemove));
    expect(loose.groups).toEqual([[age("age1a")], []]);
    expect(loose.removed).toEqual([`kms ${ARN}|app:web`, `kms ${ARN}|app:api`]);
    const exact = changeKeys(groups, [], keysFromFlags({ rmKms: ARN, encryptionContext: "app:api" }, {}, "rm-").map(keyToRemove));
    expect(exact.groups).toEqual([[age("age1a"), kms({ app: "web" })], []]);
  });

  it("adds to the first group once, and matches PGP fingerprints whatever their case", () => {
    const groups: MasterKeyRecipient[][] = [[{ kind: "pgp", fp: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4" }], [age("age1b")]];
    const r = changeKeys(groups, [age("age1c"), age("age1c")], keysFromFlags({ rmPgp: "fbc7 b9e2a4f9289ac0c1d4843d16cee4a27381b4" }, {}, "rm-").map(keyToRemove));
    expect(r.groups).toEqual([[age("age1c")], [age("age1b")]]);
    expect(r.added).toEqual(["age age1c"]);
  });

  it("prints SOPS's diff layout with the threshold change", () => {
    const text = formatDiff(diffGroups([[age("age1a"), age("age1b")]], [[age("age1a")], [age("age1c")]]), { from: 0, to: 2 });
    expect(text).toBe("Group 1\n    age age1a\n--- age age1b\nGroup 2\n+++ age age1c\nshamir_threshold: unset -> 2");
  });
});

describe("thresholds and groups", () => {
  it("clamps to the number of groups and refuses 1 with several groups", () => {
    expect(effectiveThreshold(0, 1)).toBe(0);
    expect(effectiveThreshold(5, 1)).toBe(0);
    expect(effectiveThreshold(0, 3)).toBe(3);
    expect(effectiveThreshold(5, 3)).toBe(3);
    expect(() => effectiveThreshold(1, 3)).toThrow("too small for 3 key groups");
  });

  it("names the group and key of a failed wrap", async () => {
    const failing = {
      kind: "kms" as const,
      wrap: () => Promise.reject(new Error("AccessDenied")),
      unwrap: () => Promise.resolve(null),
      describeSearch: () => [],
    };
    const err = await wrapForGroups(new Uint8Array(32), [[kms()], [kms({ a: "b" })]], 2, async () => failing).catch((e: unknown) => e);
    expect(String(err)).toMatch(/group (0|1): kms key arn:aws:kms:.*: AccessDenied/);
  });

  it("refuses empty groups with SOPS's words", async () => {
    await expect(wrapForGroups(new Uint8Array(32), [[age("age1a")], []], 0, async () => undefined)).rejects.toThrow(
      "Could not generate data key: [empty key group provided] (group 1 has no keys)",
    );
  });
});

describe("expandTargets", () => {
  const tmp = makeTempDir("hush-targets-");
  afterAll(() => tmp.cleanup());

  it("walks directories in order, skips .git, node_modules and .sops.yaml, follows no directory links, and dedupes", () => {
    const root = tmp.path;
    for (const d of ["a/b", ".git", "node_modules/x", "z"]) mkdirSync(join(root, d), { recursive: true });
    for (const f of ["a/b/2.yaml", "a/1.json", ".git/c.yaml", "node_modules/x/d.yaml", ".sops.yaml", "z/blob", "z/e.env"]) writeFileSync(join(root, f), "x");
    symlinkSync(join(root, "a"), join(root, "z", "link"));
    const t = expandTargets(["a", "z", "a/1.json", ".sops.yaml"], root, undefined);
    expect(t.map((x) => [x.display, x.format ?? null, x.explicit])).toEqual([
      ["a/1.json", "json", false],
      ["a/b/2.yaml", "yaml", false],
      ["z/blob", null, false],
      ["z/e.env", "dotenv", false],
      [".sops.yaml", "yaml", true],
    ]);
  });

  it("recognises SOPS's binary envelope by content", () => {
    expect(sniffFormat('{\n\t"data": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",\n\t"sops": {}\n}')).toBe("binary");
    expect(sniffFormat("plain text")).toBeUndefined();
  });
});

describe("Progress", () => {
  it("draws on a terminal only, on one line, and erases itself", async () => {
    const { Progress } = await import("../../packages/cli/src/rekey/progress.ts");
    const chunks: string[] = [];
    const tty = { isTTY: true, columns: 30, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WritableStream;
    const p = new Progress(tty, "rotating", 2);
    p.tick("secrets/a-very-long-file-name-that-does-not-fit.yaml");
    p.tick("b.yaml");
    p.clear();
    expect(chunks[0]).toMatch(/^\r\u001b\[2Krotating 1\/2 secrets\/a-very-.*…$/);
    expect(chunks[0]!.length - "\r\u001b[2K".length).toBeLessThan(30);
    expect(chunks[1]).toBe("\r\u001b[2Krotating 2/2 b.yaml");
    expect(chunks[2]).toBe("\r\u001b[2K");
    const pipe: string[] = [];
    const q = new Progress({ write: (s: string) => pipe.push(s) } as unknown as NodeJS.WritableStream, "rotating", 2);
    q.tick("a");
    q.clear();
    expect(pipe).toEqual([]);
  });
});
