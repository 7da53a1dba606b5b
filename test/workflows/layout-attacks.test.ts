import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, tamperWith, type KeyedDir } from "./helpers.ts";

/**
 * Attacks by someone without the key who edits an encrypted file's text around its envelopes (a
 * pull request): the MAC covers decrypted values only, so whatever they change must never make
 * decrypt, --extract, exec-env or the review diff show a key or value that is not one of the
 * authenticated values, with exit status 0. Each case encrypts with the real CLI, edits the bytes
 * as an attacker would, and runs the real CLI on the result.
 */

const ENVELOPE = /ENC\[AES256_GCM,[^\]]*\]/;

/** The variables a command run by `hush exec-env` sees, of those named in `names`. */
function execEnv(k: KeyedDir, file: string, names: readonly string[]): { status: number; env: unknown; stderr: string } {
  const script = `process.stdout.write(JSON.stringify(Object.fromEntries(${JSON.stringify(names)}.filter((n) => n in process.env).map((n) => [n, process.env[n]]))))`;
  const r = k.hush(["exec-env", file, "--", process.execPath, "-e", script]);
  return { status: r.status, env: r.status === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

describe("YAML: a value's envelope copied into a comment", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  // A comment's AAD is the path of the collection holding it, which a list item's value shares
  // (SOPS leaves list indexes out of the AAD); the type label is not authenticated. The copy
  // decrypts, and the line break in the value would make its second line a key of the document.
  it("is refused (exit 25) instead of turning the value's second line into a key", () => {
    const f = encryptFile(k, "list.yaml", 'hosts:\n  - "db1\\nadmin: true"\n  - db2\nport: 5432\n');
    // The type label is relabelled too, as a comment's envelope has it.
    const tampered = tamperWith(f, (t) => t.replace(/\nport:/, `\n  #${ENVELOPE.exec(t)![0].replace("type:str", "type:comment")}\nport:`));

    // Without the key, `hush check` sees a value's IV in a comment.
    const check = k.hush(["check", f]);
    expect(check.stdout).toContain("list.yaml:4: error: comment in [\"hosts\"] (line 4): the ciphertext of the value at line 2 (one IV in both)");
    expect(check.status).toBe(1);

    for (const args of [["decrypt", f], ["decrypt", "--extract", '["admin"]', f]]) {
      const r = k.hush(args);
      expect(r.stdout, args.join(" ")).not.toMatch(/^admin: true$/m);
      expect(r.stdout, args.join(" ")).not.toBe("true");
      expect(r.stderr, args.join(" ")).toContain("line 4");
      expect(r.status, args.join(" ")).toBe(25);
    }
    expect(execEnv(k, f, ["admin", "hosts"])).toMatchObject({ status: 25, env: undefined });
    // The review diff shows the file without values, under a warning that it does not decrypt.
    const view = k.hush(["git", "textconv", f]);
    expect(view.status).toBe(0);
    expect(view.stdout).toContain("WARNING: this file does not decrypt: the encrypted comment at line 4");
    expect(view.stdout).not.toMatch(/^admin: true$/m);

    const inPlace = k.hush(["decrypt", "-i", f]);
    expect(inPlace.status).toBe(25);
    expect(readFileSync(f, "utf8")).toBe(tampered);
  });

  it("equal items of one list with one ciphertext, as SOPS's edits leave them, pass `hush check`", () => {
    // SOPS reuses an IV for the same plaintext at the same AAD, and list indexes are not in it.
    const f = encryptFile(k, "equal.yaml", "hosts:\n  - db1\n  - db1\n");
    tamperWith(f, (t) => {
      const [first, second] = t.match(new RegExp(ENVELOPE.source, "g"))!;
      return t.replace(second!, first!);
    });
    const check = k.hush(["check", "--verify", f]);
    expect(check.stdout).not.toContain("copied-ciphertext");
    expect(check.status, check.stdout).toBe(0);
  });

  it("an honest file's encrypted comments still decrypt", () => {
    const plain = "# top\nhosts:\n  # the primary\n  - db1\n  - db2 # spare\nport: 5432\n";
    const f = encryptFile(k, "comments.yaml", plain);
    expect(readFileSync(f, "utf8")).not.toContain("the primary");
    const d = k.hush(["decrypt", f]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toBe(plain);
    const check = k.hush(["check", f]);
    expect(check.status, check.stdout).toBe(0);
  });
});

describe("YAML: a plain envelope written back as a block at the end of the data", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  // SOPS writes `KEY: ENC[…]` unquoted; a multi-line value goes back as a literal block, whose
  // last line break is the one after the envelope. Without a final line break in the file, the
  // metadata block's removal takes that one too, and `|+` of "x\n\n" would read "x\n".
  for (const [name, value] of [["two final breaks", "x\n\n"], ["a lone break", "\n"], ["one final break", "tail\n"]] as const) {
    it(`keeps ${name} when the quotes and the file's final line break are removed`, () => {
      const f = encryptFile(k, `eof-${name.replace(/ /g, "-")}.yaml`, `OTHER: ok\nKEY: ${JSON.stringify(value)}\n`);
      tamperWith(f, (t) => t.replace(/"(ENC\[[^\]]*\])"/, "$1").replace(/\n$/, ""));

      const json = k.hush(["decrypt", "--output-type", "json", f]);
      expect(json.status, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ OTHER: "ok", KEY: value });

      const extract = k.hush(["decrypt", "--extract", '["KEY"]', f]);
      expect(extract.status, extract.stderr).toBe(0);
      expect(extract.stdout).toBe(value);

      expect(execEnv(k, f, ["KEY", "OTHER"])).toEqual({ status: 0, env: { OTHER: "ok", KEY: value }, stderr: "" });
    });
  }
});
