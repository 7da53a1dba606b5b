/**
 * JSONTestSuite's parsing cases (json-test-suite/, see its README) against hush and real SOPS
 * (3.9.2, see @hush/testkit's sops-oracle), each as it is and, for the cases that are not errors,
 * as the value of a key (`{"k": …}`): SOPS files are objects, and most cases are not.
 * - `n_` (JSON must refuse it): hush refuses it and writes nothing;
 * - `y_` (JSON must read it): hush refuses it for a reason listed in REFUSALS, or writes it;
 * - `i_` (the implementation decides): hush refuses it (it names the reason: not UTF-8, a byte
 *   order mark, a number beyond float64, nesting beyond 200, a lone surrogate, which SOPS reads
 *   as U+FFFD), or writes it;
 * - what hush writes, SOPS opens (MAC verified) and reads the values hush reads (numbers as
 *   float64, as SOPS 3.9.2's encoding/json reads them).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sopsDecrypt } from "@hush/testkit";
import { runCliInProcess } from "../proof/support.ts";
import { canonicalJson } from "./oracle-case.ts";
import { useSuiteSandbox } from "./suite-sandbox.ts";

/** A case's bytes: UTF-8 text, base64 (not UTF-8), or a unit repeated (the 100,000-bracket cases). */
type SuiteCase = { readonly name: string } & ({ readonly text: string } | { readonly base64: string } | { readonly unit: string; readonly times: number; readonly tail: string });

const CASES = JSON.parse(readFileSync(join(import.meta.dirname, "json-test-suite", "cases.json"), "utf8")) as SuiteCase[];

function bytesOf(c: SuiteCase): Buffer {
  if ("text" in c) return Buffer.from(c.text, "utf8");
  if ("base64" in c) return Buffer.from(c.base64, "base64");
  return Buffer.from(c.unit.repeat(c.times) + c.tail, "utf8");
}

/** Why hush may refuse a case JSON allows (`y_`). A case left to the implementation (`i_`) may be refused for any reason. */
const REFUSALS: readonly RegExp[] = [
  // SOPS's files are objects.
  /JSON files must have a top-level object/,
  // Go's encoding/json, inside SOPS, refuses the whole file.
  /beyond the range of a 64-bit float, which SOPS cannot read/,
  // SOPS's JSON store refuses a key twice in an object.
  /invalid JSON: duplicate key/,
  /nesting deeper than 200 levels/,
];

const sandbox = useSuiteSandbox("hush-json-suite-");

async function runCase(name: string, input: Buffer, mustRefuse: boolean, mayRefuse: boolean): Promise<string | undefined> {
  const { dir, recipient, env } = sandbox();
  const file = join(dir, name.replace("/", "-"));
  const out = `${file}.enc`;
  writeFileSync(file, input);
  const enc = await runCliInProcess(["encrypt", "--input-type", "json", "--age", recipient, "--output", out, file], { env, cwd: dir });
  if (enc.status !== 0) {
    if (existsSync(out)) return `${name}: refused but wrote ${out}`;
    if (mustRefuse || mayRefuse) return undefined;
    return REFUSALS.some((r) => r.test(enc.stderr)) ? undefined : `${name}: refused: ${enc.stderr.trim()}`;
  }
  if (mustRefuse) return `${name}: JSON refuses it, hush encrypted it`;
  const decrypted = await runCliInProcess(["decrypt", "--input-type", "json", out], { env, cwd: dir });
  if (decrypted.status !== 0) return `${name}: hush cannot decrypt what it wrote: ${decrypted.stderr.trim()}`;
  const sops = await sopsDecrypt({ text: readFileSync(out), format: "json", env });
  if (!sops.ok) return `${name}: SOPS refused the file hush wrote: ${sops.error}`;
  const mine = canonicalJson(decrypted.stdout, true);
  const theirs = canonicalJson(sops.plaintext ?? "", true);
  return mine === theirs ? undefined : `${name}: SOPS reads\n${theirs}\nhush reads\n${mine}`;
}

describe("JSONTestSuite: hush refuses what JSON refuses, and SOPS reads what hush writes", () => {
  it(`${CASES.length} cases, as they are and as the value of a key`, async () => {
    const problems: string[] = [];
    let written = 0;
    for (const c of CASES) {
      const input = bytesOf(c);
      const mustRefuse = c.name.startsWith("n_");
      const mayRefuse = c.name.startsWith("i_");
      const asIs = await runCase(c.name, input, mustRefuse, mayRefuse);
      if (asIs !== undefined) problems.push(asIs);
      if (mustRefuse) continue;
      const nested = await runCase(`k/${c.name}`, Buffer.concat([Buffer.from('{"k": '), input, Buffer.from("}")]), false, mayRefuse);
      if (nested !== undefined) problems.push(nested);
      if (existsSync(join(sandbox().dir, `k-${c.name}.enc`))) written++;
    }
    expect(problems).toEqual([]);
    // The suite must still reach SOPS: most cases are written as values.
    expect(written).toBeGreaterThan(90);
  }, 600_000);
});
