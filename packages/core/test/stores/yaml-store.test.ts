import { describe, expect, it } from "vitest";
import { decryptText, editPlaintext, encryptText, isHushError, parseSetValue, storeFor, type Leaf } from "@hush/core";
import { dataKey, expectRoundTrip, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

const enc = (text: string): Promise<string> => encryptText(text, { format: "yaml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const dec = (text: string): Promise<string> => decryptText(text, { format: "yaml", keySources: noKeys, dataKey });

/** The leaves as SOPS's tree lists them: kind, AAD path and comment text. */
async function order(text: string): Promise<string[]> {
  const doc = (await storeFor("yaml")).parse(text);
  return doc.leaves.filter((l: Leaf) => l.value !== null).map((l: Leaf) => `${l.kind} ${l.path.join(".")}${l.kind === "comment" ? ` #${l.value!.text}` : ""}`);
}

describe("YAML: leaves in SOPS's tree order (go-yaml comment slots)", () => {
  it("a line comment comes before its own item, in that item's collection", async () => {
    expect(await order("a: visible # c1\nb: hidden\n")).toEqual(["comment  # c1", "scalar a", "scalar b"]);
    expect(await order("l:\n  - x # c2\n  - y\n")).toEqual(["comment l # c2", "scalar l.0", "scalar l.1"]);
    expect(await order("l:\n  - k: v # c3\n    k2: w\n")).toEqual(["comment l.0 # c3", "scalar l.0.k", "scalar l.0.k2"]);
    expect(await order("m:\n  n:\n    o: 1 # deep\n  p: 2\n")).toEqual(["comment m.n # deep", "scalar m.n.o", "scalar m.p"]);
  });

  it("a comment after a flow collection comes first inside it; one after a key before the key", async () => {
    expect(await order("a: [1, 2] # c\nb: 1\n")).toEqual(["comment a # c", "scalar a.0", "scalar a.1", "scalar b"]);
    expect(await order("a: # c\n  b: 1\n")).toEqual(["comment  # c", "scalar a.b"]);
    // A flow collection that is a list item: the comment is the item's, before it in the list.
    expect(await order("l:\n  - [1, 2] # c\n")).toEqual(["comment l # c", "scalar l.0.0", "scalar l.0.1"]);
    expect(await order("a: | # c\n  text\n")).toEqual(["comment  # c", "scalar a"]);
  });

  it("comments on their own line stay where they are written", async () => {
    expect(await order("# head\na: 1\n# between\nb: 2\n")).toEqual(["comment  # head", "scalar a", "comment  # between", "scalar b"]);
  });
});

describe("YAML: constructs SOPS reads differently", () => {
  it("marks keys that are not strings as unsupported (decrypting still reads them); encrypting refuses them", async () => {
    const store = await storeFor("yaml");
    expect(store.parse("name: y\n1: one\n").unsupported).toEqual({ line: 2, message: expect.stringMatching(/key 1 at line 2 is read as an integer.*quote it \("1": …\)/) });
    expect(store.parse("true: x\n").unsupported?.message).toMatch(/a boolean/);
    expect(store.parse("~: x\n").unsupported?.message).toMatch(/null/);
    expect(store.parse('"1": one\n2024-01-02: date\n!!str 3: x\n').unsupported).toBeUndefined();
    let err: unknown;
    await enc("1: one\n").catch((e: unknown) => (err = e));
    expect(isHushError(err, "PARSE_FAILED") && err.location?.line).toBe(1);
  });

  it("a syntax error's reason names the mistake the parser found, where one parser code stands for several", async () => {
    const reason = async (text: string): Promise<string> => {
      let err: unknown;
      await enc(text).catch((e: unknown) => (err = e));
      expect(isHushError(err, "PARSE_FAILED")).toBe(true);
      return (err as Error).message;
    };
    expect(await reason("a: 1\nPORT 8080\n")).toBe("invalid YAML at line 2, column 1: a line in a map has no ':' after its key");
    expect(await reason('a: "x\n')).toBe("invalid YAML at line 2, column 1: a closing quote is missing");
    expect(await reason("a: [1, 2\nb: 3\n")).toMatch(/: a \[ list is not closed with \]/);
    expect(await reason("a: {x: 1\nb: 3\n")).toMatch(/: a \{ map is not closed with \}/);
    expect(await reason("a: b: c\n")).toMatch(/: a value holds ': ' \(quote the value\)/);
    expect(await reason("l:\n  - a\n  b\n")).toMatch(/: the indentation does not match the lines around it$/);
  });

  it("a plain number beyond float64 (1e400) is a string, as go-yaml reads it, not a float SOPS cannot decrypt", async () => {
    const types = (text: string): Array<string | undefined> => [...text.matchAll(/^[abc]: ENC\[.*type:(\w+)\]$/gm)].map((m) => m[1]);
    const text = "a: 1e400\nb: -1_0e999\nc: 1e308\n";
    const e = await expectRoundTrip(text, "yaml", enc, dec);
    expect(types(e)).toEqual(["str", "str", "float"]);
  });

  it("an empty document in a stream (a trailing ---) gets its metadata block alone, as SOPS writes it, and decrypts back", async () => {
    for (const text of ["a: 1\n---\n", "a: 1\n---\n---\nb: 2\n", "a: 1\n---\n# only a comment\n", "---\n---\n"]) {
      const e = await enc(text);
      expect(e.match(/^sops:$/gm)?.length, text).toBe(text.match(/^---$/gm)!.length + (text.startsWith("---") ? 0 : 1));
      expect(await dec(e)).toBe(text);
    }
    const refused = await enc("a: 1\n---\n{}\n").catch((e: unknown) => e);
    expect(isHushError(refused) && refused.message).toBe("an empty mapping ({}) as one document of several (line 3) cannot be written to read back as itself: leave that document empty (the --- alone) or give it a key");
    const lone = await enc("# c\n---\n").catch((e: unknown) => e);
    expect(isHushError(lone) && lone.code).toBe("NO_DOCUMENT");
    // Decrypting it says what decrypting an empty file says.
    const decrypted = await dec("---\n").catch((e: unknown) => e);
    expect(isHushError(decrypted) && decrypted.code).toBe("METADATA_MISSING");
  });

  it("an empty mapping ({}) is written as its metadata block alone, as SOPS writes it, and decrypts to {}", async () => {
    for (const text of ["{}\n", "# nothing yet\n{}\n", "---\n{}\n"]) {
      const e = await enc(text);
      expect(e.split("\n").filter((line) => !line.startsWith("#") && line !== "---")[0]).toBe("sops:");
      expect(await dec(e)).toBe(text);
    }
    // SOPS decrypts `{}`'s file to `{}`; so does hush, whatever it was written with.
    expect(await dec(await enc("{ }"))).toBe("{}\n");
    expect(await dec(await enc("{} # after\n"))).toBe("# after\n{}\n");
    const unset = await editPlaintext("only: 1\n", "yaml", { kind: "unset", path: ["only"] });
    expect(await dec(await enc(unset.text))).toBe("{}\n");
  });

  it("an empty mapping before a document end (...) keeps the metadata block in its document, and decrypts to {} there", async () => {
    for (const text of ["{}\n...\n", "---\n{} # c\n...\n# after\n"]) {
      const e = await enc(text);
      // Comments aside: the metadata block, then the document end.
      expect(e.split("\n").filter((line) => !line.startsWith(" ") && !line.startsWith("#"))).toEqual([...(text.startsWith("---") ? ["---"] : []), "sops:", "...", ""]);
      expect(await dec(e)).toBe(text.replace("{} # c\n", "# c\n{}\n"));
    }
    // The last key unset in a file that ends its document: written, not refused.
    const unset = await editPlaintext("a: 1\n...\n", "yaml", { kind: "unset", path: ["a"] });
    expect(await dec(await enc(unset.text))).toBe("{}\n...\n");
    // SOPS reads the metadata block alone before `...` as {}: so does hush.
    expect(await dec(`${await enc("{}\n")}...\n`)).toBe("{}\n...\n");
  });

  it("an edit inside a flow mapping writes its keys and strings as go-yaml reads them (DEL, C1 controls and line separators escaped)", async () => {
    const text = 'm: {"del\\x7F": a, "c1\\x85": b, "ls\\u2028": "\\x9F", n: 1}\n';
    const result = await editPlaintext(text, "yaml", { kind: "set", path: ["m", "n"], value: await parseSetValue('"\\u007f"') });
    expect(result.text).not.toMatch(/[\x7f-\x9f\u2028]/);
    const store = await storeFor("yaml");
    expect(store.toTree(result.text)).toEqual(store.toTree('m: {"del\\x7F": a, "c1\\x85": b, "ls\\u2028": "\\x9F", n: "\\x7F"}\n'));
  });

  it("block scalars with an indentation indicator keep it (|2, >2-, in maps and lists)", async () => {
    const text = "key: |2\n    leading\n  second\nn:\n  k: |2-\n      deep\nl:\n  - >2\n     folded\n";
    const e = await expectRoundTrip(text, "yaml", enc, dec);
    expect(e).toMatch(/^key: \|2\n {2}ENC\[/);
    expect(e).toMatch(/\n {2}k: \|2-\n {4}ENC\[/);
    expect(e).toMatch(/\n {2}- >2\n {4}ENC\[/);
  });

  it("expands aliases that reach encrypted values and keeps the others", async () => {
    const store = await storeFor("yaml");
    const text = "d: &d\n  x: 1\n  y: [a, b]\nm:\n  <<: *d\nl:\n  - *d\nf: [*d]\ns: &s v\nt: *s\n";
    const aliases = new Set(store.parse(text).leaves.filter((l) => l.aliased === true).map((l) => l.start));
    expect(store.expandAliases!(text, aliases)).toBe(
      'd: &d\n  x: 1\n  y: [a, b]\nm:\n  <<:\n    x: 1\n    "y":\n      - a\n      - b\nl:\n  - x: 1\n    "y":\n      - a\n      - b\nf: [{x: 1, "y": ["a", "b"]}]\ns: &s v\nt: v\n',
    );
    const e = await enc(text);
    expect(e).not.toMatch(/\*[ds]\b/);
    const kept = "base_unencrypted: &b\n  x: 1\ncopy_unencrypted: *b\n";
    expect(await enc(kept)).toContain("copy_unencrypted: *b\n");
  });
});

describe("YAML: a sops block that is not the last key", () => {
  /** `encrypted` with its `sops:` block moved up to just after its first line, as a tool that reorders keys leaves it. */
  function sopsAfterFirstLine(encrypted: string): string {
    const at = encrypted.indexOf("sops:");
    const [first, ...rest] = encrypted.slice(0, at).split(/(?<=\n)/);
    return first! + encrypted.slice(at) + rest.join("");
  }

  it("leaves the comment lines right above the next key to that key, as go-yaml reads them", async () => {
    const moved = sopsAfterFirstLine(await enc("a: 1\n# about z\n# more\nz: 2\n"));
    expect(moved).toMatch(/\n {4}version: [^\n]+\n#ENC\[[^\n]+\n#ENC\[[^\n]+\nz: ENC\[/);
    expect(await dec(moved)).toBe("a: 1\n# about z\n# more\nz: 2\n");
    expect((await order(moved)).map((l) => l.replace(/#ENC\[.*/, "#ENC"))).toEqual(["scalar a", "comment  #ENC", "comment  #ENC", "scalar z"]);
    // A comment inside the block (indented) or apart from the key stays the block's: no tool reads it.
    const inside = moved.replace(/(\n {4}version: [^\n]+\n)/, "$1    # inside\n# apart\n\n");
    expect(await dec(inside)).toBe("a: 1\n# about z\n# more\nz: 2\n");
  });
});

describe("YAML 1.1's boolean words: strings to SOPS and hush, booleans to Helm, kubectl and PyYAML", () => {
  it("decryption writes them quoted, as SOPS does, where the envelope was plain (SOPS writes every envelope plain)", async () => {
    const words = ["no", "Yes", "ON", "off", "y", "N"];
    const plain = words.map((w, i) => `k${i}: "${w}"\n`).join("");
    // As SOPS writes it: the envelopes plain, whatever the value's quotes were.
    const sopsShaped = (await enc(plain)).replace(/"(ENC\[[^"]*\])"/g, "$1");
    expect(sopsShaped).toMatch(/^k0: ENC\[/m);
    expect(await dec(sopsShaped)).toBe(plain);
    // Written plain in the plaintext, they are strings all the same: they come back quoted.
    expect(await dec(await enc("enabled: no\nmode: on\n"))).toBe('enabled: "no"\nmode: "on"\n');
  });

  it("a tag that makes them strings for every reader keeps them plain", async () => {
    expect(await dec(await enc("enabled: !!str no\nmode: !env on\n"))).toBe("enabled: !!str no\nmode: !env on\n");
  });
});
