import { describe, expect, it } from "vitest";
import { fewestKeysToOpen } from "../src/key-quorum.ts";

describe("fewestKeysToOpen", () => {
  it("is the groups needed when no key is in two groups", () => {
    expect(fewestKeysToOpen([["a"], ["b", "c"], ["d"]], 2)).toBe(2);
    expect(fewestKeysToOpen([["a"], ["b"], ["c"]], 3)).toBe(3);
  });

  it("counts a key in several groups once for all of them", () => {
    expect(fewestKeysToOpen([["a"], ["b", "a"], ["c"]], 2)).toBe(1);
    expect(fewestKeysToOpen([["a"], ["b", "a"], ["c"]], 3)).toBe(2);
    expect(fewestKeysToOpen([["a", "x"], ["b", "x"], ["c", "y"], ["d", "y"]], 4)).toBe(2);
  });

  it("searches 16 groups, each key in two of them, at once", () => {
    const groups = Array.from({ length: 16 }, (_, i) => [`k${i >> 1}`, `solo${i}`]);
    expect(fewestKeysToOpen(groups, 16)).toBe(8);
    expect(fewestKeysToOpen(groups, 5)).toBe(3);
  });
});
