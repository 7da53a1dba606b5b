import { describe, expect, it } from "vitest";
import type { Leaf, ParsedDocument } from "@hush/core";
import { heldFrom, mayHoldKeysOf, movedFrom } from "../../src/commands/git/check-moved.ts";

/**
 * The work of telling whether a plain file holds the keys of a file the commit deletes: a commit
 * that deletes a directory of hundreds of encrypted files beside hundreds of changed settings files
 * (their secrets now `${…}` references) read each settings file's values again for every deleted
 * file, and the pre-commit hook took minutes; a branch deleting one encrypted file parsed every
 * plain file of the repository. Counted here, not timed.
 */

const place = (...path: string[]): string => JSON.stringify([0, ...path]);

function deleted(count: number): Map<string, Set<string>> {
  return new Map(Array.from({ length: count }, (_, i) => [`secrets/s${i}.enc.yaml`, new Set([place("password")])]));
}

/** A parsed file of `count` settings and a `${…}` password whose leaves count their reads. */
function countingDocument(count: number): { doc: ParsedDocument; reads: () => number } {
  const leaves: Leaf[] = Array.from({ length: count }, (_, i) => ({ kind: "scalar", path: [`setting${i}`], document: 0, value: { type: "str", text: `value${i}` }, start: 0, end: 0, line: i + 1 }));
  leaves.push({ kind: "scalar", path: ["password"], document: 0, value: { type: "str", text: "${PASSWORD}" }, start: 0, end: 0, line: count + 1 });
  let reads = 0;
  const doc = {
    get leaves() {
      reads++;
      return leaves;
    },
  } as unknown as ParsedDocument;
  return { doc, reads: () => reads };
}

describe("heldFrom", () => {
  it("reads a file's values once, however many files the commit deletes", () => {
    const { doc, reads } = countingDocument(3000);
    expect(heldFrom(doc, deleted(500))).toBeUndefined();
    expect(reads()).toBe(1);
  });

  it("still finds the one deleted file whose keys the plain file holds with values", async () => {
    const settings = `${Array.from({ length: 30 }, (_, i) => `setting${i}: value${i}\n`).join("")}password: \${PASSWORD}\n`;
    const gone = deleted(500);
    gone.set("app.enc.yaml", new Set([place("setting7"), place("setting8")]));
    expect(await movedFrom("settings.yaml", settings, gone)).toBe("app.enc.yaml");
  });
});

describe("mayHoldKeysOf: which plain files are parsed at all", () => {
  it("only those whose bytes hold every key of some deleted file, as written", () => {
    const mayHold = mayHoldKeysOf(new Map([["a.enc.yaml", new Set([place("db", "password"), place("token")])], ["b.enc.env", new Set([place("API_KEY")])]]));
    expect(mayHold(Buffer.from("db:\n  password: x\ntoken: y\n"))).toBe(true);
    expect(mayHold(Buffer.from("API_KEY=1\n"))).toBe(true);
    expect(mayHold(Buffer.from("db:\n  password: x\n"))).toBe(false);
    expect(mayHold(Buffer.from("port: 8080\n"))).toBe(false);
  });
});
