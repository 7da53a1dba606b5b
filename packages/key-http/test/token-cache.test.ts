import { describe, expect, it } from "vitest";
import { TokenCache, tokenExpiry } from "../src/index.ts";

describe("access tokens kept while usable", () => {
  it("reads a token's expiry from expires_in (number or digits), else expires_on, else five minutes", () => {
    const now = 1_000_000;
    expect(tokenExpiry({ expires_in: 3599 }, now)).toBe(now + 3_599_000);
    expect(tokenExpiry({ expires_in: "3599", expires_on: "5" }, now)).toBe(now + 3_599_000);
    expect(tokenExpiry({ expires_on: "1700000000" }, now)).toBe(1_700_000_000_000);
    expect(tokenExpiry({ expires_in: "soon" }, now)).toBe(now + 300_000);
    expect(tokenExpiry(undefined, now)).toBe(now + 300_000);
  });

  it("shares one request, forgets a failure, asks again within a minute of expiry and after forget", async () => {
    const cache = new TokenCache();
    let asked = 0;
    const fetch = (lifetimeMs: number, fail = false) => async () => {
      asked++;
      if (fail) throw new Error("refused");
      return { token: `t${asked}`, expiresAt: Date.now() + lifetimeMs };
    };
    await expect(cache.get("a", fetch(0, true))).rejects.toThrow("refused");
    const [one, two] = await Promise.all([cache.get("a", fetch(3_600_000)), cache.get("a", fetch(3_600_000))]);
    expect([one, two, asked]).toEqual(["t2", "t2", 2]);
    cache.forget("a");
    expect(await cache.get("a", fetch(60_000))).toBe("t3");
    expect(await cache.get("a", fetch(3_600_000))).toBe("t4");
    expect(await cache.get("a", fetch(3_600_000))).toBe("t4");
  });
});
