import { describe, expect, it } from "vitest";
import { findLikelySecrets, isScannable } from "@hush/git";

/** The likely-secret scan behind `hush check`: what it reports and what it leaves alone. */

const AWS_ID = ["AKIA", "QYLPMN5HHHFPZAM2"].join("");

describe("findLikelySecrets", () => {
  it("one finding per private key block, none for public key blocks or SSH public keys", () => {
    const pub = ["-----BEGIN PGP PUBLIC KEY BLOCK-----", "mQINBGR7xQ8BEADc3vYk2Lq9ZpW4tN7sXa1bC5dE8fG0hJ2kL4mN6pQ8rS0tU2vW4", "-----END PGP PUBLIC KEY BLOCK-----"].join("\n");
    const priv = ["-----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA3vYk2Lq9ZpW4tN7sXa1bC5dE8fG0hJ2kL4mN6pQ8rS0tU2vW4", "-----END RSA PRIVATE KEY-----"].join("\n");
    const ssh = "authorized: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";
    expect(findLikelySecrets("keys.txt", `${pub}\n${priv}\n${ssh}\n`)).toEqual([{ line: 4, kind: "a private key" }]);
  });

  it("`hush:allow` at the end of a line, or alone on the line above, silences it", () => {
    expect(findLikelySecrets("a.yaml", `id: ${AWS_ID} # hush:allow\n# hush:allow\nother: ${AWS_ID}\nlast: ${AWS_ID}\n`)).toEqual([{ line: 4, kind: "an AWS access key ID" }]);
  });

  it("stays quiet on AWS's documented example key, hex digests, bech32 keys, placeholders and words", () => {
    const text = [
      "id: AKIAIOSFODNN7EXAMPLE",
      "commit: 3f2c1a9e8b7d6c5f4e3d2c1b0a9f8e7d6c5b4a39",
      "recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
      "password: ${DB_PASSWORD}",
      "api_key: <your api key here>",
      "secret_name: my-service-database-credentials",
      "",
    ].join("\n");
    expect(findLikelySecrets("config.yaml", text)).toEqual([]);
  });

  it("entropy rules apply to configuration files; source code gets the known token shapes only", () => {
    const line = 'const password = "q8Zr2LmT0vXk9sWb4NyHc7Pj";\n';
    expect(findLikelySecrets("src/app.ts", line)).toEqual([]);
    expect(findLikelySecrets("app.env", "PASSWORD=q8Zr2LmT0vXk9sWb4NyHc7Pj\n")).toEqual([{ line: 1, kind: "a secret (a high-entropy value under a secret-like name)" }]);
    expect(findLikelySecrets("src/app.ts", `const id = "${AWS_ID}";\n`)).toEqual([{ line: 1, kind: "an AWS access key ID" }]);
  });

  it("names a secret under a long name, and reads a line of one long name without a finding", () => {
    const name = `${"x".repeat(300)}_db_password_${"y".repeat(300)}`;
    expect(findLikelySecrets("app.env", `${name}=q8Zr2LmT0vXk9sWb4NyHc7Pj\n`)).toEqual([{ line: 1, kind: "a secret (a high-entropy value under a secret-like name)" }]);
    expect(findLikelySecrets("app.env", `${"secret".repeat(680)}\n`.repeat(4))).toEqual([]);
  });

  it("a secret-like name inside another name's value is still read as one: `cfg={password:…}`", () => {
    // The value of `cfg` runs over `{password:…`: the name-value pairs a line holds may overlap.
    expect(findLikelySecrets("app.env", "cfg={password:k7mq2vx9wr4tz8pn}\n")).toEqual([{ line: 1, kind: "a secret (a high-entropy value under a secret-like name)" }]);
    expect(findLikelySecrets("app.env", "cfg={user:k7mq2vx9wr4tz8pn}\n")).toEqual([]);
  });

  it("lock files and large files are not scanned", () => {
    expect(isScannable("web/package-lock.json", 100)).toBe(false);
    expect(isScannable("pnpm-lock.yaml", 100)).toBe(false);
    expect(isScannable("config.yaml", 2 * 1024 * 1024)).toBe(false);
    expect(isScannable("config.yaml", 100)).toBe(true);
  });
});
