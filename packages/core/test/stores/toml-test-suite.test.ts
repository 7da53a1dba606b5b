import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decryptText, encryptText, isHushError } from "@hush/core";
import { parseToml } from "../../src/stores/toml-parser.ts";
import { treeValue, type TomlNode } from "../../src/stores/toml-values.ts";
import { dataKey, expectRoundTrip, ivSource, noKeys, now, wrappedKeys } from "../store-harness.ts";

/**
 * The TOML 1.0 cases of toml-test, the official TOML test suite (fixtures/toml-test/, see its
 * README), through hush's TOML store. SOPS has no TOML, so the judge is the specification:
 * - a valid case reads to exactly the values and types the suite gives, and decrypt(encrypt(x))
 *   is x byte for byte, with only value spans changed;
 * - an invalid case is refused with PARSE_FAILED, a one-line message naming a line of the file.
 * The nine invalid cases whose bytes are not UTF-8 (bundled as base64) never reach a store: the CLI
 * refuses such a file as NOT_UTF8 when it decodes it (packages/cli/test/not-utf8-input.test.ts).
 *
 * No case is left out. toml-test has no TOML 1.0 case for integers beyond 64 bits (hush's one
 * extension, docs/formats.md); the cases only in TOML 1.1 (files-toml-1.1.0) are not bundled,
 * since hush reads TOML 1.0.
 */

interface SuiteCase {
  /** `valid/…` or `invalid/…`, the file's path in the suite without `.toml`. */
  readonly name: string;
  /** The file's text; absent where its bytes are not UTF-8. */
  readonly toml?: string;
  /** The file's bytes where they are not UTF-8. */
  readonly base64?: string;
  /** Valid cases: the expected values in toml-test's tagged JSON. */
  readonly json?: unknown;
}

const CASES = JSON.parse(readFileSync(new URL("../fixtures/toml-test/cases.json", import.meta.url), "utf8")) as SuiteCase[];
const VALID = CASES.filter((c) => c.name.startsWith("valid/"));
const INVALID = CASES.filter((c) => c.name.startsWith("invalid/"));

const enc = (text: string): Promise<string> => encryptText(text, { format: "toml", keySources: noKeys, wrappedKeys, dataKey, now, ivSource });
const dec = (text: string): Promise<string> => decryptText(text, { format: "toml", keySources: noKeys, dataKey });

/** A tagged scalar (`{"type": …, "value": …}`) in one spelling per value, so equal values compare equal. */
function canonicalScalar(type: string, value: string): { type: string; value: string } {
  if (type === "float") {
    const n = /nan$/.test(value) ? NaN : /inf$/.test(value) ? (value.startsWith("-") ? -Infinity : Infinity) : Number(value);
    return { type, value: Object.is(n, -0) ? "-0" : String(n) };
  }
  if (type === "datetime" || type === "datetime-local") {
    // RFC 3339 lets the separator be a space or t, and Z be z; a fraction's trailing zeros say nothing.
    return { type, value: value.replace(/^(\d{4}-\d\d-\d\d)[ tT]/, "$1T").replace(/z$/, "Z").replace(/(\.\d*?)0+(?=$|Z|[+-])/, "$1").replace(/\.(?=$|Z|[+-])/, "") };
  }
  if (type === "time-local") return { type, value: value.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "") };
  return { type, value };
}

const TAG: Record<string, string> = {
  string: "string",
  integer: "integer",
  float: "float",
  bool: "bool",
  "offset-datetime": "datetime",
  "local-datetime": "datetime-local",
  "local-date": "date-local",
  "local-time": "time-local",
};

/** hush's reading of a document in toml-test's tagged form: each scalar's kind, and its value as conversions use it. */
function tagged(node: TomlNode): unknown {
  if (node.kind === "table") return Object.fromEntries([...node.entries].map(([k, v]) => [k, tagged(v)]));
  if (node.kind === "array") return node.items.map(tagged);
  return canonicalScalar(TAG[node.scalarKind]!, treeValue(node).text);
}

/** The suite's expected JSON with every scalar in the same canonical spelling. */
function expected(json: unknown): unknown {
  if (Array.isArray(json)) return json.map(expected);
  const o = json as Record<string, unknown>;
  if (typeof o["type"] === "string" && typeof o["value"] === "string" && Object.keys(o).length === 2) return canonicalScalar(o["type"], o["value"]);
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expected(v)]));
}

/** The cases kept as bytes: files that are not UTF-8. */
const NOT_UTF8 = INVALID.filter((c) => c.toml === undefined);

describe("toml-test (TOML 1.0): the bundle", () => {
  it("holds every case files-toml-1.0.0 lists", () => {
    expect([VALID.length, INVALID.length]).toEqual([210, 499]);
    expect(VALID.every((c) => c.toml !== undefined && c.json !== undefined)).toBe(true);
  });

  it("keeps as bytes only the invalid files that are not UTF-8, which the CLI refuses before parsing", () => {
    expect(NOT_UTF8.map((c) => c.name)).toEqual(NOT_UTF8.map((c) => c.name).filter((n) => n.startsWith("invalid/encoding/")));
    expect(NOT_UTF8).toHaveLength(9);
    for (const c of NOT_UTF8) {
      const bytes = Buffer.from(c.base64!, "base64");
      expect(Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes)).toBe(false);
    }
  });
});

describe("toml-test (TOML 1.0): valid files", () => {
  it.each(VALID.map((c) => [c.name, c] as const))("%s reads to the suite's values and round-trips byte for byte", async (_name, c) => {
    const text = c.toml!;
    expect(tagged(parseToml(text).root)).toEqual(expected(c.json));
    await expectRoundTrip(text, "toml", enc, dec);
  });
});

describe("toml-test (TOML 1.0): invalid files", () => {
  it.each(INVALID.filter((c) => c.toml !== undefined).map((c) => [c.name, c.toml!] as const))("%s is refused, naming a line", async (name, text) => {
    const err: unknown = await enc(text).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isHushError(err)) throw new Error(`${name} was not refused with a HushError: ${String(err)}`);
    expect(err.code).toBe("PARSE_FAILED");
    expect(err.message).toMatch(/^invalid TOML: .* at line \d+$/);
    const lines = Math.max(1, text.split("\n").length - (text.endsWith("\n") ? 1 : 0));
    expect(err.location?.line).toBeGreaterThanOrEqual(1);
    expect(err.location?.line).toBeLessThanOrEqual(lines);
  });
});
