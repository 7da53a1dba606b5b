import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * A decrypted YAML string must read back as itself, whatever line breaks and spaces it holds and
 * however the encrypted file is laid out: SOPS writes `key: ENC[…]` unquoted, so hush writes a
 * multi-line value there as a literal block, whose header (indentation indicator, chomping) and
 * surroundings decide what a reader gets. Each case runs the real CLI and reads its output back
 * with the real CLI: `decrypt` (span scanner, and the general parser), `--extract`, `exec-env`.
 */

/** Break-only, space-led and space-trailing values, and characters go-yaml treats as breaks. */
const EDGE_VALUES = [
  "\n", "\n\n", "\n\n\n", " \n", "a\n\n", "\n a", " a\nb", "a\n", "a\nb", "a\n b\n", "\na\n", " \n a", "a\n\n\nb\n\n",
  "\t\na", "a\tb\n", "a \nb", "a\nb ", "x\n\u2028", "a\u2028\nb", "\u0085\n", "a\u2029\n", "a\r\nb\n", "\r\n", "\r", "\u{1F600}\n",
  "\ufeff\n", "#\n", "- a\n", "a: b\n", "|\n", "  \n\n", "\n\n a\n\n",
];

/** More values from a small alphabet of breaks, spaces and text (a fixed seed: the same every run). */
function generatedValues(count: number): string[] {
  const units = ["\n", "\n", " ", "a", "\t", "#", "\u2028", "b c"];
  let seed = 0x2f6e2b1;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(Array.from({ length: 1 + next(6) }, () => units[next(units.length)]).join(""));
  return out;
}

const VALUES = [...EDGE_VALUES, ...generatedValues(40)];
const q = (v: string): string => JSON.stringify(v);

/** Each value as a top-level value (K<i>), a nested map value, a list item and a map value in a list. */
const PLAINTEXT =
  VALUES.map((v, i) => `K${i}: ${q(v)}\n`).join("") +
  "n:\n" + VALUES.map((v, i) => `    K${i}: ${q(v)}\n`).join("") +
  "s:\n" + VALUES.map((v) => `    - ${q(v)}\n`).join("") +
  "m:\n" + VALUES.map((v, i) => `    - K${i}: ${q(v)}\n      J: x\n`).join("");

const EXPECTED: Record<string, unknown> = {
  ...Object.fromEntries(VALUES.map((v, i) => [`K${i}`, v])),
  n: Object.fromEntries(VALUES.map((v, i) => [`K${i}`, v])),
  s: VALUES,
  m: VALUES.map((v, i) => ({ [`K${i}`]: v, J: "x" })),
};

/** The layout SOPS writes: envelopes unquoted (hush keeps the plaintext's quoting). */
const sopsLayout = (encrypted: string): string => encrypted.replace(/"(ENC\[[^"]*\])"/g, "$1");

describe("YAML values made of line breaks and spaces survive decryption", () => {
  let k: KeyedDir;
  let layouts: Record<string, string>;
  beforeAll(() => {
    k = keyedDir();
    const plain = k.path("plain.yaml");
    writeFileSync(plain, PLAINTEXT);
    const enc = k.hush(["encrypt", "--age", k.recipient, plain]);
    expect(enc.status, enc.stderr).toBe(0);
    layouts = {
      "hush's layout": enc.stdout,
      "SOPS's layout": sopsLayout(enc.stdout),
      // A document marker makes the span scanner decline: the general parser reads the file.
      "SOPS's layout, general parser": `---\n${sopsLayout(enc.stdout)}`,
    };
  });
  afterAll(() => k.cleanup());

  /** Reads a decrypted YAML text back through hush (encrypt it, decrypt it to JSON). */
  function readBack(name: string, yamlText: string): unknown {
    const file = k.path(`${name}.yaml`);
    writeFileSync(file, yamlText);
    const enc = k.hush(["encrypt", "-i", "--age", k.recipient, file]);
    expect(enc.status, enc.stderr).toBe(0);
    const json = k.hush(["decrypt", "--output-type", "json", file]);
    expect(json.status, json.stderr).toBe(0);
    return JSON.parse(json.stdout);
  }

  it.each(["hush's layout", "SOPS's layout", "SOPS's layout, general parser"])("decrypt output reads back as the values (%s)", (layout) => {
    const file = k.path(`enc-${layouts[layout]!.length}.yaml`);
    writeFileSync(file, layouts[layout]!);
    const dec = k.hush(["decrypt", file]);
    expect(dec.status, dec.stderr).toBe(0);
    expect(readBack(`back-${layouts[layout]!.length}`, dec.stdout)).toEqual(EXPECTED);
  });

  it("a value that is one line break, in SOPS's layout, decrypts to a keep-chomped block (go-yaml's header)", () => {
    const file = k.path("one-break.yaml");
    writeFileSync(file, layouts["SOPS's layout"]!);
    const dec = k.hush(["decrypt", file]);
    expect(dec.stdout.startsWith(`K0: |4+\n\nK1: |4+\n\n\nK2: |4+\n\n\n\nK3: " \\n"\nK4: |+\n    a\n\nK5: |4-\n\n     a\n`)).toBe(true);
  });

  it("--extract of a subtree and of a string gives the values (SOPS's layout)", () => {
    const file = k.path("extract.yaml");
    writeFileSync(file, layouts["SOPS's layout"]!);
    const sub = k.hush(["decrypt", "--extract", '["n"]', file]);
    expect(sub.status, sub.stderr).toBe(0);
    expect(readBack("extract-n", sub.stdout)).toEqual(EXPECTED["n"]);
    const item = k.hush(["decrypt", "--extract", '["m"][5]', file]);
    expect(item.status, item.stderr).toBe(0);
    expect(item.stdout).toBe("K5: |4-\n\n     a\nJ: x\n");
    for (const i of [0, 1, 4, 5]) {
      const one = k.hush(["decrypt", "--extract", `["n"]["K${i}"]`, file]);
      expect(one.status, one.stderr).toBe(0);
      expect(one.stdout).toBe(VALUES[i]);
    }
  });

  it("exec-env gives each top-level value (SOPS's layout)", () => {
    const file = k.path("env.yaml");
    writeFileSync(file, VALUES.map((v, i) => `K${i}: ${q(v)}\n`).join(""));
    const enc = k.hush(["encrypt", "--age", k.recipient, file]);
    expect(enc.status, enc.stderr).toBe(0);
    writeFileSync(file, sopsLayout(enc.stdout));
    const script = k.path("dump.cjs");
    writeFileSync(script, `process.stdout.write(JSON.stringify(${JSON.stringify(VALUES.map((_, i) => `K${i}`))}.map((n) => process.env[n])))`);
    const r = k.hush(["exec-env", file, `"${process.execPath}" "${script}"`]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(VALUES);
  });

  it("a literal block never takes in what follows the value: empty lines, deeper comments, a line comment", () => {
    const file = k.path("follow.yaml");
    const lines = sopsLayout(layouts["hush's layout"]!).split("\n");
    // K4 is "a\n\n" (a keep-chomped block), K7 is "a\n" (clip), K8 is "a\nb" (strip).
    const at = (key: string): number => lines.findIndex((l) => l.startsWith(`${key}: `));
    lines.splice(at("K5"), 0, "", "");
    lines.splice(at("K8"), 0, "        # deeper than the body of K7");
    lines[at("K8")] += " # a line comment";
    writeFileSync(file, lines.join("\n"));
    const dec = k.hush(["decrypt", file]);
    expect(dec.status, dec.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("# a line comment");
    const back = readBack("follow-back", dec.stdout) as Record<string, unknown>;
    expect([back["K4"], back["K7"], back["K8"]]).toEqual([VALUES[4], VALUES[7], VALUES[8]]);
    expect(back).toEqual(EXPECTED);
  });

  it("a folded block's empty lines decrypt to the same value", () => {
    const file = k.path("folded.yaml");
    writeFileSync(file, "K: >\n    a\n\n\n    b\n    c\nJ: x\n");
    expect(k.hush(["encrypt", "-i", "--age", k.recipient, file]).status).toBe(0);
    const dec = k.hush(["decrypt", file]);
    expect(dec.stdout).toBe("K: >\n    a\n\n\n    b c\nJ: x\n");
    expect(readBack("folded-back", dec.stdout)).toEqual({ K: "a\n\nb c\n", J: "x" });
  });
});

/**
 * A block scalar's header (`|+`, `|-`, an indentation indicator) stays in the encrypted file in
 * plaintext, outside the MAC. A pull request can change it without the key; decryption must then
 * refuse rather than print a value that is not the one the MAC covers.
 */
describe("a changed block header is refused, not printed", () => {
  let k: KeyedDir;
  let file: string;
  beforeAll(() => {
    k = keyedDir();
    file = encryptFile(k, "cert.yaml", "cert: |+\n    -----BEGIN-----\n    abc\n    -----END-----\n\nnext: x\n");
  });
  afterAll(() => k.cleanup());

  it("decrypt, --extract, exec-env and the review diff's textconv stop with the key path and line, and print no value", () => {
    const honest = k.hush(["decrypt", file]);
    expect(honest.status, honest.stderr).toBe(0);
    expect(honest.stdout).toBe("cert: |+\n    -----BEGIN-----\n    abc\n    -----END-----\n\nnext: x\n");
    const tampered = k.path("tampered.yaml");
    writeFileSync(tampered, readFileSync(file, "utf8").replace("cert: |+\n", "cert: |-\n"));
    for (const args of [["decrypt", tampered], ["decrypt", "--extract", '["cert"]', tampered], ["exec-env", tampered, "--", process.execPath, "-e", "0"]]) {
      const r = k.hush(args);
      expect(r.status, args.join(" ")).toBe(25);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain('the block header of the value at ["cert"] (line 1) does not hold its decrypted value');
      expect(r.stderr).not.toContain("abc");
    }
    const view = k.hush(["git", "textconv", tampered]);
    expect(view.stdout).toContain("# hush: WARNING: this file does not decrypt: the block header of the value at [\"cert\"] (line 1)");
    expect(view.stdout).not.toContain("abc");
  });
});
