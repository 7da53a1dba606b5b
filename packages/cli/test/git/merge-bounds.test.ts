import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { conflictBlock, splitLines } from "@hush/git";
import { makeTempDir } from "@hush/testkit";
import { writeWholeVersionsConflict } from "../../src/commands/git/merge-bounds.ts";

/**
 * The merge driver's conflict over versions above its size limit, copied in pieces: the same bytes
 * as the in-memory whole-file conflict of its other fallbacks (`conflictBlock` over the lines).
 */

const tmp = makeTempDir("hush-merge-bounds-");
afterAll(() => tmp.cleanup());

let n = 0;
/** Writes the three versions, runs the piecewise conflict; returns it and what conflictBlock makes of the same texts. */
function both(ours: string, base: string, theirs: string, markerSize = 7): { written: string; expected: string } {
  const dir = join(tmp.path, String(n++));
  const paths = { ours: `${dir}-ours`, base: `${dir}-base`, theirs: `${dir}-theirs` };
  writeFileSync(paths.ours, ours);
  writeFileSync(paths.base, base);
  writeFileSync(paths.theirs, theirs);
  writeWholeVersionsConflict(paths, markerSize);
  const eol = /\r\n/.test(ours) ? "\r\n" : "\n";
  const expected = conflictBlock(splitLines(ours), base === "" ? undefined : splitLines(base), splitLines(theirs), markerSize, { ours: "ours", base: "base", theirs: "theirs" }, eol).join("");
  return { written: readFileSync(paths.ours, "utf8"), expected };
}

describe("writeWholeVersionsConflict", () => {
  it("writes ours, the base and theirs whole between markers, as the in-memory fallback does", () => {
    const { written, expected } = both("a: 1\nsops: x\n", "a: 0\n", "a: 2\n");
    expect(written).toBe("<<<<<<< ours\na: 1\nsops: x\n||||||| base\na: 0\n=======\na: 2\n>>>>>>> theirs\n");
    expect(written).toBe(expected);
  });

  it("leaves the base out when it is empty (both sides added the file), ends unterminated sides, keeps CRLF and the marker size", () => {
    for (const [ours, base, theirs, size] of [
      ["a: 1\n", "", "a: 2\n", 7],
      ["a: 1", "a: 0", "a: 2", 7],
      ["a: 1\r\nb: 2\r\n", "a: 0\r\n", "a: 2", 10],
      ["", "a: 0\n", "a: 2\n", 7],
    ] as const) {
      const { written, expected } = both(ours, base, theirs, size);
      expect(written).toBe(expected);
    }
  });

  it("copies versions larger than one piece (1 MiB) byte for byte", () => {
    const big = `${"k: v\n".repeat(500_000)}last: line`;
    const { written, expected } = both(big, "a: 0\n", big);
    expect(written.length).toBe(expected.length);
    expect(written === expected).toBe(true);
  });
});
