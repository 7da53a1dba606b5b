import { describe, expect, it } from "vitest";
import { HushError, isHushError } from "../src/errors.ts";

describe("HushError.withDetails", () => {
  const original = new HushError("KEY_NOT_FOUND", "key not found", {
    location: { keyPath: '["db"]', line: 3 },
    hint: "check the spelling",
    details: ["looked in: db"],
  });

  it("adds lines after the error's own details and keeps code, message, location and hint", () => {
    const copy = original.withDetails(["next: pass --idempotent"]);
    expect(isHushError(copy, "KEY_NOT_FOUND")).toBe(true);
    expect(copy.message).toBe("key not found");
    expect(copy.location).toEqual({ keyPath: '["db"]', line: 3 });
    expect(copy.hint).toBe("check the spelling");
    expect(copy.details).toEqual(["looked in: db", "next: pass --idempotent"]);
    expect(copy.located).toBe(false);
    expect(copy.cause).toBe(original);
  });

  it("leaves the original as it was", () => {
    original.withDetails(["next: something"]);
    expect(original.details).toEqual(["looked in: db"]);
  });

  it("gives an error without details the new lines only, and no hint or location it did not have", () => {
    const copy = new HushError("CONFIG_NO_MATCH", "no matching creation rules found for x.yaml").withDetails(["next: add a rule"]);
    expect(copy.details).toEqual(["next: add a rule"]);
    expect(copy.hint).toBeUndefined();
    expect(copy.location).toBeUndefined();
  });

  it("marks the copy located when asked, so withFile leaves it as it is", () => {
    const bare = new HushError("CONFIG_NO_MATCH", "no matching creation rules found for x.yaml");
    const located = bare.withDetails(["next: add a rule"], { located: true });
    expect(located.located).toBe(true);
    expect(located.withFile("x.yaml")).toBe(located);
    // Without the option, the copy is as located as the original: withFile still names the file.
    expect(bare.withDetails(["next: add a rule"]).withFile("x.yaml").location).toEqual({ file: "x.yaml" });
  });

  it("keeps the file withFile added", () => {
    const copy = new HushError("KEY_NOT_FOUND", "key not found").withFile("a.yaml").withDetails(["next: x"]);
    expect(copy.location).toEqual({ file: "a.yaml" });
    expect(copy.withFile("b.yaml").location).toEqual({ file: "a.yaml" });
  });
});
