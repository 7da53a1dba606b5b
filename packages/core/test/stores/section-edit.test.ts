import { describe, expect, it } from "vitest";
import { editPlaintext, type FileFormat, type KeyPath, type TreeNode } from "@hush/core";

const str = (text: string): TreeNode => ({ kind: "scalar", value: { type: "str", text } });

/**
 * `hush unset` of a whole INI section, TOML table or element of a TOML array of tables takes out
 * that part's lines (its header and the comments above it included) and nothing else. The edit
 * removed the values' lines only, which left the header behind, an empty section or table that
 * the check of the edit refused; the file was then written again from its values, with every
 * comment of the file lost or moved ("was rewritten from its values").
 */

const CASES: ReadonlyArray<{ name: string; format: FileFormat; text: string; path: KeyPath; after: string }> = [
  {
    name: "an INI section between two others, with the comment above its header",
    format: "ini",
    text: "; top comment\n[s]\n; about a\na = 1   ; trailing\n\n; about t\n[t]\nc = 3\n\n[u]\nd = 4\n",
    path: ["t"],
    after: "; top comment\n[s]\n; about a\na = 1   ; trailing\n\n[u]\nd = 4\n",
  },
  {
    name: "the last INI section, with the blank lines before it",
    format: "ini",
    text: "[s]\na = 1 ; keep\n\n[t]\n; inside\nc = 3\n",
    path: ["t"],
    after: "[s]\na = 1 ; keep\n",
  },
  {
    name: "a TOML table, keeping the comment above the next one",
    format: "toml",
    text: '# top\n[a]\nx = 1 # keep me\n\n# about t\n[t]\ny = 2\nz = [\n  1,\n]\n\n# about u\n[u]\nw = "v"\n',
    path: ["t"],
    after: '# top\n[a]\nx = 1 # keep me\n\n# about u\n[u]\nw = "v"\n',
  },
  {
    name: "a TOML table with its sub-tables",
    format: "toml",
    text: "[a]\nx = 1 # keep\n[t]\ny = 2\n[t.sub]\nz = 3\n[b]\nw = 4\n",
    path: ["t"],
    after: "[a]\nx = 1 # keep\n[b]\nw = 4\n",
  },
  {
    name: "an element of a TOML array of tables",
    format: "toml",
    text: "# top\n[[arr]]\nz = 1 # first\n\n[[arr]]\nz = 2 # second\n\n[[arr]]\nz = 3 # third\n",
    path: ["arr", 1],
    after: "# top\n[[arr]]\nz = 1 # first\n\n[[arr]]\nz = 3 # third\n",
  },
  {
    name: "a TOML table written with dotted keys",
    format: "toml",
    text: '# top\n[t]\nc = 1 # c\ndotted.k = "v" # dk\ndotted.j = [\n  2,\n]\n',
    path: ["t", "dotted"],
    after: "# top\n[t]\nc = 1 # c\n",
  },
  {
    name: "the last INI section of a CRLF file, with the blank line before it",
    format: "ini",
    text: "[s]\r\na = 1 ; keep\r\n\r\n[t]\r\nc = 3\r\n",
    path: ["t"],
    after: "[s]\r\na = 1 ; keep\r\n",
  },
  {
    name: "a key of an element of a TOML array of tables",
    format: "toml",
    text: "[[arr]]\nz = 1 # first\ny = 2\n\n[[arr]]\nz = 3\n",
    path: ["arr", 0, "y"],
    after: "[[arr]]\nz = 1 # first\n\n[[arr]]\nz = 3\n",
  },
];

describe("unset of a section or table: its lines only", () => {
  it.each(CASES)("$format: $name", async ({ format, text, path, after }) => {
    const result = await editPlaintext(text, format, { kind: "unset", path });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

/**
 * `hush set` of a new INI section, TOML table or sub-table, element of an array of tables, or
 * key in such an element writes its lines after the file's, or at the end of that element, and
 * keeps every other line. The edit wrote the new key without its header, which the edit's check
 * refused, or nothing at all for a path with an index; the file was then written again from its
 * values, every comment lost or moved.
 */
const SETS: ReadonlyArray<{ name: string; format: FileFormat; text: string; path: KeyPath; value: TreeNode; after: string }> = [
  {
    name: "a new INI section",
    format: "ini",
    text: "; top\n[s]\na = 1 ; trailing\n",
    path: ["new"],
    value: { kind: "map", entries: [{ kind: "entry", key: "k", value: str("v") }] },
    after: "; top\n[s]\na = 1 ; trailing\n\n[new]\nk = v\n",
  },
  {
    name: "a new key of an INI section of a CRLF file, above the blank line before the next section",
    format: "ini",
    text: "[s]\r\na = 1 ; trailing\r\n\r\n[t]\r\nb = 2\r\n",
    path: ["s", "k"],
    value: str("v"),
    after: "[s]\r\na = 1 ; trailing\r\nk = v\r\n\r\n[t]\r\nb = 2\r\n",
  },
  {
    name: "a new key of a TOML table written with dotted keys, written dotted after its last line",
    format: "toml",
    text: '# top\nname = "svc" # the name\nserver.host = "h" # where\nserver.ports = [\n  80,\n]\n\n[other]\nk = 1\n',
    path: ["server", "user"],
    value: str("admin"),
    after: '# top\nname = "svc" # the name\nserver.host = "h" # where\nserver.ports = [\n  80,\n]\nserver.user = "admin"\n\n[other]\nk = 1\n',
  },
  {
    name: "a new key of a dotted TOML table under a header, quoted parts and indentation kept",
    format: "toml",
    text: '[t]\n  a."b c".x = 1 # keep\nz = 2\n',
    path: ["t", "a", "b c", "y"],
    value: str("v"),
    after: '[t]\n  a."b c".x = 1 # keep\n  a."b c".y = "v"\nz = 2\n',
  },
  {
    name: "a new dotenv key in a file whose every entry is exported, exported too",
    format: "dotenv",
    text: "# sourced by the deploy script\nexport A=1\nexport\tB=2 # b\n",
    path: ["C"],
    value: str("v"),
    after: "# sourced by the deploy script\nexport A=1\nexport\tB=2 # b\nexport C=v\n",
  },
  {
    name: "a new dotenv key in a file where some entries are not exported, not exported",
    format: "dotenv",
    text: "export A=1\nB=2\n",
    path: ["C"],
    value: str("v"),
    after: "export A=1\nB=2\nC=v\n",
  },
  {
    name: "a new TOML table",
    format: "toml",
    text: "# top\n[a]\nx = 1 # keep\n",
    path: ["new"],
    value: { kind: "map", entries: [{ kind: "entry", key: "k", value: str("v") }] },
    after: '# top\n[a]\nx = 1 # keep\n\n[new]\nk = "v"\n',
  },
  {
    name: "a new TOML sub-table of an existing table",
    format: "toml",
    text: "[a]\nx = 1 # keep\n\n[b]\ny = 2\n",
    path: ["a", "sub"],
    value: { kind: "map", entries: [{ kind: "entry", key: "k", value: str("v") }] },
    after: '[a]\nx = 1 # keep\n\n[b]\ny = 2\n\n[a.sub]\nk = "v"\n',
  },
  {
    name: "a new element of a TOML array of tables",
    format: "toml",
    text: "[[arr]]\nz = 1 # first\n",
    path: ["arr", 1],
    value: { kind: "map", entries: [{ kind: "entry", key: "z", value: str("two") }] },
    after: '[[arr]]\nz = 1 # first\n\n[[arr]]\nz = "two"\n',
  },
  {
    name: "a whole TOML table replaced, under its header",
    format: "toml",
    text: '# top\n[db]\nuser = "u" # u\nhost = "h"\n\n[x]\ny = 1 # y\n',
    path: ["db"],
    value: { kind: "map", entries: [{ kind: "entry", key: "user", value: str("v") }, { kind: "entry", key: "pass", value: str("p") }] },
    after: '# top\n[db]\nuser = "v"\npass = "p"\n\n[x]\ny = 1 # y\n',
  },
  {
    name: "a whole INI section replaced, under its header",
    format: "ini",
    text: "; top\n[db]\nuser = u ; u\nhost = h\n\n[x]\ny = 1 ; y\n",
    path: ["db"],
    value: { kind: "map", entries: [{ kind: "entry", key: "user", value: str("v") }] },
    after: "; top\n[db]\nuser = v\n\n[x]\ny = 1 ; y\n",
  },
  {
    name: "a new key in an element of a TOML array of tables",
    format: "toml",
    text: "[[arr]]\nz = 1 # first\n\n[[arr]]\nz = 2 # second\n",
    path: ["arr", 0, "q"],
    value: str("n"),
    after: '[[arr]]\nz = 1 # first\nq = "n"\n\n[[arr]]\nz = 2 # second\n',
  },
];

/**
 * `hush set` of a new key of a TOML inline table, or of a new last element of an inline array,
 * writes it inside the braces or brackets: the whole file was written again from its values,
 * every comment of it lost, for one new key.
 */
const int = (n: number): TreeNode => ({ kind: "scalar", value: { type: "int", text: String(n) } });
const INLINE: ReadonlyArray<{ name: string; text: string; path: KeyPath; value: TreeNode; after: string }> = [
  { name: "a key of an inline table", text: '# top\nserver = { host = "h", port = 80 } # inline\n[db]\n# c\nuser = "u"\n', path: ["server", "tls"], value: str("yes"), after: '# top\nserver = { host = "h", port = 80, tls = "yes" } # inline\n[db]\n# c\nuser = "u"\n' },
  { name: "an element of a one-line array", text: "ports = [1, 2, 3] # p\n", path: ["ports", 3], value: int(4), after: "ports = [1, 2, 3, 4] # p\n" },
  { name: "an element of a multi-line array with a trailing comma and comments", text: "ports = [\n  1, # one\n  2, # two\n]\n# after\n", path: ["ports", 2], value: int(3), after: "ports = [\n  1, # one\n  2, # two\n  3,\n]\n# after\n" },
  { name: "an element of a multi-line array without a trailing comma", text: "ports = [\n  1,\n  2 # two\n]\n", path: ["ports", 2], value: int(3), after: "ports = [\n  1,\n  2, # two\n  3\n]\n" },
  { name: "a key of an inline table after nested ones", text: "a = { b = { c = 1 }, d = [1] } # a\n", path: ["a", "e"], value: str("x"), after: 'a = { b = { c = 1 }, d = [1], e = "x" } # a\n' },
  { name: "a key of an inline table in an array", text: "list = [ { a = 1 }, { a = 2 } ] # l\n", path: ["list", 1, "b"], value: int(3), after: "list = [ { a = 1 }, { a = 2, b = 3 } ] # l\n" },
  { name: "a quoted key", text: 's = { "odd key" = 1 } # s\n', path: ["s", "new key"], value: int(2), after: 's = { "odd key" = 1, "new key" = 2 } # s\n' },
  { name: "a key holding =", text: 's = { "a=b" = 1 } # s\n', path: ["s", "c=d"], value: int(2), after: 's = { "a=b" = 1, "c=d" = 2 } # s\n' },
  { name: "a key of a table a dotted key makes inside an inline table", text: "# top\nx = { a = 1, b.c = 2 } # x\n", path: ["x", "b", "d"], value: int(3), after: "# top\nx = { a = 1, b.c = 2, b.d = 3 } # x\n" },
  { name: "a key of an inline table whose last key is dotted", text: "# top\nx = { a = 1, b.c = 2 } # x\n", path: ["x", "e"], value: int(3), after: "# top\nx = { a = 1, b.c = 2, e = 3 } # x\n" },
  { name: "two dotted parts, spelled as the file spells them", text: "x = { 'p q'.r.s = 1 } # x\n", path: ["x", "p q", "r", "t"], value: int(2), after: "x = { 'p q'.r.s = 1, 'p q'.r.t = 2 } # x\n" },
];

const INLINE_UNSETS: ReadonlyArray<{ name: string; text: string; path: KeyPath; after: string }> = [
  { name: "a key of an inline table", text: '# top\nserver = { host = "h", port = 80, tls = true } # inline\n', path: ["server", "port"], after: '# top\nserver = { host = "h", tls = true } # inline\n' },
  { name: "the first key of an inline table", text: '# top\nserver = { host = "h", port = 80 } # inline\n', path: ["server", "host"], after: "# top\nserver = { port = 80 } # inline\n" },
  { name: "the only key of an inline table", text: '# top\nserver = { host = "h" } # inline\nx = 1\n', path: ["server", "host"], after: "# top\nserver = {} # inline\nx = 1\n" },
  { name: "an element of a one-line array", text: "ports = [1, 2, 3] # p\n", path: ["ports", 1], after: "ports = [1, 3] # p\n" },
  { name: "an element on a line of its own, with its comment", text: "ports = [\n  1, # one\n  2, # two\n  3,\n]\n# after\n", path: ["ports", 1], after: "ports = [\n  1, # one\n  3,\n]\n# after\n" },
  { name: "a key whose value is an inline array", text: 'a = { b = { c = 1 }, d = [1, 2], e = "x" } # a\n', path: ["a", "d"], after: 'a = { b = { c = 1 }, e = "x" } # a\n' },
  { name: "a key whose value is an inline table", text: 'a = { b = { c = 1 }, d = [1, 2], e = "x" } # a\n', path: ["a", "b"], after: 'a = { d = [1, 2], e = "x" } # a\n' },
  { name: "an inline table element of an array", text: "list = [ { a = 1 }, { a = 2 } ] # l\n", path: ["list", 0], after: "list = [ { a = 2 } ] # l\n" },
  {
    name: "the first element, on the opening line: its comment goes, the next element's stays",
    text: "ports = [1, # one\n  # two, for the admin port\n  2,\n] # p\n",
    path: ["ports", 0],
    after: "ports = [\n  # two, for the admin port\n  2,\n] # p\n",
  },
  { name: "the first element, the next on its own line", text: "ports = [1,\n  2]\n", path: ["ports", 0], after: "ports = [\n  2]\n" },
  { name: "a quoted key holding a comma", text: 't = { "a,b" = 1, c = 2 } # t\n', path: ["t", "a,b"], after: "t = { c = 2 } # t\n" },
  { name: "a key after a quoted key holding a brace", text: 't = { "x{" = 1, c = 2 } # t\n', path: ["t", "c"], after: 't = { "x{" = 1 } # t\n' },
  { name: "a literal key holding a comma and a bracket, its value an array", text: "t = { 'a,[' = [1, 2], b = 3 } # t\n", path: ["t", "a,["], after: "t = { b = 3 } # t\n" },
  { name: "a key holding an escaped quote and a comma", text: 't = { "q\\",{" = 1, c = 2 } # t\n', path: ["t", 'q",{'], after: "t = { c = 2 } # t\n" },
  { name: "an inline table element after a string holding a comma", text: 'a = ["s,", { "k,{" = 1 }] # a\n', path: ["a", 1], after: 'a = ["s,"] # a\n' },
  { name: "a dotted key beside another of its table", text: "x = { a = 1, b.c = 2, b.d = 3 } # x\n", path: ["x", "b", "c"], after: "x = { a = 1, b.d = 3 } # x\n" },
  { name: "the last key of a table a dotted key makes: the table stays, empty", text: "x = { a = 1, b.c = 2 } # x\n", path: ["x", "b", "c"], after: "x = { a = 1, b = {} } # x\n" },
  { name: "the last key of a table two dotted parts deep", text: "x = { 'p q'.r.s = \"v\", z = 1 } # x\n", path: ["x", "p q", "r", "s"], after: "x = { 'p q'.r = {}, z = 1 } # x\n" },
];

describe("unset of a key or element of a TOML inline table or array: that entry only", () => {
  it.each(INLINE_UNSETS)("$name", async ({ text, path, after }) => {
    const result = await editPlaintext(text, "toml", { kind: "unset", path });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

/**
 * The last key of a table made with dotted keys (`db.pass = "p"`): unset leaves the table, empty,
 * which dotted keys cannot say; the file was written again from its values, comments lost.
 */
const EMPTIED_DOTTED: ReadonlyArray<{ name: string; text: string; path: KeyPath; after: string }> = [
  { name: "under a header", text: '# top\n[server]\n# host\nhost = "a" # h\n  db.pass = "p" # pw\n\n[other]\nx = 1 # keep\n', path: ["server", "db", "pass"], after: '# top\n[server]\n# host\nhost = "a" # h\n  db = {}\n\n[other]\nx = 1 # keep\n' },
  { name: "three parts deep, at the top", text: '# top\na.b.c = [\n  1,\n]\nz = 2 # z\n', path: ["a", "b", "c"], after: "# top\na.b = {}\nz = 2 # z\n" },
  { name: "a quoted part", text: '"odd key".x = 1 # o\ny = 2 # y\n', path: ["odd key", "x"], after: '"odd key" = {}\ny = 2 # y\n' },
  { name: "CRLF line breaks, and the last line without one", text: "# top\r\ny = 2\r\na.b = 1", path: ["a", "b"], after: "# top\r\ny = 2\r\na = {}" },
];

describe("unset of the last key of a dotted-key table: the table stays, written empty in its place", () => {
  it.each(EMPTIED_DOTTED)("$name", async ({ text, path, after }) => {
    const result = await editPlaintext(text, "toml", { kind: "unset", path });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

describe("set of a new key or element of a TOML inline table or array: inside it", () => {
  it.each(INLINE)("$name", async ({ text, path, value, after }) => {
    const result = await editPlaintext(text, "toml", { kind: "set", path, value });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

describe("set of a new section or table: its lines only", () => {
  it.each(SETS)("$format: $name", async ({ format, text, path, value, after }) => {
    const result = await editPlaintext(text, format, { kind: "set", path, value });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

/**
 * `hush set` of a value written without quotes to one that needs them (leading blanks, ` #`, a
 * leading quote) writes it quoted in its place: the value was written there as it is, read back
 * otherwise (trimmed, cut at the comment), and the file was written again from its values.
 */
const REQUOTED: ReadonlyArray<{ name: string; format: FileFormat; text: string; path: KeyPath; value: string; after: string }> = [
  { name: "an export line", format: "dotenv", text: "# top\nexport FOO=bar\nB=2\n", path: ["FOO"], value: " lead", after: '# top\nexport FOO=" lead"\nB=2\n' },
  { name: "an empty value", format: "dotenv", text: "# top\nEMPTY=\nB=2\n", path: ["EMPTY"], value: "a # b", after: '# top\nEMPTY="a # b"\nB=2\n' },
  { name: "an INI value", format: "ini", text: "; top\n[s]\nk = v\n", path: ["s", "k"], value: "a ; b", after: "; top\n[s]\nk = `a ; b`\n" },
];

describe("set of a value that needs quotes where it had none: in its place", () => {
  it.each(REQUOTED)("$format: $name", async ({ format, text, path, value, after }) => {
    const result = await editPlaintext(text, format, { kind: "set", path, value: str(value) });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });
});

/**
 * dotenv and INI hold strings only: `hush set .env '["PORT"]' 8080` (a JSON number, as one
 * types it) is the string SOPS's ValToString writes, in the value's place. The typed value could
 * never read back as itself from these files, so every such edit wrote the whole file again from
 * its values (export prefixes, quotes, blank lines and inline comments lost), and a number equal
 * to the string there counted as a change.
 */
const TYPED: ReadonlyArray<{ name: string; format: FileFormat; text: string; path: KeyPath; value: TreeNode; after: string }> = [
  { name: "an integer", format: "dotenv", text: "# db\nexport PORT=5432\n\nQ=\"x y\" # q\n", path: ["PORT"], value: { kind: "scalar", value: { type: "int", text: "8080" } }, after: "# db\nexport PORT=8080\n\nQ=\"x y\" # q\n" },
  { name: "a float and a boolean", format: "ini", text: "; c\n[s]\nf = 1 ; one\nb = no\n", path: ["s", "f"], value: { kind: "scalar", value: { type: "float", text: "1.50" } }, after: "; c\n[s]\nf = 1.5 ; one\nb = no\n" },
  { name: "null, written empty", format: "dotenv", text: "# c\nA=1\n\nB=2\n", path: ["A"], value: { kind: "null" }, after: "# c\nA=\n\nB=2\n" },
  { name: "a new key's number", format: "ini", text: "; c\n[s]\na = 1 ; one\n", path: ["s", "n"], value: { kind: "scalar", value: { type: "bool", text: "true" } }, after: "; c\n[s]\na = 1 ; one\nn = true\n" },
];

describe("set of a number, boolean or null in a file of strings: in its place, as its string", () => {
  it.each(TYPED)("$format: $name", async ({ format, text, path, value, after }) => {
    const result = await editPlaintext(text, format, { kind: "set", path, value });
    expect(result.reformatted).toBe(false);
    expect(result.text).toBe(after);
  });

  it("a number equal to the string there is no change", async () => {
    const text = "# db\nexport PORT=5432\n";
    const result = await editPlaintext(text, "dotenv", { kind: "set", path: ["PORT"], value: { kind: "scalar", value: { type: "int", text: "5432" } } });
    expect(result).toEqual({ text, changed: false, reformatted: false });
  });
});
