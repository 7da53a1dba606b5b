import { describe, expect, it } from "vitest";
import { movedFrom } from "../../src/commands/git/check-moved.ts";

/**
 * The cost of telling whether a plain file holds the keys of a file the commit deletes: a commit
 * that deletes a directory of hundreds of encrypted files beside hundreds of changed settings files
 * (their secrets now `${…}` references) read each settings file's values again for every deleted
 * file; the pre-commit hook took minutes.
 */

const settings = `${Array.from({ length: 3000 }, (_, i) => `setting${i}: value${i}\n`).join("")}password: \${PASSWORD}\n`;

function deleted(count: number): Map<string, Set<string>> {
  return new Map(Array.from({ length: count }, (_, i) => [`secrets/s${i}.enc.yaml`, new Set([JSON.stringify([0, "password"])])]));
}

async function timed(gone: Map<string, Set<string>>, rounds: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < rounds; i++) expect(await movedFrom("settings.yaml", settings, gone)).toBeUndefined();
  return performance.now() - start;
}

describe("movedFrom", () => {
  it("reads a file's values once, however many files the commit deletes", async () => {
    await timed(deleted(1), 3);
    const one = await timed(deleted(1), 10);
    const many = await timed(deleted(500), 10);
    // Parsing the file is most of the time: 500 deleted files cost about what one does.
    expect(many).toBeLessThan(one * 5);
  });

  it("still finds the one deleted file whose keys the plain file holds with values", async () => {
    const gone = deleted(500);
    gone.set("app.enc.yaml", new Set([JSON.stringify([0, "setting7"]), JSON.stringify([0, "setting8"])]));
    expect(await movedFrom("settings.yaml", settings, gone)).toBe("app.enc.yaml");
  });
});
