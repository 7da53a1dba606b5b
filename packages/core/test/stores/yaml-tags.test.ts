import { describe, expect, it } from "vitest";
import { storeFor } from "@hush/core";
import { decYaml as dec, encYaml as enc, yamlReading as reading } from "../store-harness.ts";

describe("YAML tags: kept only where every reader that honours them reads what hush reads", () => {
  it("keeps an application's tags on strings, and standard tags of the value's own type", async () => {
    for (const text of ["a: !Ref x\n", "a: !secret 5\n", "a: ! x\n", 'a: !unsafe "{{ x }}"\n', "a: !!str 5\n", 'a: !!str "x"\n', "a: !!int 5\n", "a: !!float 5.5\n", "a: !!bool true\n", "a: !!null\n", "a: !!null ~\n", "a: !!map {b: 1}\n", "a: !!seq [1]\n", "a: !Sub [x, {b: 1}]\n", "!!str 5: x\n", "!k b: x\n"]) {
      expect(await reading(text), text).toBe("ok");
    }
  });

  it("refuses a standard tag that other readers read as another type or value, naming the key path and line", async () => {
    expect(await reading("x: 1\na: !!null 8080\n")).toBe('PARSE_FAILED: the !!null tag on the value at ["a"] (line 2) makes YAML readers that honour tags read it otherwise than hush does (as an integer): remove the tag');
    expect(await reading('a: !!int "5"\n')).toMatch(/^PARSE_FAILED: the !!int tag .* \(as a string\)/);
    expect(await reading("a: !!bool yes\n")).toMatch(/^PARSE_FAILED: the !!bool tag .* \(as a string\)/);
    expect(await reading("a: !!float 5\n")).toMatch(/^PARSE_FAILED: the !!float tag .* \(as an integer\)/);
    expect(await reading("a: !<tag:yaml.org,2002:null> x\n")).toMatch(/^PARSE_FAILED: the !!null tag/);
    // A %TAG directive can give the standard tags any handle: the resolved tag is what counts.
    expect(await reading("%TAG !e! tag:yaml.org,2002:\n---\na: !e!null x\n")).toMatch(/^PARSE_FAILED: the !!null tag on the value at \["a"\] \(line 3\)/);
    expect(await reading("a: !!python/object/apply:os.system x\n")).toMatch(/^PARSE_FAILED: the !!python\/object\/apply:os.system tag/);
    expect(await reading("a: !!omap [{b: 1}]\n")).toBe("PARSE_FAILED: the !!omap tag on the list at line 1 makes YAML readers that honour tags read something other than the list SOPS and hush read: remove the tag");
    expect(await reading("a: !!python/object:x.Y {b: 1}\n")).toMatch(/^PARSE_FAILED: the !!python\/object:x.Y tag on the mapping at line 1/);
    expect(await reading("a: 1\n!!null b: 2\n")).toBe("PARSE_FAILED: the !!null tag on a key at line 2: SOPS and hush read every key as a string; write the key without the tag (quoted if it looks like a number)");
    expect(await reading("!!binary aGk=: 2\n")).toMatch(/^PARSE_FAILED: the !!binary tag on a key at line 1/);
  });

  it("refuses the non-specific tag `!` on a plain value that SOPS (go-yaml) and PyYAML resolve as if untagged to other than a string", async () => {
    // go-yaml's parser and PyYAML's drop a `!` on a plain scalar: `! 12` is the integer 12 to SOPS
    // (its MAC too), `! null` and `!` alone are null; the yaml package, as YAML 1.2 says, reads strings.
    for (const [text, reading_] of [["a: ! 12\n", "an integer"], ["a: ! true\n", "a boolean"], ["a: ! null\n", "null"], ["a: ! ~\n", "null"], ["a: !\n", "null"], ["a: ! 0x1F\n", "an integer"], ["a: ! 1e3\n", "a number"], ["a: ! 2001-01-01\n", "a timestamp"]] as const) {
      expect(await reading(`x: 1\n${text}`), text).toBe(`PARSE_FAILED: the ! tag on the value at ["a"] (line 2) is no tag to SOPS's YAML reader and PyYAML, which read the value as ${reading_}, and makes it a string to other readers: remove the tag, or quote the value`);
    }
    expect(await reading("a:\n  - x\n  - ! 5\n")).toMatch(/^PARSE_FAILED: the ! tag on the value at \["a"\]\[1\] \(line 3\)/);
    // A string either way: a plain string, or a quoted or block scalar (go-yaml reads those as strings).
    for (const text of ["a: ! x\n", 'a: ! "12"\n', "a: ! 'null'\n", "a: ! |\n  12\n", "a: ! 1.2.3\n"]) expect(await reading(text), text).toBe("ok");
    // A value in clear in an encrypted file is read alike.
    const encrypted = await enc("token: abc\n");
    expect(await reading(encrypted.replace("token:", "port_unencrypted: ! 8080\ntoken:"))).toMatch(/^PARSE_FAILED: the ! tag on the value at \["port_unencrypted"\] \(line 1\)/);
  });

  it("a key under the non-specific tag `!` is typed as SOPS types it: `! 1:` is the integer key SOPS refuses", async () => {
    expect((await storeFor("yaml")).parse("name: y\n! 1: one\n").unsupported).toEqual({ line: 2, message: expect.stringMatching(/key 1 at line 2 is read as an integer/) as unknown });
    expect((await storeFor("yaml")).parse("! ~: one\n").unsupported).toEqual({ line: 1, message: expect.stringMatching(/key ~ at line 1 is read as null/) as unknown });
    expect((await storeFor("yaml")).parse("! x: one\n").unsupported).toBeUndefined();
    // PyYAML reads `! ON` as the boolean `on` is: one key to it, refused as the plain pair is.
    await expect(enc("on: a\n! ON: b\n")).rejects.toThrow(/one key to YAML 1.1 readers/);
  });

  it("a string decrypted under a plain `! ENC[…]` is quoted where go-yaml and PyYAML would resolve it (`! null` is null to them)", async () => {
    // No MAC covers the quotes or the tag: a branch may turn `flag: "ENC[…]"` into `flag: ! ENC[…]`.
    const encrypted = await enc('password: "null"\nflag: "false"\nport: "8080"\nname: web\n');
    const tagged = encrypted.replace(/^(\w+): "?(ENC\[[^\]"]*\])"?$/gm, "$1: ! $2");
    expect(tagged).toMatch(/^password: ! ENC\[/m);
    expect(await dec(tagged)).toBe('password: ! "null"\nflag: ! "false"\nport: ! "8080"\nname: ! web\n');
  });

  it("an encrypted value keeps an application's tag (or !!str) when it is a string, and reads back as written", async () => {
    const plain = "token: !secret abc\nname: !!str 5\nport: 5432\n";
    const encrypted = await enc(plain);
    expect(encrypted).toMatch(/^token: !secret ENC\[[^\n]*type:str\]$/m);
    expect(encrypted).toMatch(/^name: !!str ENC\[[^\n]*type:str\]$/m);
    expect(await dec(encrypted)).toBe(plain);
  });

  it("refuses any other tag before an envelope as tampering (exit 25's code), whatever the envelope's type", async () => {
    const encrypted = await enc("token: abc\nport: 5432\n");
    const tagged = (key: string, tag: string): string => encrypted.replace(new RegExp(`^${key}: `, "m"), `${key}: ${tag} `);
    for (const [key, tag] of [["token", "!!null"], ["token", "!!bool"], ["token", "!!int"], ["port", "!!str"], ["port", "!Ref"], ["port", "!"], ["port", "!!null"]] as const) {
      const text = tagged(key, tag);
      expect(await reading(text), `${key} ${tag}`).toBe(`VALUE_TAMPERED: the ${tag} tag on the encrypted value at ["${key}"] (line ${key === "token" ? 1 : 2}) is not one hush writes there, and it changes what other YAML readers read (no MAC covers tags)`);
      await expect(dec(text)).rejects.toMatchObject({ code: "VALUE_TAMPERED" });
    }
  });
});
