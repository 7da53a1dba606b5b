import { existsSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

describe("hush exec-env and exec-file", () => {
  let k: KeyedDir;
  let flat: string;
  let nested: string;
  beforeAll(() => {
    k = keyedDir();
    flat = encryptFile(k, "flat.yaml", 'A: 1\nB: "two words"\nC: 1.50\nD: true\nN: null\nML: |\n    x\n    y\n# comment\n');
    nested = encryptFile(k, "nested.yaml", "top: v\nmap:\n    k: v\n");
  });
  afterAll(() => k.cleanup());

  it("exec-env puts the top-level values in the command's environment and passes its exit status", () => {
    const r = k.hush(["exec-env", flat, 'printf "%s|%s|%s|%s|%s|%s" "$A" "$B" "$C" "$D" "${N-unset}" "$ML"; exit 7']);
    expect(r.status).toBe(7);
    expect(r.stdout).toBe("1|two words|1.5|true|unset|x\ny\n");
    expect(r.stderr).toBe("");
  });

  it("exec-env keeps hush's environment unless --pristine", () => {
    const kept = k.hush(["exec-env", flat, 'printf "%s" "$HOME"']);
    expect(kept.stdout).toBe("/nonexistent-home");
    const pristine = k.hush(["exec-env", "--pristine", flat, 'printf "%s|%s" "${HOME-none}" "$A"']);
    expect(pristine.stdout).toBe("none|1");
  });

  it("exec-env reads dotenv files in their own dialect", () => {
    const f = k.path("app.env");
    writeFileSync(f, 'X=1\nY="quoted value"\n# note\n');
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, f]).status).toBe(0);
    const r = k.hush(["exec-env", f, 'printf "%s|%s" "$X" "$Y"']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("1|quoted value");
  });

  it("exec-env refuses maps and lists (naming the key, not the value) and wrong argument counts", () => {
    const r = k.hush(["exec-env", nested, "true"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot use complex value in environment; offending key map/);
    expect(k.hush(["exec-env", flat]).status).toBe(1);
    expect(k.hush(["exec-env", flat, "true", "extra"]).status).toBe(1);
  });

  it("a command killed by a signal gives 128 + the signal number", () => {
    expect(k.hush(["exec-env", flat, "kill -TERM $$"]).status).toBe(143);
  });

  it("exec-file hands the command a FIFO holding the plaintext, in a private directory, removed afterwards", () => {
    const r = k.hush(["exec-file", flat, 'ls -ld {} | cut -c1-10; ls -ld "$(dirname {})" | cut -c1-10; cat {}; echo "PATH={}"']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("prw-------");
    expect(lines[1]).toBe("drwx------");
    expect(r.stdout).toContain('A: 1\nB: "two words"\nC: 1.50\n');
    const path = /PATH=(.*)/.exec(r.stdout)![1]!;
    expect(path.endsWith("/tmp-file")).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("exec-file --no-fifo uses a 0600 regular file removed after the command exits, and passes the status", () => {
    const r = k.hush(["exec-file", "--no-fifo", flat, 'ls -l {} | cut -c1-10; head -1 {}; echo "PATH={}"; exit 3']);
    expect(r.status).toBe(3);
    expect(r.stdout.split("\n").slice(0, 2)).toEqual(["-rw-------", "A: 1"]);
    const path = /PATH=(.*)/.exec(r.stdout)![1]!;
    expect(existsSync(path)).toBe(false);
  });

  it("exec-file --output-type json converts (SOPS's functional test), --filename names the file", () => {
    const f = encryptFile(k, "fb.yaml", "foo: bar\nbar: |-\n    baz\n    bam\n");
    const r = k.hush(["exec-file", "--output-type", "json", f, "cat {}"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{\n\t"foo": "bar",\n\t"bar": "baz\\nbam"\n}\n');
    const named = k.hush(["exec-file", "--no-fifo", "--filename", "conf.yaml", f, "basename {}"]);
    expect(named.stdout).toBe("conf.yaml\n");
  });

  it("exec-file refuses --filename values that are paths", () => {
    for (const bad of ["../x", "/etc/passwd", "a/b", ".."]) {
      const r = k.hush(["exec-file", "--filename", bad, flat, "true"]);
      expect(r.status, bad).toBe(1);
      expect(r.stderr).toMatch(/--filename must be a plain file name/);
    }
  });

  it("exec-file returns when the command never opens the FIFO", () => {
    const r = k.hush(["exec-file", flat, "true"]);
    expect(r.status).toBe(0);
  });
});
