import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { diffHunks, hasConflictMarkers, mergeLines, splitLines } from "@hush/git";

function applyHunks(a: string[], b: string[], hunks: ReturnType<typeof diffHunks>): string[] {
  const out: string[] = [];
  let i = 0;
  for (const h of hunks) {
    out.push(...a.slice(i, h.baseStart), ...b.slice(h.sideStart, h.sideEnd));
    i = h.baseEnd;
  }
  out.push(...a.slice(i));
  return out;
}

describe("diffHunks", () => {
  it("finds minimal hunks", () => {
    expect(diffHunks(["a", "b", "c"], ["a", "x", "c"])).toEqual([{ baseStart: 1, baseEnd: 2, sideStart: 1, sideEnd: 2 }]);
    expect(diffHunks(["a", "b"], ["a", "b", "c"])).toEqual([{ baseStart: 2, baseEnd: 2, sideStart: 2, sideEnd: 3 }]);
    expect(diffHunks(["a", "b", "c"], ["b", "c"])).toEqual([{ baseStart: 0, baseEnd: 1, sideStart: 0, sideEnd: 0 }]);
    expect(diffHunks([], [])).toEqual([]);
  });

  it("turns a into b for any pair of sequences (property)", () => {
    const seq = fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 30 });
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const hunks = diffHunks(a, b);
        expect(applyHunks(a, b, hunks)).toEqual(b);
        // Unchanged items between hunks: sides stay aligned.
        for (let k = 1; k < hunks.length; k++) expect(hunks[k]!.baseStart).toBeGreaterThan(hunks[k - 1]!.baseEnd - 1);
      }),
      { numRuns: 300 },
    );
  });
});

describe("mergeLines", () => {
  const base = "a: 1\nb: 2\nc: 3\nd: 4\n";

  it("merges changes on different lines", () => {
    const r = mergeLines(base, "a: 10\nb: 2\nc: 3\nd: 4\n", "a: 1\nb: 2\nc: 3\nd: 40\n", { onConflict: "markers" });
    expect(r).toEqual({ text: "a: 10\nb: 2\nc: 3\nd: 40\n", conflicts: 0 });
  });

  it("keeps both insertions at the same place (ours first), without duplicating equal ones", () => {
    const r = mergeLines(base, base + "e: 5\n", base + "f: 6\n", { onConflict: "ours" });
    expect(r).toEqual({ text: base + "e: 5\nf: 6\n", conflicts: 0 });
    const same = mergeLines(base, base + "e: 5\n", base + "e: 5\nf: 6\n", { onConflict: "ours" });
    expect(same.text).toBe(base + "e: 5\nf: 6\n");
  });

  it("merges adjacent (touching) changes when not writing markers", () => {
    const r = mergeLines(base, "a: 10\nb: 2\nc: 3\nd: 4\n", "a: 1\nb: 20\nc: 3\nd: 4\n", { onConflict: "ours" });
    expect(r).toEqual({ text: "a: 10\nb: 20\nc: 3\nd: 4\n", conflicts: 0 });
  });

  it("writes diff3 markers for a real conflict", () => {
    const r = mergeLines(base, "a: 1\nb: X\nc: 3\nd: 4\n", "a: 1\nb: Y\nc: 3\nd: 4\n", { onConflict: "markers", labels: { ours: "ours", base: "base", theirs: "theirs" } });
    expect(r.conflicts).toBe(1);
    expect(r.text).toBe("a: 1\n<<<<<<< ours\nb: X\n||||||| base\nb: 2\n=======\nb: Y\n>>>>>>> theirs\nc: 3\nd: 4\n");
    expect(hasConflictMarkers(r.text)).toBe(true);
    expect(hasConflictMarkers(base)).toBe(false);
  });

  it("respects the marker size and a missing final newline", () => {
    const r = mergeLines("x", "y", "z", { onConflict: "markers", markerSize: 9 });
    expect(r.text).toBe("<<<<<<<<<\ny\n|||||||||\nx\n=========\nz\n>>>>>>>>>\n");
  });

  it("splitLines keeps line endings", () => {
    expect(splitLines("a\r\nb\nc")).toEqual(["a\r\n", "b\n", "c"]);
    expect(splitLines("")).toEqual([]);
  });
});
