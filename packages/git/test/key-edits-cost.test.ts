import { describe, expect, it } from "vitest";
import { mergePlaintexts } from "../src/text-merge.ts";

/**
 * What the merge driver's key-by-key edits of ours cost: each edit reads the whole text again,
 * so the number of edits is bounded by the size of the file. At 8,000,000 characters edited in
 * all, an 80 kB YAML file with 100 keys that only theirs added (next to lines both sides changed,
 * so that the line merge could not place them) took 100 edits, about ten seconds on one file.
 */

/** `sections` YAML sections of ten keys; the first line of each set to `first`, theirs adding a key below it in the first `added`. */
function yamlSide(sections: number, first: string, added: number): string {
  const lines: string[] = [];
  for (let s = 0; s < sections; s++) {
    lines.push(`sec${s}:`, `  key0: ${first}`);
    if (s < added) lines.push("  added: new");
    for (let k = 1; k < 10; k++) lines.push(`  key${k}: value-${s}-${k}`);
  }
  return `${lines.join("\n")}\n`;
}

function mergeOf(sections: number, added: number): ReturnType<typeof mergePlaintexts> {
  return mergePlaintexts({ format: "yaml", base: yamlSide(sections, "base", 0), ours: yamlSide(sections, "ours", 0), theirs: yamlSide(sections, "theirs", added) });
}

describe("the merge driver's key edits stay cheap", () => {
  it("an 80 kB file that needs 100 key edits is written afresh, its values merged", async () => {
    const r = await mergeOf(400, 100);
    expect(yamlSide(400, "ours", 0).length).toBeGreaterThan(75_000);
    expect(r.method).toBe("emitted");
    expect(r.text.match(/^ {2}added: new$/gm)).toHaveLength(100);
    expect(r.conflicts).toHaveLength(400);
  });

  it("a small file is still edited key by key", async () => {
    const r = await mergeOf(20, 20);
    expect(r.method).toBe("key-edits");
    expect(r.text.match(/^ {2}added: new$/gm)).toHaveLength(20);
  });
});
