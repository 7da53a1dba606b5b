import { describe, expect, it } from "vitest";
import { editPlaintext, parseSetValue, type FileFormat, type KeyPath } from "@hush/core";

/**
 * A key set into a section or table the file does not have yet (or has, empty) is written where
 * it goes, every other byte kept: `hush set` and the merge driver used to write such a file again
 * from its values, losing its comments and layout.
 */

async function set(format: FileFormat, text: string, path: KeyPath, value: string): Promise<{ text: string; reformatted: boolean }> {
  const result = await editPlaintext(text, format, { kind: "set", path, value: await parseSetValue(value) });
  return { text: result.text, reformatted: result.reformatted };
}

describe("a key of a new section", () => {
  it("INI: the section goes at the end after a blank line, comments and spacing kept", async () => {
    const text = "; top comment\n[db]\n# pw\nuser=app\npassword = s1\n";
    expect(await set("ini", text, ["cache", "url"], '"redis://x"')).toEqual({ text: `${text}\n[cache]\nurl = redis://x\n`, reformatted: false });
  });

  it("INI: an empty section gets the key under its header, never a second header", async () => {
    const text = "[empty] ; later\n; note\n[db]\nuser = app\n";
    expect(await set("ini", text, ["empty", "k"], '"v"')).toEqual({ text: "[empty] ; later\nk = v\n; note\n[db]\nuser = app\n", reformatted: false });
  });

  it("INI: a whole section given as a map", async () => {
    const text = "[db]\nuser = app\n\n";
    expect(await set("ini", text, ["cache"], '{"url": "r", "ttl": "30"}')).toEqual({ text: "[db]\nuser = app\n\n[cache]\nurl = r\nttl = 30\n", reformatted: false });
  });

  it("INI: a file without a final line break, and one with CRLF line breaks", async () => {
    expect(await set("ini", "[db]\nuser = app", ["cache", "url"], '"r"')).toEqual({ text: "[db]\nuser = app\n\n[cache]\nurl = r", reformatted: false });
    expect(await set("ini", "[db]\r\nuser = app\r\n", ["cache", "url"], '"r"')).toEqual({ text: "[db]\r\nuser = app\r\n\r\n[cache]\r\nurl = r\r\n", reformatted: false });
  });

  it("TOML: a new table, a nested table and a key of an empty table", async () => {
    const text = '# settings\n[a]\nx = "1" # kept\n\n[empty]\n# note\n';
    expect(await set("toml", text, ["n", "k"], '"v"')).toEqual({ text: `${text}\n[n]\nk = "v"\n`, reformatted: false });
    expect(await set("toml", text, ["a", "b", "c"], "2")).toEqual({ text: `${text}\n[a.b]\nc = 2\n`, reformatted: false });
    expect(await set("toml", text, ["empty", "k"], '"v"')).toEqual({ text: '# settings\n[a]\nx = "1" # kept\n\n[empty]\nk = "v"\n# note\n', reformatted: false });
  });

  it("TOML arrays of tables: a key of one element under it, a new element at the end", async () => {
    const text = '# servers\n[[servers]]\nname = "a" # first\n\n[[servers]]\nname = "b"\n\n[other]\nk = 1\n';
    expect(await set("toml", text, ["servers", 0, "host"], '"h"')).toEqual({ text: text.replace('# first\n', '# first\nhost = "h"\n'), reformatted: false });
    expect(await set("toml", text, ["servers", 2], '{"name": "c"}')).toEqual({ text: `${text}\n[[servers]]\nname = "c"\n`, reformatted: false });
  });
});

