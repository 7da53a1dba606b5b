import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "@hush/testkit";
import { hush, makeAgeKey, type AgeKey } from "./helpers.ts";

/**
 * Writing into a file whose encryption rule a branch changed. Which values a file encrypts is its
 * own `sops` metadata, which no MAC covers: without any key, a branch can add
 * `encrypted_regex: ^password$` to a file that holds only `password`, and it still opens. A key
 * holder's next `set api_key …` (SOPS's too) then wrote the secret in clear for anyone to read.
 * Where `.sops.yaml`'s rule for the file would encrypt a value the write leaves in clear, the
 * value is listed and asked about before anything is written.
 */

const newValue = "fresh-secret-4a1f";

describe("values a file's own rule would write in clear", () => {
  const tmp = makeTempDir("hush-rule-untrusted-");
  const repo = tmp.path;
  const file = join(repo, "s.yaml");
  let alice: AgeKey;
  let narrowed: string;

  beforeAll(async () => {
    alice = await makeAgeKey(tmp.path, "alice");
    writeFileSync(join(repo, ".sops.yaml"), `creation_rules:\n  - path_regex: \\.yaml$\n    age: ${alice.recipient}\n`);
    writeFileSync(file, "password: hunter2\n");
    const made = await hush(["encrypt", "-i", "s.yaml"], { cwd: repo });
    expect(made.status).toBe(0);
    const honest = readFileSync(file, "utf8");
    expect(honest).toContain("    unencrypted_suffix: _unencrypted\n");
    // The branch's change: no key needed, and the file still opens with its MAC.
    narrowed = honest.replace("    unencrypted_suffix: _unencrypted\n", "    encrypted_regex: ^password$\n");
    writeFileSync(file, narrowed);
    expect((await asAlice(["decrypt", "s.yaml"])).stdout).toBe("password: hunter2\n");
  });
  afterAll(() => tmp.cleanup());

  const asAlice = (args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) =>
    hush(args, { cwd: repo, env: { SOPS_AGE_KEY_FILE: alice.file, ...options.env }, ...(options.input === undefined ? {} : { input: options.input }) });
  const listed = (name: string, line: number): string =>
    `${name}: the file's own encryption rule would write these in clear, where .sops.yaml's rule for this file encrypts them:\n` +
    `    (the file: encrypted_regex: ^password$; .sops.yaml: unencrypted_suffix: _unencrypted)\n` +
    `    ["api_key"] (line ${line})\n`;

  it("set without an answer writes nothing, lists the value and both rules, and says what to do", async () => {
    writeFileSync(file, narrowed);
    const r = await asAlice(["set", "s.yaml", '["api_key"]', JSON.stringify(newValue)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(listed("s.yaml", 2));
    expect(r.stderr).toContain("no file was changed");
    expect(r.stderr).toContain("--yes");
    expect(r.stderr).not.toContain(newValue);
    expect(readFileSync(file, "utf8")).toBe(narrowed);
  });

  it("set: an answer of n writes nothing; --yes writes the value in clear after the listing", async () => {
    writeFileSync(file, narrowed);
    const no = await asAlice(["set", "s.yaml", '["api_key"]', JSON.stringify(newValue)], { input: "n\n" });
    expect(no.status).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(narrowed);
    const yes = await asAlice(["set", "--yes", "s.yaml", '["api_key"]', JSON.stringify(newValue)]);
    expect(yes.status).toBe(0);
    expect(yes.stderr).toContain(listed("s.yaml", 2));
    expect(readFileSync(file, "utf8")).toContain(`api_key: ${newValue}\n`);
  });

  it("a value the file's rule encrypts, or one left in clear by both rules, is not asked about", async () => {
    writeFileSync(file, narrowed);
    const encrypted = await asAlice(["set", "s.yaml", '["password"]', JSON.stringify(newValue)]);
    expect(encrypted.stderr).toBe("");
    expect(encrypted.status).toBe(0);
    const bothClear = await asAlice(["set", "s.yaml", '["host_unencrypted"]', '"db.internal"']);
    expect(bothClear.stderr).toBe("");
    expect(bothClear.status).toBe(0);
  });

  it("edit asks once the text is saved: without an answer the file keeps its values", async () => {
    writeFileSync(file, narrowed);
    const editor = join(repo, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\nprintf 'password: hunter2\\napi_key: ${newValue}\\n' > "$1"\n`, { mode: 0o755 });
    const r = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(listed("s.yaml", 2));
    expect(readFileSync(file, "utf8")).toBe(narrowed);
    // What was typed is not lost: kept encrypted as a whole, as a refused text is.
    expect(r.stderr).toContain("  your text is kept encrypted in s.yaml.unsaved\n");
    expect(readFileSync(`${file}.unsaved`, "utf8")).not.toContain(newValue);
    const kept = await asAlice(["decrypt", "--input-type", "binary", "s.yaml.unsaved"]);
    expect(kept.stdout).toBe(`password: hunter2\napi_key: ${newValue}\n`);
    rmSync(`${file}.unsaved`);
    const no = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor }, input: "n\n" });
    expect(no.status).not.toBe(0);
    expect(no.stderr).toContain("  your text is kept encrypted in s.yaml.unsaved\n");
    expect(readFileSync(file, "utf8")).toBe(narrowed);
    rmSync(`${file}.unsaved`);
    const yes = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor }, input: "y\n" });
    expect(yes.status).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(`api_key: ${newValue}\n`);
  });

  it("edit asks once per session: a text reopened after the answer (its encryption failed) is listed again, not asked again", async () => {
    writeFileSync(file, narrowed);
    // First save: the value in clear and a top-level sops key, which fails only once encrypting;
    // the second save drops the key.
    const editor = join(repo, "editor-twice.sh");
    const count = join(repo, "editor-runs");
    rmSync(count, { force: true });
    writeFileSync(
      editor,
      `#!/bin/sh\necho run >> '${count}'\nif [ "$(wc -l < '${count}')" -eq 1 ]; then printf 'password: hunter2\\napi_key: ${newValue}\\nsops: 1\\n' > "$1"; else printf 'password: hunter2\\napi_key: ${newValue}\\n' > "$1"; fi\n`,
      { mode: 0o755 },
    );
    // One answer: a second question would find the input ended and write nothing.
    const r = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor }, input: "y\n" });
    expect(r.stderr).toContain('a top-level "sops" key');
    expect(r.stderr.split("Is this okay? (y/n):").length - 1).toBe(1);
    expect(r.stderr.split(listed("s.yaml", 2)).length - 1).toBe(2);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(count, "utf8")).toBe("run\nrun\n");
    expect(readFileSync(file, "utf8")).toContain(`api_key: ${newValue}\n`);
  });

  it("a comment rule counts too: a comment it leaves in clear, and the value under it, are listed", async () => {
    writeFileSync(file, narrowed.replace("    encrypted_regex: ^password$\n", "    unencrypted_comment_regex: ^ ?note\n"));
    const before = readFileSync(file, "utf8");
    expect((await asAlice(["decrypt", "s.yaml"])).stdout).toBe("password: hunter2\n");
    const editor = join(repo, "editor.sh");
    writeFileSync(editor, `#!/bin/sh\nprintf 'password: hunter2\\n# note: rotated\\napi_key: ${newValue}\\n' > "$1"\n`, { mode: 0o755 });
    const r = await asAlice(["edit", "s.yaml"], { env: { EDITOR: editor } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("    (the file: unencrypted_comment_regex: ^ ?note; .sops.yaml: unencrypted_suffix: _unencrypted)\n    a comment in (top level) (line 2)\n    [\"api_key\"] (line 3)\n");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("encrypt --reuse asks about the values the reused file's rule leaves in clear", async () => {
    writeFileSync(file, narrowed);
    writeFileSync(join(repo, "next.yaml"), `password: hunter2\napi_key: ${newValue}\n`);
    const r = await asAlice(["encrypt", "--reuse", "s.yaml", "next.yaml"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(listed("next.yaml", 2));
  });

  it("encrypt --reuse to standard output from a plaintext no creation rule covers is held to the reused file's rule", async () => {
    // `hush encrypt --reuse s.yaml next.plain > s.yaml.new`: no rule names next.plain, and the
    // result, the next version of s.yaml, was written in clear without a question.
    writeFileSync(file, narrowed);
    writeFileSync(join(repo, "next.plain"), `password: hunter2\napi_key: ${newValue}\n`);
    const r = await asAlice(["encrypt", "--reuse", "s.yaml", "--input-type", "yaml", "next.plain"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(listed("s.yaml", 2));
    const yes = await asAlice(["encrypt", "--reuse", "s.yaml", "--input-type", "yaml", "--yes", "next.plain"]);
    expect(yes.status, yes.stderr).toBe(0);
    expect(yes.stderr).toContain(listed("s.yaml", 2));
  });

  it("a file whose rule is .sops.yaml's is not asked about", async () => {
    writeFileSync(file, "password: hunter2\n");
    expect((await asAlice(["encrypt", "-i", "s.yaml"])).status).toBe(0);
    const r = await asAlice(["set", "s.yaml", '["api_key"]', JSON.stringify(newValue)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(file, "utf8")).not.toContain(newValue);
  });
});
