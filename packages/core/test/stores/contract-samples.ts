import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { KeyPath } from "@hush/core";

/**
 * The documents and edits the store contract suite (contract.test.ts) runs on, one entry per
 * registered format. A new store gets its entry here; the suite fails for a format without one.
 */

const testdata = (name: string): string => readFileSync(fileURLToPath(new URL(`../../../../testdata/sops/${name}`, import.meta.url)), "utf8");
const fixture = (name: string): string => readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), "utf8");

/** An edit of one document and the lines it may touch (1-based, in the original text). */
export interface SampleEdit {
  readonly text: string;
  readonly path: KeyPath;
  /** `set`: the new value as JSON (what `hush set` takes). Absent: `unset`. */
  readonly value?: string;
  /** The original lines the edit replaces or removes: [first, last]; absent for an added entry. */
  readonly lines?: readonly [number, number];
}

export interface ContractSample {
  /** Plaintext documents that must read, write and round-trip unchanged. */
  readonly documents: readonly string[];
  /** A changed scalar: only its line changes. */
  readonly setInPlace: SampleEdit;
  /**
   * A new entry: lines are added (and at most the line before changes, for a separator). Absent:
   * the format has no place for another value.
   */
  readonly add?: SampleEdit;
  /** A removed entry: only its lines go. Absent: removing a value cannot be written (HushError). */
  readonly unset: SampleEdit;
  /** A text that does not parse, and the line its error names. Absent: every text is a document. */
  readonly bad?: { readonly text: string; readonly line: number };
}

const yamlComments = testdata("comments.yaml");
const json = '{\n\t"a": "x",\n\t"list": [\n\t\t1,\n\t\t2.5\n\t],\n\t"nested": {\n\t\t"b": true,\n\t\t"c": null\n\t}\n}\n';
const dotenv = fixture("dotenv/tricky.env");
const ini = fixture("ini/tricky.ini");
const toml = fixture("toml/tricky.toml");

export const SAMPLES: Readonly<Record<string, ContractSample>> = {
  yaml: {
    documents: [yamlComments, testdata("plainfile.yaml"), testdata("comments_list.yaml"), "a:\n  b: [1, 2]\n  c: 'single'\n---\nsecond: doc\n", "k: v\r\nl:\r\n  - 1\r\n"],
    setInPlace: { text: yamlComments, path: ["lorem"], value: '"changed"', lines: [2, 2] },
    add: { text: yamlComments, path: ["added"], value: '"new"' },
    unset: { text: "a: 1\n# about b\nb:\n    c: 2\n    d: [3]\nlast: x\n", path: ["b"], lines: [3, 5] },
    bad: { text: "a: 1\nb: c: d\n", line: 2 },
  },
  json: {
    documents: [json, '{\n  "two": "spaces",\n  "n": [\n    {}\n  ]\n}\n', '{"one": "line"}'],
    setInPlace: { text: json, path: ["a"], value: '"changed"', lines: [2, 2] },
    add: { text: '{\n\t"a": "x"\n}\n', path: ["b"], value: "2" },
    unset: { text: json, path: ["list"], lines: [3, 6] },
    bad: { text: '{\n  "a": 1,\n  "a": 2\n}\n', line: 3 },
  },
  dotenv: {
    documents: [dotenv, "A=1\r\nB='two'\r\n"],
    // `DB_PORT = 5432` and `export API_KEY=…`: the tree's names differ from SOPS's raw keys.
    setInPlace: { text: dotenv, path: ["DB_PORT"], value: '"5433"', lines: [3, 3] },
    add: { text: dotenv, path: ["NEW_KEY"], value: '"new"' },
    unset: { text: dotenv, path: ["API_KEY"], lines: [4, 4] },
    bad: { text: "A=1\n=oops\n", line: 2 },
  },
  ini: {
    documents: [ini, "[s]\nk = v\n"],
    setInPlace: { text: ini, path: ["database", "host"], value: '"db.internal"', lines: [7, 7] },
    add: { text: ini, path: ["database", "new_key"], value: '"new"' },
    unset: { text: ini, path: ["paths", "windows"], lines: [22, 22] },
    bad: { text: "a = 1\n[broken\n", line: 2 },
  },
  toml: {
    documents: [toml, '[t]\nk = "v"\n'],
    setInPlace: { text: toml, path: ["neg"], value: "-18", lines: [7, 7] },
    add: { text: toml, path: ["added"], value: '"new"' },
    unset: { text: toml, path: ["pi"], lines: [13, 13] },
    bad: { text: "a = 1\nb = \n", line: 2 },
  },
  binary: {
    documents: ["line one\nline two\n", "\u0000\u00ff no final newline", ""],
    setInPlace: { text: "one line\n", path: ["data"], value: '"another line\\n"', lines: [1, 1] },
    unset: { text: "one line\n", path: ["data"] },
  },
};
