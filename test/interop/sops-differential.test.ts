/**
 * Differential test against real SOPS (3.9.2, see @hush/testkit's sops-oracle): random documents
 * of every format (random-documents.ts), random `.sops.yaml` selection rules and key setups,
 * encrypted by the hush CLI, then changed by random follow-up steps (`set`, `unset`, `rotate`,
 * `updatekeys`, `encrypt --reuse`). SOPS must open the result (MAC included), read the same
 * values as hush, and both must read what the plaintext means; hush must give back the plaintext
 * byte for byte where nothing changed it. INI gives only SOPS's verdict.
 *
 * The CLI runs in this process (`runCli`, the code behind the `hush` binary) so that a case costs
 * one SOPS run, not a Node start-up per command. Seeded: SEED and RUNS per format by default (CI);
 * FUZZ_RUNS cases per format (and FUZZ_SEED) for a longer run. A failing case is saved in
 * test/proof/fuzz-regressions/ and replayed first on every later run.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeGnupgHome, makeTempDir, SOPS_TEST_PGP_KEYS, sopsDecrypt, type GnupgHome, type SopsOracleFormat } from "@hush/testkit";
import { combineKeys, makeAgeKey, type AgeKey, type Run } from "../keys/helpers.ts";
import { FUZZ_RUNS, loadRegressions, runCliInProcess, saveRegression } from "../proof/support.ts";
import { canonicalJson, hushView, writeCase, type CaseEnv, type HushRunner, type OracleCase } from "./oracle-case.ts";
import { binaryDocArb, dotenvAsSopsPrintsIt, dotenvDocArb, iniDocArb, jsonDocArb, meaning, yamlDocArb, type Node } from "./random-documents.ts";

/** FUZZ_SEED picks another seed for a longer run. */
const SEED = Number(process.env["FUZZ_SEED"] ?? "") || 20261206;
/** Cases per format: the file takes about 45 s on a shared two-core machine (2026-12-06). */
const RUNS = FUZZ_RUNS > 0 ? FUZZ_RUNS : 40;
const TIMEOUT_MS = Math.max(300_000, RUNS * 5_000);
const FORMATS: readonly SopsOracleFormat[] = ["yaml", "json", "dotenv", "ini", "binary"];

let tmp: { path: string; cleanup: () => void };
let gpg: GnupgHome;
let age: AgeKey[];
let k: CaseEnv;
let counter = 0;

/** `hush` in this process, with the same clean environment as the built CLI gets in tests. */
const hushInProcess: HushRunner = async (args, options) =>
  (await runCliInProcess(args, { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", ...options.env }, cwd: options.cwd })) satisfies Run;

beforeAll(async () => {
  tmp = makeTempDir("hush-sops-diff-");
  gpg = makeGnupgHome();
  age = await Promise.all([makeAgeKey(tmp.path, "a0"), makeAgeKey(tmp.path, "a1")]);
  k = { dir: tmp.path, env: { SOPS_AGE_KEY_FILE: combineKeys(tmp.path, "all-age", age), GNUPGHOME: gpg.home }, hush: hushInProcess };
});

afterAll(() => {
  gpg?.cleanup();
  tmp?.cleanup();
});

// ---------------------------------------------------------------------------------------------
// Cases.

/** A plaintext and what it means: JSON text for YAML and JSON, the model to change by `set`. */
interface Doc {
  readonly text: string;
  readonly json?: string;
  readonly root?: Node;
  readonly keys?: readonly (string | readonly [string, string])[];
}
type Step = { readonly op: "set"; readonly pick: number; readonly value: string } | { readonly op: "unset"; readonly pick: number } | { readonly op: "rotate" | "updatekeys" | "reuse" };
interface DiffCase {
  readonly format: SopsOracleFormat;
  readonly doc: Doc;
  readonly next: Doc;
  /** `.sops.yaml` creation-rule lines besides the keys. */
  readonly rule: readonly string[];
  readonly keys: "age" | "two recipients" | "pgp and age" | "shamir";
  readonly steps: readonly Step[];
}

const docArb: Record<SopsOracleFormat, fc.Arbitrary<Doc>> = { yaml: yamlDocArb, json: jsonDocArb, dotenv: dotenvDocArb, ini: iniDocArb, binary: binaryDocArb };

const q = (s: string): string => JSON.stringify(s);
function ruleArb(format: SopsOracleFormat): fc.Arbitrary<string[]> {
  if (format === "binary") return fc.constant([]);
  const selection = fc.oneof(
    fc.constant([] as string[]),
    fc.constantFrom("^(password|secret|DB_PASSWORD)$", "pass|PASS", "^(nested_enc|list)$", "^$", ".").map((r) => [`encrypted_regex: ${q(r)}`]),
    fc.constantFrom("^public", "^(name|port|host)$", "note|url", "^$").map((r) => [`unencrypted_regex: ${q(r)}`]),
    fc.constantFrom("_enc", "word").map((s) => [`encrypted_suffix: ${q(s)}`]),
    fc.constantFrom("_unencrypted", "_url", "y").map((s) => [`unencrypted_suffix: ${q(s)}`]),
  );
  const comments = format === "json" ? fc.constant([] as string[]) : fc.option(fc.constantFrom("encrypted_comment_regex", "unencrypted_comment_regex"), { freq: 3 }).map((o) => (o === null ? [] : [`${o}: "public"`]));
  // SOPS takes one of the key rules or a comment rule, not both.
  return fc.tuple(selection, comments, fc.boolean()).map(([s, c, macOnly]) => [...(c.length > 0 ? c : s), ...(macOnly && s.length > 0 ? ["mac_only_encrypted: true"] : [])]);
}

const SET_VALUES = ['"changed ✓"', '""', "42", "-1.5", "true", "null", '{"x": [1, "two", null]}', '"multi\\nline"', '" spaced "', '"#=\\"\'"'];
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant("set" as const), pick: fc.nat(), value: fc.constantFrom(...SET_VALUES) }),
  fc.record({ op: fc.constant("unset" as const), pick: fc.nat() }),
  fc.constantFrom("rotate" as const, "updatekeys" as const, "reuse" as const).map((op) => ({ op })),
);

function caseArb(format: SopsOracleFormat): fc.Arbitrary<DiffCase> {
  return fc.record({
    format: fc.constant(format),
    doc: docArb[format],
    next: docArb[format],
    rule: ruleArb(format),
    keys: fc.constantFrom("age", "age", "age", "two recipients", "pgp and age", "shamir"),
    steps: fc.array(stepArb, { maxLength: 2 }),
  });
}

// ---------------------------------------------------------------------------------------------
// Paths that `set` and `unset` change, and what the document means afterwards.

type Path = readonly string[];

function mapPaths(node: Node, prefix: Path = []): Path[] {
  if (node.kind !== "map") return [];
  return node.entries.flatMap((e) => [[...prefix, e.key], ...mapPaths(e.value, [...prefix, e.key])]);
}

/** Every path `set`/`unset` may name in `doc`, plus a new top-level key for `set`. */
function pathsOf(format: SopsOracleFormat, doc: Doc): Path[] {
  const all = doc.root !== undefined ? mapPaths(doc.root) : (doc.keys ?? []).map((key) => (typeof key === "string" ? [key] : [...key]));
  return all.filter((p) => p.every(nameable) && !p[0]!.startsWith("export ") && !(format === "ini" && p[0] === "DEFAULT"));
}

/** A key a `["…"]` path can name: the path syntax (SOPS's) has no escapes, and `[` starts a component. */
const nameable = (key: string): boolean => !key.includes("[");

function changed(node: Node, path: Path, value: Node | undefined): Node {
  if (node.kind !== "map") return node;
  const [head, ...rest] = path;
  const at = node.entries.findIndex((e) => e.key === head);
  if (rest.length > 0) return at < 0 ? node : { ...node, entries: node.entries.map((e, i) => (i === at ? { ...e, value: changed(e.value, rest, value) } : e)) };
  const entries = node.entries.filter((_, i) => i !== at);
  return { ...node, entries: value === undefined ? entries : [...entries, { key: head!, value, comment: null, lineComment: null }] };
}

/** A random rule may match no key: SOPS writes such a file, hush only when asked to. */
const ALLOW_NO_VALUES = ["--allow-no-values"];

const hushPath = (path: Path): string => path.map((p) => `["${p}"]`).join("");

/** The hush commands for a case's steps, and the document expected at the end. */
function plan(c: DiffCase): { steps: string[][]; expected: Doc } {
  const type = c.format === "binary" ? ["--input-type", "binary"] : [];
  let doc: Doc = c.doc;
  const steps: string[][] = [];
  for (const step of c.steps) {
    if (step.op !== "set" && step.op !== "unset") {
      // The steps run under the .sops.yaml that updatekeys reads (see config), which may not name
      // every key of the file: rotate keeps the file's keys, and it, reuse and set are told --yes.
      if (step.op === "rotate") steps.push(["rotate", "-i", "--yes", ...type, "{}"]);
      if (step.op === "updatekeys") steps.push(["updatekeys", "-y", ...type, "{}"]);
      if (step.op === "reuse") steps.push(["encrypt", ...type, ...ALLOW_NO_VALUES, "--reuse", "{}", "--yes", "--output", "{}", "{plain}"]);
      if (step.op === "reuse") doc = c.next;
      continue;
    }
    const paths = pathsOf(c.format, doc);
    if (c.format === "binary" || paths.length === 0) continue;
    const path = step.op === "set" && step.pick % 4 === 0 ? [...(c.format === "ini" ? [paths[0]![0]!] : []), "added_by_set"] : paths[step.pick % paths.length]!;
    if (c.format === "ini" && path.length !== 2) continue;
    // dotenv and INI hold strings only.
    const value = step.op === "unset" ? undefined : c.format === "dotenv" || c.format === "ini" ? q(String(JSON.parse(step.value) ?? "")) : step.value;
    steps.push(value === undefined ? ["unset", "{}", hushPath(path)] : ["set", "--yes", "{}", hushPath(path), value]);
    const root = doc.root === undefined ? undefined : changed(doc.root, path, value === undefined ? undefined : { kind: "scalar", text: value, json: value });
    doc = root === undefined ? { text: "" } : { text: "", root, json: meaning(root) };
  }
  return { steps, expected: doc };
}

// ---------------------------------------------------------------------------------------------
// One case.

function config(c: DiffCase, after: boolean): string {
  const a = (i: number): string => age[i]!.recipient;
  const rule = c.rule.map((l) => `    ${l}\n`).join("");
  if (after) return `creation_rules:\n  - age: ${a(0)},${a(1)}\n${rule}`;
  switch (c.keys) {
    case "age":
      return `creation_rules:\n  - age: ${a(0)}\n${rule}`;
    case "two recipients":
      return `creation_rules:\n  - age: ${a(1)},${a(0)}\n${rule}`;
    case "pgp and age":
      return `creation_rules:\n  - age: ${a(0)}\n    pgp: ${SOPS_TEST_PGP_KEYS.key1}\n${rule}`;
    case "shamir":
      return `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${a(0)}]\n      - age: [${a(1)}]\n${rule}`;
  }
}

const structured = (format: SopsOracleFormat): boolean => format === "yaml" || format === "json";

/** Runs one case; returns what went wrong, or undefined when SOPS, hush and the plaintext agree. */
async function check(c: DiffCase): Promise<string | undefined> {
  const { steps, expected } = plan(c);
  const oracleCase: OracleCase = {
    name: `diff-${++counter}`,
    format: c.format,
    plaintext: c.doc.text,
    encrypt: ALLOW_NO_VALUES,
    config: config(c, false),
    configAfter: config(c, true),
    nextPlaintext: c.next.text,
    steps,
  };
  const written = await writeCase(oracleCase, k);
  if (written.problem !== undefined) return written.problem;
  const sops = await sopsDecrypt({ text: written.encrypted, format: c.format, env: k.env });
  if (!sops.ok) return `SOPS refused the file hush wrote: ${sops.error}\n${written.encrypted}`;
  const type = c.format === "binary" ? ["--input-type", "binary"] : [];
  const native = await hushInProcess(["decrypt", ...type, written.file], { cwd: k.dir, env: k.env });
  if (native.status !== 0) return `hush decrypt exited ${native.status}: ${native.stderr}`;
  // YAML comes back in SOPS's spellings of some values (docs/formats.md): its meaning is compared below.
  if (c.format !== "yaml" && expected.text !== "" && native.stdout !== expected.text) return `hush decrypt does not give back the plaintext:\n${q(native.stdout)}\n${q(expected.text)}`;
  if (c.format === "dotenv" && sops.plaintext !== dotenvAsSopsPrintsIt(native.stdout)) return `SOPS and hush disagree:\n--- SOPS ---\n${sops.plaintext ?? ""}\n--- hush ---\n${native.stdout}`;
  if (c.format === "binary" && sops.plaintext !== native.stdout) return `SOPS and hush disagree:\n--- SOPS ---\n${q(sops.plaintext ?? "")}\n--- hush ---\n${q(native.stdout)}`;
  if (!structured(c.format)) return undefined;
  const view = await hushView(c.format, written.file, k);
  if (view.text === undefined) return view.problem;
  const asFloat = c.format === "json";
  const mine = canonicalJson(view.text, asFloat);
  const theirs = canonicalJson(sops.plaintext ?? "", asFloat);
  if (mine !== theirs) return `SOPS and hush disagree:\n--- SOPS ---\n${theirs}\n--- hush ---\n${mine}`;
  const meant = canonicalJson(expected.json ?? "", asFloat);
  return meant === mine ? undefined : `SOPS and hush do not read what the plaintext means:\n--- meant ---\n${meant}\n--- read ---\n${mine}`;
}

/** Replays the saved failures of `target`, then runs the property; saves a new failure. */
async function differential(format: SopsOracleFormat): Promise<void> {
  const target = `sops-diff-${format}`;
  const failures: string[] = [];
  for (const saved of loadRegressions(target)) {
    const problem = await check(saved.input as DiffCase);
    if (problem !== undefined) failures.push(`saved case fails again (${saved.note.slice(0, 120)}): ${problem}`);
  }
  // A long run goes on past a failure and saves each kind of failure once (saveRegression keeps
  // one case per kind); the default run stops at the first and shrinks it.
  const details = await fc.check(
    fc.asyncProperty(caseArb(format), async (c) => {
      const problem = await check(c);
      if (problem === undefined) return;
      if (FUZZ_RUNS === 0) throw new Error(problem);
      failures.push(`${target}: ${saveRegression(target, c, problem.slice(0, 300))}:\n${problem}`);
    }),
    { numRuns: RUNS, seed: SEED + FORMATS.indexOf(format) },
  );
  console.log(`${target}: ${details.numRuns} cases, seed ${details.seed}`);
  if (details.failed && details.counterexample !== null) {
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    const file = saveRegression(target, details.counterexample[0], why.slice(0, 300));
    failures.push(`${target}: case failed (seed ${details.seed}), saved as ${file}:\n${why}\n${JSON.stringify(details.counterexample[0])}`);
  }
  expect(failures.join("\n\n")).toBe("");
}

describe("SOPS 3.9.2 and hush read random documents hush wrote and changed alike", () => {
  it.each(FORMATS)("%s", async (format) => differential(format), TIMEOUT_MS);
});
