/**
 * The YAML test suite (yaml-test-suite/, see its README) against hush and real SOPS (3.9.2, see
 * @hush/testkit's sops-oracle). Every case is encrypted by the hush CLI (in this process), as it
 * is and as the value of a key (`k:` with the case indented under it), so that the many cases that
 * are not a top-level mapping (flow collections, tags, anchors, tabs) are met where hush reads them.
 *
 * hush keeps the text around each value, so YAML that the `yaml` package reads and go-yaml (the
 * reader inside SOPS) reads otherwise would pass into the encrypted file. For every case:
 * - a case the suite calls invalid is refused;
 * - a valid case is either refused for a reason listed in REFUSALS, or written; then SOPS opens
 *   it (its MAC verified), hush reads the values the suite says the document holds, and SOPS reads
 *   what hush reads, except where go-yaml's own writer and reader lose a value (GO_YAML_ROUND_TRIP).
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sopsDecrypt } from "@hush/testkit";
import { runCliInProcess } from "../proof/support.ts";
import { canonicalJson } from "./oracle-case.ts";
import { useSuiteSandbox } from "./suite-sandbox.ts";

interface SuiteCase {
  readonly id: string;
  readonly yaml: string;
  /** The suite's JSON of the document(s); absent where the suite gives none. */
  readonly json?: string;
  readonly invalid?: true;
}

const CASES = JSON.parse(readFileSync(join(import.meta.dirname, "yaml-test-suite", "cases.json"), "utf8")) as SuiteCase[];

/** Why hush may refuse a valid case: what SOPS cannot represent, or cannot read as the suite does. */
const REFUSALS: readonly RegExp[] = [
  /YAML documents that are sequences or single values are not supported/,
  /flow-style top-level mappings are not supported/,
  /complex mapping keys are not supported/,
  /is read as \w+, and SOPS supports only string keys/,
  /the file has no document to encrypt/,
  /duplicate key at line/,
  /!!binary values are not supported/,
  /SOPS's YAML reader/,
  /tag on the value at line \d+: SOPS cannot read an encrypted value under it/,
  /tag on a key at line \d+: SOPS and hush read every key as a string/,
  /tag on the (mapping|list) at line \d+ makes YAML readers that honour tags read something other/,
  // `! 12`, `k: !`: a string to the suite (and the yaml package), the integer 12 or null to go-yaml and PyYAML.
  /the ! tag on the value at .* is no tag to SOPS's YAML reader and PyYAML/,
];

/**
 * Valid cases hush refuses with "would not read back": a block scalar with keep chomping (or
 * empty lines) at the very end of the text, read otherwise once the metadata block follows it.
 * hush refuses rather than write a file it could not decrypt.
 */
const NOT_READ_BACK = new Set(["k/JEF9-00", "k/JEF9-01", "k/JEF9-02", "k/K858"]);

/**
 * Cases where SOPS's answer passes through go-yaml's writer and reader (SOPS prints the decrypted
 * document; the oracle reads that YAML again), which lose these block scalars' leading or
 * trailing line breaks and tabs, or cannot read them back at all. SOPS decrypted them, with a
 * valid MAC, to the values hush wrote; hush's reading matches the suite's.
 */
const GO_YAML_ROUND_TRIP = new Set(["F6MC", "K858", "L24T-01", "NAT4", "Y79Y-001", "k/7T8X", "k/L24T-01", "k/Y79Y-001", "k/4QFQ", "k/P2AD", "k/R4YG"]);
/** Empty documents (`---` alone): the suite reads null; SOPS, and hush's JSON view, an empty mapping. */
const EMPTY_DOCUMENTS = new Set(["6XDY"]);
/** Times: SOPS 3.9.2 predates the `time` value type (later SOPS reads it), and JSON has no time. */
const TIMES = new Set(["RZT7", "UGM3"]);

const sandbox = useSuiteSandbox("hush-yaml-suite-");

/** The case as the value of a key, where it is not a mapping at the top level; undefined where indenting changes it. */
function nested(text: string): string | undefined {
  if (/^(---|\.\.\.|%)/m.test(text) || text.trim() === "") return undefined;
  return "k:\n" + text.split("\n").map((l, i, all) => (l === "" && i === all.length - 1 ? l : `  ${l}`)).join("\n");
}

/** The first document of the suite's JSON (it writes a stream's documents one after another). */
function firstDocument(json: string): string {
  return json.trim().split(/\n(?=[[{"0-9tfn-])/)[0]!;
}

async function runCase(name: string, text: string, c: SuiteCase, expectedJson: string | undefined): Promise<string | undefined> {
  const { dir, recipient, env } = sandbox();
  const file = join(dir, `${name.replace("/", "-")}.yaml`);
  const out = join(dir, `${name.replace("/", "-")}.enc.yaml`);
  writeFileSync(file, text);
  const enc = await runCliInProcess(["encrypt", "--age", recipient, "--output", out, file], { env, cwd: dir });
  if (enc.status !== 0) {
    if (existsSync(out)) return `${name}: refused (${enc.stderr.trim()}) but wrote ${out}`;
    if (c.invalid === true) return undefined;
    if (NOT_READ_BACK.has(name) && /would not read back/.test(enc.stderr)) return undefined;
    return REFUSALS.some((r) => r.test(enc.stderr)) ? undefined : `${name}: a valid case refused: ${enc.stderr.trim()}`;
  }
  if (c.invalid === true) return `${name}: the suite calls it invalid, hush encrypted it`;
  const encrypted = readFileSync(out);
  const decrypted = await runCliInProcess(["decrypt", out], { env, cwd: dir });
  if (decrypted.status !== 0) return `${name}: hush cannot decrypt what it wrote: ${decrypted.stderr.trim()}`;
  const asJson = await runCliInProcess(["decrypt", "--output-type", "json", out], { env, cwd: dir });
  const mine = canonicalJson(asJson.stdout, false);
  if (expectedJson !== undefined && !TIMES.has(c.id) && !EMPTY_DOCUMENTS.has(c.id) && mine !== canonicalJson(expectedJson, false)) return `${name}: hush reads other values than the suite:\n${mine}`;
  let sops: Awaited<ReturnType<typeof sopsDecrypt>>;
  try {
    sops = await sopsDecrypt({ text: encrypted, format: "yaml", env });
  } catch (err) {
    // The oracle could not read the YAML SOPS printed (after SOPS decrypted the file and checked its MAC).
    return GO_YAML_ROUND_TRIP.has(name) && /failed to parse yaml content/.test(String(err)) ? undefined : `${name}: ${String(err)}`;
  }
  if (!sops.ok) return TIMES.has(c.id) && /Unknown datatype: time/.test(sops.error) ? undefined : `${name}: SOPS refused the file hush wrote: ${sops.error}`;
  if (GO_YAML_ROUND_TRIP.has(name)) return undefined;
  const theirs = canonicalJson(sops.plaintext ?? "", false);
  return theirs === mine ? undefined : `${name}: SOPS reads\n${theirs}\nhush reads\n${mine}`;
}

describe("the YAML test suite: hush refuses what SOPS would read otherwise, and SOPS reads what hush writes", () => {
  it(`${CASES.length} cases, as they are and nested under a key`, async () => {
    const problems: string[] = [];
    let written = 0;
    for (const c of CASES) {
      const json = c.json === undefined || c.json.trim() === "" ? undefined : firstDocument(c.json);
      const asIs = await runCase(c.id, c.yaml, c, json);
      if (asIs !== undefined) problems.push(asIs);
      const under = nested(c.yaml);
      if (under !== undefined) {
        const nestedProblem = await runCase(`k/${c.id}`, under, c, json === undefined ? undefined : `{"k": ${json}}`);
        if (nestedProblem !== undefined) problems.push(nestedProblem);
      }
      if (existsSync(join(sandbox().dir, `${c.id}.enc.yaml`))) written++;
    }
    expect(problems).toEqual([]);
    // The suite must still reach SOPS: most valid mappings are written, not refused.
    expect(written).toBeGreaterThan(80);
  }, 600_000);
});
