import { describe, expect, it } from "vitest";
import { configRelativePath, parseSopsConfig, type LoadedConfig } from "@hush/core";

/**
 * The path a creation rule's `path_regex` is matched against, as SOPS computes it
 * (config/config.go parseCreationRuleForFile): the file's absolute path with the config's
 * absolute directory and a separator cut off its start (strings.TrimPrefix), else the whole
 * absolute path.
 */

async function configAt(path: string, dir: string): Promise<LoadedConfig> {
  return { path, dir, config: await parseSopsConfig("creation_rules:\n  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n") };
}

describe("the path a creation rule is matched against", () => {
  it("is relative to the config's directory, names that start with two dots included", async () => {
    const loaded = await configAt("/repo/.sops.yaml", "/repo");
    expect(configRelativePath(loaded, "secrets/a.yaml", "/repo")).toBe("secrets/a.yaml");
    expect(configRelativePath(loaded, "..data.yaml", "/repo")).toBe("..data.yaml");
    expect(configRelativePath(loaded, "/repo/..data/a.yaml", "/elsewhere")).toBe("..data/a.yaml");
  });

  it("is the absolute path for a file outside the config's directory", async () => {
    const loaded = await configAt("/repo/.sops.yaml", "/repo");
    expect(configRelativePath(loaded, "../other/a.yaml", "/repo")).toBe("/other/a.yaml");
    expect(configRelativePath(loaded, "/repository/a.yaml", "/")).toBe("/repository/a.yaml");
  });

  it("is the absolute path under a config in the root directory, whose directory and separator (//) start no path", async () => {
    // A container's /.sops.yaml: SOPS matches /app/secrets/a.yaml, so `^/app/` is the rule that works with it.
    const loaded = await configAt("/.sops.yaml", "/");
    expect(configRelativePath(loaded, "secrets/a.yaml", "/app")).toBe("/app/secrets/a.yaml");
    expect(configRelativePath(loaded, "/a.yaml", "/")).toBe("/a.yaml");
  });
});
