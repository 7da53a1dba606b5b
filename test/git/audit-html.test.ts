import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hush } from "./helpers.ts";
import { buildAuditRepo, short, type AuditRepo } from "./audit-fixture.ts";

/**
 * The HTML report of `hush audit --html` (see audit-fixture.ts for the repository), rendered by
 * headless Chromium (Debian's `chromium` package): the matrix and the ages are in the rendered
 * page, the screenshot is a real image, and the page names no external URL.
 */

const CHROMIUM = "/usr/bin/chromium";
let t: AuditRepo;
let page: string;
let pagePath: string;

function chromium(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install chromium (apt-get install chromium, or run scripts/install-test-tools.sh)`);
  const profile = join(t.sb.dir, `chromium-profile-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", `--user-data-dir=${profile}`, ...args],
    { timeout: 90_000, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: t.sb.home, LANG: "C" }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.error) throw r.error;
  return { status: r.status ?? 128, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

beforeAll(() => {
  t = buildAuditRepo();
  pagePath = join(t.sb.dir, "report.html");
  const r = hush(t.sb, ["audit", "--html", pagePath, "--max-age", "365d", "--as-of", "2026-01-01"], { cwd: t.repo, env: t.sb.keylessEnv });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(1);
  page = readFileSync(pagePath, "utf8");
});
afterAll(() => t.sb.cleanup());

describe("hush audit --html", () => {
  it("is one self-contained page: no script, no external resource, no http(s) URL", () => {
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(/i);
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it("renders in headless Chromium with the access matrix and the age of every secret", () => {
    const r = chromium(["--dump-dom", `file://${pagePath}`]);
    expect(r.status, r.stderr).toBe(0);
    // The rendered DOM, reduced to its text.
    const text = r.stdout.replace(/<style>[\s\S]*?<\/style>/, "").replace(/<[^>]+>/g, " ").replace(/&amp;/g, "&").replace(/\s+/g, " ");
    expect(text).toContain("Access matrix");
    expect(text).toContain(`Alice age ${short(t.sb.recipient)} x x x`);
    expect(text).toContain(`bob age ${short(t.bob.recipient)} · · x`);
    expect(text).toContain(`carol age ${short(t.carol.recipient)} x · ·`);
    expect(text).toContain(`(no name) age ${short(t.dave.recipient)} · x ·`);
    expect(text).toContain(`named by the creation rule but cannot open the file: carol (age ${t.carol.recipient})`);
    expect(text).toContain(`prod.enc.yaml ["db"]["password"] 2024-06-01 578 days stale ${t.commits["password"]!.slice(0, 10)} Test User Change the prod database password`);
    expect(text).toContain(`dev.enc.env ["TOKEN"] 2025-03-01 305 days ${t.commits["carol-dev"]!.slice(0, 10)} Test User Rotate dev: carol out, dave in re-keyed`);
    expect(text).toContain("removed in");
  });

  it("takes a screenshot that is a real, non-trivial image", () => {
    const png = join(t.sb.dir, "report.png");
    const r = chromium([`--screenshot=${png}`, "--window-size=1100,1000", "--hide-scrollbars", `file://${pagePath}`]);
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Width and height from the IHDR chunk, and more bytes than a blank page compresses to.
    expect(bytes.readUInt32BE(16)).toBe(1100);
    expect(bytes.readUInt32BE(20)).toBe(1000);
    expect(statSync(png).size).toBeGreaterThan(40_000);
  });
});
