import { describe, expect, it } from "vitest";
import { rewritePatch, type PatchSide } from "@hush/git";

/**
 * What `hush git log -p` renders: each version of a reviewed file once. A version is the new side
 * of one commit's section and the old side of the next one shown, and each view is a read and a
 * parse (a decryption, with a key): over 500 commits of one file, 999 views were rendered for 500
 * versions.
 */

const nonce = "hush-0123456789abcdef01234567-";

/** The patch `git log -p` prints (without textconv, with the nonce prefixes) for a file changed by each commit, newest first. */
function logPatch(path: string, versions: readonly string[]): string[] {
  const lines: string[] = [];
  for (let i = versions.length - 1; i > 0; i--) {
    lines.push(`commit ${String(i).padStart(40, "0")}\n`, "\n", `    change ${i}\n`, "\n");
    lines.push(`diff --git ${nonce}a/${path} ${nonce}b/${path}\n`, `index ${versions[i - 1]}..${versions[i]} 100644\n`);
    lines.push(`--- ${nonce}a/${path}\n`, `+++ ${nonce}b/${path}\n`, "@@ -1 +1 @@\n", `-stored ${versions[i - 1]}\n`, `+stored ${versions[i]}\n`);
  }
  return lines;
}

async function rewrite(lines: readonly string[]): Promise<{ output: string; rendered: PatchSide[] }> {
  const rendered: PatchSide[] = [];
  let output = "";
  async function* each(): AsyncGenerator<string> {
    yield* lines;
  }
  await rewritePatch(
    each(),
    async (text) => {
      output += text;
    },
    {
      nonce,
      reviewed: async () => true,
      view: async (side) => {
        if (side === undefined) return Buffer.alloc(0);
        rendered.push(side);
        return Buffer.from(`view of ${side.path} at ${side.blob}\n`);
      },
    },
  );
  return { output, rendered };
}

describe("the one-process review renders each version once", () => {
  it("500 commits of one file: 500 views, each diff as before", async () => {
    const versions = Array.from({ length: 500 }, (_, i) => (0xa000000 + i).toString(16));
    const { output, rendered } = await rewrite(logPatch("s.yaml", versions));
    expect(rendered.map((s) => s.blob).sort()).toEqual([...versions].sort());
    expect(output).toContain(`-view of s.yaml at ${versions[0]}\n+view of s.yaml at ${versions[1]}\n`);
    expect(output).toContain(`-view of s.yaml at ${versions[498]}\n+view of s.yaml at ${versions[499]}\n`);
    expect(output.match(/^diff --git a\/s\.yaml b\/s\.yaml$/gm)).toHaveLength(499);
  });

  it("the same blob under another path is rendered for that path (the format and rules come from it)", async () => {
    const { output, rendered } = await rewrite([...logPatch("a.yaml", ["1111111", "2222222"]), ...logPatch("a.json", ["1111111", "2222222"])]);
    expect(rendered.map((s) => `${s.path} ${s.blob}`)).toEqual(["a.yaml 1111111", "a.yaml 2222222", "a.json 1111111", "a.json 2222222"]);
    expect(output).toContain("-view of a.json at 1111111\n+view of a.json at 2222222\n");
  });

  it("an id of zeros names no content and is rendered each time", async () => {
    const { rendered } = await rewrite([...logPatch("z.yaml", ["0000000", "2222222"]), ...logPatch("z.yaml", ["0000000", "3333333"])]);
    expect(rendered.map((s) => s.blob)).toEqual(["0000000", "2222222", "0000000", "3333333"]);
  });
});
