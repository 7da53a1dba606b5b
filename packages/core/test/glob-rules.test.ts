import { describe, expect, it } from "vitest";
import { findCreationRule, isHushError, parseSopsConfig } from "@hush/core";

const AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

/** The details of the error `findCreationRule` throws for `path` under one rule with `pathRegex`. */
async function detailsFor(pathRegex: string, path: string): Promise<readonly string[] | undefined> {
  const config = await parseSopsConfig(`creation_rules:\n  - path_regex: ${JSON.stringify(pathRegex)}\n    age: ${AGE}\n`);
  try {
    await findCreationRule(config, path);
  } catch (err) {
    if (!isHushError(err)) throw err;
    return err.details ?? [];
  }
  throw new Error(`${pathRegex} matched ${path}`);
}

describe("a path_regex written as a glob", () => {
  it("that matches no file gets the regular expression matching what the glob would", async () => {
    for (const [glob, path, regex] of [
      ["secrets/*.yaml", "secrets/a.yaml", "^secrets/[^/]*\\.yaml$"],
      ["config/*/app.enc.json", "config/web/app.enc.json", "^config/[^/]*/app\\.enc\\.json$"],
    ] as const) {
      expect(await detailsFor(glob, path), glob).toEqual([`creation_rules[0].path_regex ${JSON.stringify(glob)} is RE2 syntax, not a glob: ${JSON.stringify(regex)} matches ${path}`]);
    }
  });

  it("says nothing when the glob would not match either, or the pattern is no glob", async () => {
    expect(await detailsFor("secrets/*.yaml", "other/a.yaml")).toEqual([]);
    expect(await detailsFor("secrets/*.yaml", "secrets/sub/a.yaml")).toEqual([]);
    expect(await detailsFor("^prod/.*\\.yaml$", "secrets/a.yaml")).toEqual([]);
  });

  it("that does not compile names the regular expression to write", async () => {
    for (const [glob, regex] of [
      ["*.yaml", "^[^/]*\\.yaml$"],
      ["config/**/*.enc.json", "^config/(?:.*/)?[^/]*\\.enc\\.json$"],
      ["/secrets/**", "^secrets/.*$"],
    ] as const) {
      const config = await parseSopsConfig(`creation_rules:\n  - path_regex: ${JSON.stringify(glob)}\n    age: ${AGE}\n`);
      const err: unknown = await findCreationRule(config, "a.yaml").catch((e: unknown) => e);
      expect(isHushError(err, "CONFIG_INVALID"), glob).toBe(true);
      expect((err as { details?: readonly string[] }).details, glob).toEqual([`it is RE2 syntax, not a glob: ${JSON.stringify(regex)} matches what the glob ${JSON.stringify(glob)} would`]);
    }
  });
});
