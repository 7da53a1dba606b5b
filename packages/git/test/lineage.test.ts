import { describe, expect, it } from "vitest";
import { Lineage, type FileVersion, type PlacedVersion, type VersionSummary } from "@hush/git/report";

/** Where an audited file's history starts: the file it was moved or copied from with its data key. */

const summary = (enc: string, value: string): VersionSummary => ({
  values: new Map([['["a"]', value]]),
  recipients: new Map([["age age1x", { kind: "age", recipient: "age1x", enc }]]),
});
const at = (order: number, s: VersionSummary | null): PlacedVersion => ({ version: { commit: { commit: String(order).repeat(40).slice(0, 40), date: "2024-01-01T00:00:00Z", author: "", subject: "" }, summary: s }, order });
const files = (entries: Record<string, PlacedVersion[]>) => new Map(Object.entries(entries).map(([path, placed]) => [path, { placed, merged: [] as FileVersion[] }]));
const orders = (versions: readonly FileVersion[]): string[] => versions.map((v) => v.commit.commit[0]!);

describe("Lineage", () => {
  it("prepends the history of a deleted file whose data key a later file has, and not of files created in the same commit", () => {
    const key = summary("k1", "v1");
    const lineage = new Lineage(
      files({
        // 300 copies made in one commit (of new.yaml, itself moved from old.yaml): none is where another came from.
        ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`copy${i}.yaml`, [at(3, key)]])),
        "old.yaml": [at(0, key), at(1, key), at(2, null)],
        "new.yaml": [at(2, summary("k2", "v1"))],
        "fresh.yaml": [at(2, summary("k3", "v3"))],
      }),
    );
    expect(orders(lineage.versionsOf("copy0.yaml"))).toEqual(["0", "1", "2", "3"]);
    // Moved at 2 with its data key re-wrapped (same value ciphertext): old.yaml's versions come first.
    expect(orders(lineage.versionsOf("new.yaml"))).toEqual(["0", "1", "2"]);
    expect(orders(lineage.versionsOf("fresh.yaml"))).toEqual(["2"]);
  });
});
