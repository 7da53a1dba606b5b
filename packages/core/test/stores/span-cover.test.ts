import { describe, expect, it } from "vitest";
import { spanCover } from "../../src/stores/span-cover.ts";

describe("spanCover: whether an offset lies inside encrypted values' spans", () => {
  it("takes each span's start and not its end, in any order, nested or overlapping", () => {
    const inside = spanCover([
      { start: 30, end: 40 },
      { start: 10, end: 20 },
      { start: 12, end: 14 },
      { start: 35, end: 50 },
    ]);
    const at = [0, 9, 10, 13, 19, 20, 29, 30, 39, 45, 49, 50].filter(inside);
    expect(at).toEqual([10, 13, 19, 30, 39, 45, 49]);
    expect(spanCover([])(0)).toBe(false);
  });

  it("answers for findings in every one of many values without comparing each with every value", () => {
    // One finding inside each of 200,000 encrypted values (a `?` in each of many `{url: …}`):
    // a test of each against every span took about 2 s for 10,000 values, and hours for these.
    const n = 200_000;
    const spans = Array.from({ length: n }, (_, i) => ({ start: i * 10, end: i * 10 + 5 }));
    const inside = spanCover(spans);
    let covered = 0;
    for (let i = 0; i < n; i++) if (inside(i * 10 + 4) && !inside(i * 10 + 5)) covered++;
    expect(covered).toBe(n);
  });
});
