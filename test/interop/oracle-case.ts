/**
 * One interoperability case: a plaintext file is encrypted (and maybe changed) by the real hush
 * CLI, then decrypted by real SOPS (the oracle) and by hush, and the two answers are compared.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sopsDecrypt, type SopsOracleFormat } from "@hush/testkit";
import { hush, type Run } from "../keys/helpers.ts";

export const EXTENSION: Record<SopsOracleFormat, string> = { yaml: "yaml", json: "json", dotenv: "env", ini: "ini", binary: "bin" };

export interface OracleCase {
  /** Unique within the run; names the files. */
  readonly name: string;
  readonly format: SopsOracleFormat;
  readonly plaintext: string;
  /** `hush encrypt` flags (keys, rules); `--config FILE` goes first when `config` is given. */
  readonly encrypt: readonly string[];
  /** Text of a .sops.yaml for this case. */
  readonly config?: string;
  /** hush commands run after encrypt; "{}" stands for the encrypted file, "{plain}" for a new plaintext. */
  readonly steps?: readonly (readonly string[])[];
  /** Plaintext written to "{plain}" before the steps (for `encrypt --reuse`). */
  readonly nextPlaintext?: string;
  /** .sops.yaml text swapped in before the steps (for `updatekeys`). */
  readonly configAfter?: string;
  /** Environment for SOPS instead of the full one (proves which keys open the file). */
  readonly sopsEnv?: Readonly<Record<string, string>>;
}

export interface CaseEnv {
  readonly dir: string;
  /** Keys for hush and SOPS alike: age key file, GNUPGHOME, KMS endpoint and credentials. */
  readonly env: Readonly<Record<string, string>>;
}

/** What a case produced; `problem` is undefined when SOPS and hush agree. */
export interface CaseOutcome {
  readonly encrypted: string;
  readonly problem?: string;
  readonly sopsError?: string;
}

function failed(what: string, r: Run): string {
  return `${what} exited ${r.status}: ${r.stderr.trim()}`;
}

/** Runs one case; returns a description of the first disagreement, if any. */
export async function runCase(c: OracleCase, k: CaseEnv): Promise<CaseOutcome> {
  const plainFile = join(k.dir, `${c.name}.plain.${EXTENSION[c.format]}`);
  const encFile = join(k.dir, `${c.name}.${EXTENSION[c.format]}`);
  const configFile = join(k.dir, `${c.name}.sops.yaml`);
  writeFileSync(plainFile, c.plaintext);
  if (c.config !== undefined) writeFileSync(configFile, c.config);
  const global = c.config !== undefined ? ["--config", configFile] : [];
  const typeFlag = c.format === "binary" ? ["--input-type", "binary"] : [];
  const run = (args: readonly string[]): Promise<Run> => hush([...global, ...args], { cwd: k.dir, env: k.env });

  const enc = await run(["encrypt", ...typeFlag, ...c.encrypt, "--output", encFile, plainFile]);
  if (enc.status !== 0) return { encrypted: "", problem: failed("hush encrypt", enc) };
  if (c.configAfter !== undefined) writeFileSync(configFile, c.configAfter);
  if (c.nextPlaintext !== undefined) writeFileSync(plainFile, c.nextPlaintext);
  for (const step of c.steps ?? []) {
    const args = step.map((a) => (a === "{}" ? encFile : a === "{plain}" ? plainFile : a));
    const r = await run(args);
    if (r.status !== 0) return { encrypted: readFileSync(encFile, "utf8"), problem: failed(`hush ${args.join(" ")}`, r) };
  }
  const encrypted = readFileSync(encFile, "utf8");

  const structured = c.format === "yaml" || c.format === "json";
  const dec = await run(["decrypt", ...typeFlag, ...(structured ? ["--output-type", "json"] : []), encFile]);
  if (dec.status !== 0) return { encrypted, problem: failed("hush decrypt", dec) };
  const sops = await sopsDecrypt({ text: encrypted, format: c.format, env: c.sopsEnv ?? k.env });
  if (!sops.ok) return { encrypted, problem: `SOPS ${"3.9.2"} refused the file hush wrote: ${sops.error}`, sopsError: sops.error };
  if (c.format === "ini") return { encrypted };
  const mine = structured ? canonicalJson(dec.stdout, c.format === "json") : dec.stdout;
  const theirs = structured ? canonicalJson(sops.plaintext ?? "", c.format === "json") : (sops.plaintext ?? "");
  if (mine !== theirs) return { encrypted, problem: `SOPS and hush disagree\n--- SOPS ---\n${theirs}\n--- hush ---\n${mine}` };
  return { encrypted };
}

const TOKEN = /("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
const NUMBER_MARK = "\u0000number:";

/**
 * JSON text in a canonical form: object keys sorted, each number written once by value. Integers
 * are kept digit for digit (YAML's big integers reach the oracle intact); `asFloat64` reads every
 * number as a float64, as SOPS's JSON store and the oracle's encoding/json do.
 */
export function canonicalJson(text: string, asFloat64: boolean): string {
  const marked = text.replace(TOKEN, (match: string, str: string | undefined, num: string | undefined) => {
    if (str !== undefined || num === undefined) return match;
    const integer = /^-?\d+$/.test(num) && !asFloat64;
    return JSON.stringify(NUMBER_MARK + (integer ? BigInt(num).toString() : String(Number(num))));
  });
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      return Object.fromEntries(Object.keys(v).sort().map((key) => [key, sort((v as Record<string, unknown>)[key])]));
    }
    if (typeof v === "string" && v.startsWith(NUMBER_MARK)) return `<number ${v.slice(NUMBER_MARK.length)}>`;
    return v;
  };
  return JSON.stringify(sort(JSON.parse(marked) as unknown), null, 1);
}
