import { describe, expect, it } from "vitest";
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
