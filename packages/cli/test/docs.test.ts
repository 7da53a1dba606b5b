import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ErrorCode } from "@hush/core";
import { EXIT, exitCodeFor } from "../src/exit-codes.ts";

/**
 * The parts of the documentation that a change to the code silently makes wrong: the exit status
 * tables and the links between pages. Both are read as a new user reads them.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), "utf8");
const PAGES = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** The lines of a page outside fenced code blocks (a `#` there is a comment, not a heading). */
function proseLines(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  let fenced = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) out.push({ line, number: i + 1 });
  });
  return out;
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { line } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading === null) continue;
    const slug = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** The rows of the first table under a heading: first cell → second cell. */
function tableUnder(text: string, heading: string): Map<string, string> {
  const start = text.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of text.slice(start + heading.length + 2).split("\n")) {
    const cells = /^\|([^|]*)\|(.*)\|$/.exec(line);
    if (cells === null) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    rows.set(cells[1]!.trim(), cells[2]!.trim());
  }
  return rows;
}

/** The statuses a table's first cells name (`126, 127` names two). */
const statusesIn = (rows: Map<string, string>): Set<number> =>
  new Set([...rows.keys()].flatMap((cell) => cell.split(",").map((s) => Number(s.trim()))).filter((n) => Number.isInteger(n)));

/** Every member of the ErrorCode union, as core's source spells it. */
function errorCodes(): string[] {
  const source = read("packages/core/src/errors.ts");
  const union = /export type ErrorCode =([\s\S]*?);/.exec(source);
  expect(union).not.toBeNull();
  return [...union![1]!.matchAll(/\|\s*"([A-Z_0-9]+)"/g)].map((m) => m[1]!);
}

describe("the exit statuses the documentation gives", () => {
  const exitStatuses: readonly number[] = [...new Set(Object.values(EXIT))];

  it("README's Exit codes table has every status hush exits with", () => {
    const documented = statusesIn(tableUnder(read("README.md"), "## Exit codes"));
    expect(exitStatuses.filter((s) => !documented.has(s))).toEqual([]);
  });

  it.each([
    ["README.md", "## Exit codes"],
    ["docs/workflows.md", "## Exit statuses of these commands"],
  ])("%s gives no status hush never exits with", (page, heading) => {
    const documented = [...statusesIn(tableUnder(read(page), heading))];
    expect(documented.filter((s) => s !== 0 && !exitStatuses.includes(s))).toEqual([]);
  });

  it("docs/errors.md gives every error code under the status exitCodeFor gives it, and every code once", () => {
    const rows = tableUnder(read("docs/errors.md"), "## Error codes and exit statuses");
    const documented = new Map<string, number>();
    for (const [status, cell] of rows) {
      for (const [, code] of cell.matchAll(/`([A-Z][A-Z_0-9]+)`/g)) {
        expect(documented.has(code!), `${code} is listed twice`).toBe(false);
        documented.set(code!, Number(status));
      }
    }
    const codes = errorCodes();
    expect(codes.length).toBeGreaterThan(30);
    expect(codes.filter((c) => !documented.has(c))).toEqual([]);
    expect([...documented.keys()].filter((c) => !codes.includes(c))).toEqual([]);
    for (const [code, status] of documented) expect(`${code} ${exitCodeFor(code as ErrorCode)}`).toBe(`${code} ${status}`);
  });
});

describe("links between the pages", () => {
  it.each(PAGES)("every relative link of %s names a file that exists, and a heading of it", (page) => {
    const broken: string[] = [];
    for (const { line, number } of proseLines(read(page))) {
      for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const file = path === "" ? page : normalize(join(dirname(page), path));
        if (!existsSync(join(ROOT, file))) broken.push(`${page}:${number}: ${target} (no such file)`);
        else if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(read(file)).has(anchor)) broken.push(`${page}:${number}: ${target} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
