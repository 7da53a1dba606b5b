import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

const NOBODY = 65534;

/** Puts a file at `path` that someone else owns and everyone may read and write (a planted file on a shared machine). */
function plant(path: string): void {
  writeFileSync(path, "planted\n");
  chmodSync(path, 0o666);
  // Only root may give a file away; as another user the file stays ours and the mode is the test.
  if (process.getuid?.() === 0) chownSync(path, NOBODY, NOBODY);
}

describe("plaintext never inherits the owner or mode of a file already at the output path", () => {
  let k: KeyedDir;
  let secret: string;
  beforeAll(() => {
    k = keyedDir();
    secret = encryptFile(k, "e.yaml", "password: hunter2\n");
  });
  afterAll(() => k.cleanup());

  it("decrypt --output over a planted world-writable file writes a 0600 file owned by the caller", () => {
    const out = k.path("plain.out");
    plant(out);
    const r = k.hush(["decrypt", "--output", out, secret]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("password: hunter2\n");
    const st = statSync(out);
    expect((st.mode & 0o7777).toString(8)).toBe("600");
    expect(st.uid).toBe(process.getuid?.());
  });

  it("decrypt -i turns a shared ciphertext file into a 0600 plaintext file owned by the caller", () => {
    const f = encryptFile(k, "inplace.yaml", "password: hunter2\n");
    chmodSync(f, 0o644);
    if (process.getuid?.() === 0) chownSync(f, NOBODY, NOBODY);
    const r = k.hush(["decrypt", "-i", f]);
    expect(r.status, r.stderr).toBe(0);
    const st = statSync(f);
    expect((st.mode & 0o7777).toString(8)).toBe("600");
    expect(st.uid).toBe(process.getuid?.());
  });

  it("rewrites of ciphertext (encrypt -i, set) keep the file's mode and owner", () => {
    const f = k.path("kept.yaml");
    writeFileSync(f, "a: b\n");
    chmodSync(f, 0o640);
    if (process.getuid?.() === 0) chownSync(f, NOBODY, NOBODY);
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    expect(k.hush(["set", f, '["a"]', '"c"']).status).toBe(0);
    const st = statSync(f);
    expect((st.mode & 0o7777).toString(8)).toBe("640");
    if (process.getuid?.() === 0) expect(st.uid).toBe(NOBODY);
  });
});

describe("a file to write in a directory that does not exist", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("decrypt --output and edit name the missing directory, instead of a bare ENOENT", () => {
    const secret = encryptFile(k, "e.yaml", "password: hunter2\n");
    const out = k.hush(["decrypt", "--output", "missing/plain.yaml", secret]);
    expect(out.status).toBe(3);
    expect(out.stderr).toBe(`hush: missing/plain.yaml: cannot write (ENOENT): no such directory ${k.path("missing")}; create it first\n`);
    const edit = k.hush(["edit", "--age", k.recipient, "missing/new.yaml"], { env: { EDITOR: "/bin/false" } });
    expect(edit.status).toBe(3);
    expect(edit.stderr).toBe(`hush: missing/new.yaml: cannot write (ENOENT): no such directory ${k.path("missing")}; create it first\n`);
  });
});
