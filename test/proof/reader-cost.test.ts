import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, runHush, type HushResult } from "@hush/testkit";

/**
 * What reading an outsider's file costs the commands a reviewer and CI run on it (`decrypt`,
 * and for files under textconv's 1 MiB the review diff's `git textconv`), and what editing one
 * costs (`hush set` on a file checked out from another branch). Each file below took
 * hush more than a minute to read (work quadratic or cubic in the file); each run here must
 * finish within RUN_LIMIT_MS, several times what it takes now, and give exactly the file's values.
 */

/** A bound on one run, not a measure: far above the seconds these take, far below the minutes they took. */
const RUN_LIMIT_MS = 60_000;

let dir: { path: string; cleanup: () => void };
let keyFile: string;
let recipient: string;

beforeAll(() => {
  dir = makeTempDir("hush-reader-cost-");
  mkdirSync(join(dir.path, "out"));
  mkdirSync(join(dir.path, "json"));
  keyFile = join(dir.path, "key.txt");
  const kg = runHush(["keygen", "-o", keyFile]);
  expect(kg.status).toBe(0);
  recipient = /Public key: (age1[a-z0-9]+)/.exec(kg.stderr)![1]!;
});
afterAll(() => dir.cleanup());

const hush = (args: string[]): HushResult => runHush(args, { cwd: dir.path, env: { SOPS_AGE_KEY_FILE: keyFile }, timeoutMs: RUN_LIMIT_MS });

/**
 * Encrypts `plaintext` as `name` (in place: the files are larger than a pipe's buffer here) and
 * checks that decrypt, and textconv unless `review` is false, give it back.
 */
function expectReadBack(name: string, plaintext: string, review = true): void {
  const file = `${name}.yaml`;
  writeFileSync(join(dir.path, file), plaintext);
  const enc = hush(["encrypt", "-i", "--age", recipient, file]);
  expect(enc.stderr).toBe("");
  expect(enc.status).toBe(0);
  const dec = hush(["decrypt", "--output-dir", "out", file]);
  expect(dec.stderr).toBe("");
  expect(readFileSync(join(dir.path, "out", file), "utf8")).toBe(plaintext);
  if (!review) return;
  expect(statSync(join(dir.path, file)).size).toBeLessThan(1024 * 1024);
  const diff = hush(["git", "textconv", file]);
  expect(diff.status).toBe(0);
  expect(diff.stdout.endsWith(plaintext)).toBe(true);
}

describe("YAML files whose reading cost grew faster than the file", () => {
  it("9,500 aliases, each to its own anchor, among 20,000 other values (each alias searched the whole document for its anchor)", () => {
    const n = 9_500;
    const anchors = Array.from({ length: n }, (_, i) => `k${i}_unencrypted: &a${i} v\n`).join("");
    const aliases = Array.from({ length: n }, (_, i) => `r${i}_unencrypted: *a${i}\n`).join("");
    const others = Array.from({ length: 20_000 }, (_, i) => `p${i}_unencrypted: v\n`).join("");
    expectReadBack("aliases", `${anchors}${aliases}${others}secret: PTX-alias\n`);
  });

  it("a block of 3,000 comments before 3,000 lists at its column (each comment was compared with every list, reading the text between)", () => {
    const n = 3_000;
    const lists = Array.from({ length: n }, (_, i) => `k${i}_unencrypted:\n- v${i}\n`).join("");
    expectReadBack("comments", `secret: &s PTX-comments\n${"# note\n".repeat(n)}${lists}`);
  });

  it("200,000 values on a line after a 2 MB value (each value searched back for the start of its line)", () => {
    const values = Array(200_000).fill("1").join(",");
    expectReadBack("long-line", `secret: &s PTX-line\nl_unencrypted: ["${"x".repeat(2_000_000)}",${values}]\n`, false);
  });
});

describe("YAML streams whose writing cost grew faster than the file", () => {
  it("20,000 documents, as `helm template` writes a chart's resources (each document's metadata block copied the whole text written before it)", () => {
    const stream = Array.from({ length: 20_000 }, (_, i) => `---\nkind: ConfigMap\nname_unencrypted: c${i}\n`).join("");
    expectReadBack("stream", `${stream}---\nsecret: PTX-stream\n`, false);
  });
});

describe("INI files whose reading cost grew faster than the file", () => {
  it("150,000 sections (each header searched every section before it for an earlier one of its name, the value tree every value for each section)", () => {
    const sections = Array.from({ length: 150_000 }, (_, i) => `[s${i}]\nk_unencrypted = v${i}\n`).join("");
    const file = "sections.ini";
    writeFileSync(join(dir.path, file), `secret = PTX-ini\n${sections}`);
    expect(hush(["encrypt", "-i", "--age", recipient, file]).stderr).toBe("");
    const dec = hush(["decrypt", "--output-dir", "out", file]);
    expect(dec.stderr).toBe("");
    expect(readFileSync(join(dir.path, "out", file), "utf8")).toBe(`secret = PTX-ini\n${sections}`);
    // Converting reads the value tree, which went over every value once per section.
    const json = hush(["decrypt", "--output-type", "json", "--output-dir", "json", file]);
    expect(json.stderr).toBe("");
    const tree = JSON.parse(readFileSync(join(dir.path, "json", file), "utf8")) as Record<string, Record<string, string>>;
    expect(Object.keys(tree)).toHaveLength(150_001);
    expect(tree["s149999"]).toEqual({ k_unencrypted: "v149999" });
  });

  it('a """ value left open for 500,000 lines is refused at its line (each line searched back to the opening delimiter)', () => {
    writeFileSync(join(dir.path, "open.enc.ini"), `[s]\nk = """x\n${"y\n".repeat(500_000)}`);
    const r = hush(["decrypt", "open.enc.ini"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hush: open.enc.ini: invalid INI: unterminated """ value at line 2\n');
  });
});

describe("TOML files whose editing cost grew faster than the file (`hush set` on a file from another branch)", () => {
  /** Encrypts `plaintext` as `file`, sets `["a"]["z"]` to "v" and checks the decrypted result is `expected`. */
  function expectSetGives(file: string, plaintext: string, expected: string): void {
    writeFileSync(join(dir.path, file), plaintext);
    expect(hush(["encrypt", "-i", "--age", recipient, file]).stderr).toBe("");
    const set = hush(["set", file, '["a"]["z"]', '"v"']);
    expect(set.stderr).toBe("");
    expect(set.status).toBe(0);
    const dec = hush(["decrypt", "--output-dir", "out", file]);
    expect(dec.stderr).toBe("");
    expect(readFileSync(join(dir.path, "out", file), "utf8")).toBe(expected);
  }

  it("a new key in a section ended by 400,000 blank lines (the text before them was tested again for each)", () => {
    const blank = "\n".repeat(400_000);
    expectSetGives("blank.toml", `[a]\nx = "PTX-toml"\n${blank}[b]\ny = 2\n`, `[a]\nx = "PTX-toml"\nz = "v"\n${blank}[b]\ny = 2\n`);
  });
});
