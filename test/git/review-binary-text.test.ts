import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, hush, type Sandbox } from "./helpers.ts";

/**
 * The review view of a binary-format file whose bytes are UTF-8 text (a note, a PEM with a
 * comment): its characters are shown as they are, and only control or invisible characters are
 * escaped, as in the text formats. Read byte by byte, the second byte of `€` (0x82) or of `í`
 * (0xad, a soft hyphen) would be escaped in the middle of a character.
 */

const WARNING_LINE = "# hush: WARNING: the text below holds control or invisible characters, shown escaped (\\xNN, \\uNNNN); programs get the characters themselves";

let sb: Sandbox;

beforeAll(() => {
  sb = createSandbox();
});

afterAll(() => sb.cleanup());

/** The textconv view of `plain` encrypted as a binary-format file. */
function viewOf(name: string, plain: Buffer): Buffer {
  writeFileSync(join(sb.dir, name), plain);
  const enc = hush(sb, ["encrypt", "-i", "--input-type", "binary", "--output-type", "binary", "--age", sb.recipient, name], { cwd: sb.dir, env: sb.keylessEnv });
  expect(enc.status, enc.stderr).toBe(0);
  const r = hush(sb, ["git", "textconv", name], { cwd: sb.dir });
  expect(r.status, r.stderr).toBe(0);
  return Buffer.from(r.stdout, "utf8");
}

describe("the review view of a binary file holding UTF-8 text", () => {
  it("shows its characters as they are, without a warning", () => {
    const plain = Buffer.from("price: 5 € — café, días\r\n", "utf8");
    const out = viewOf("note.bin", plain);
    expect(out.subarray(out.length - plain.length)).toEqual(plain);
    expect(out.toString("utf8")).not.toContain("WARNING");
  });

  it("escapes the control and invisible characters in it, under the warning", () => {
    const out = viewOf("evil.bin", Buffer.from("name: \u202eabc € x\u001b]52;c;eA==\u0007\n", "utf8")).toString("utf8");
    expect(out.split("\n")).toContain(WARNING_LINE);
    expect(out.split("\n")).toContain("name: \\u202eabc € x\\x1b]52;c;eA==\\x07");
  });
});
