/**
 * One interoperability case: a plaintext file is encrypted (and maybe changed) by the real hush
 * CLI, then decrypted by real SOPS (the oracle) and by hush, and the two answers are compared.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sopsDecrypt, SOPS_ORACLE_VERSION, type SopsOracleFormat } from "@hush/testkit";
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
  /** Also ask SOPS (with the full environment) for its verdict after every step. */
  readonly verdictAfterEachStep?: boolean;
}

export interface CaseEnv {
  readonly dir: string;
  /** Keys for hush and SOPS alike: age key file, GNUPGHOME, KMS endpoint and credentials. */
  readonly env: Readonly<Record<string, string>>;
  /** How hush is run; the built CLI by default. */
  readonly hush?: HushRunner;
}

/** Runs hush with arguments in a directory and environment, as {@link hush} does. */
export type HushRunner = (args: readonly string[], options: { cwd: string; env: Readonly<Record<string, string>> }) => Promise<Run>;

/** What a case produced; `problem` is undefined when SOPS and hush agree. */
export interface CaseOutcome {
  readonly encrypted: string;
  readonly problem?: string;
  readonly sopsError?: string;
}

function failed(what: string, r: Run): string {
  return `${what} exited ${r.status}: ${r.stderr.trim()}`;
}

/** Encrypts a case's file with hush and runs its steps; returns the file or what went wrong. */
export async function writeCase(c: OracleCase, k: CaseEnv): Promise<{ file: string; encrypted: string; problem?: string }> {
  const plainFile = join(k.dir, `${c.name}.plain.${EXTENSION[c.format]}`);
  const encFile = join(k.dir, `${c.name}.${EXTENSION[c.format]}`);
  const configFile = join(k.dir, `${c.name}.sops.yaml`);
  writeFileSync(plainFile, c.plaintext);
  if (c.config !== undefined) writeFileSync(configFile, c.config);
  const global = c.config !== undefined ? ["--config", configFile] : [];
  const run = (args: readonly string[]): Promise<Run> => (k.hush ?? hush)([...global, ...args], { cwd: k.dir, env: k.env });

  const enc = await run(["encrypt", ...typeFlag(c.format), ...c.encrypt, "--output", encFile, plainFile]);
  if (enc.status !== 0) return { file: encFile, encrypted: "", problem: failed("hush encrypt", enc) };
  if (c.configAfter !== undefined) writeFileSync(configFile, c.configAfter);
  if (c.nextPlaintext !== undefined) writeFileSync(plainFile, c.nextPlaintext);
  for (const step of c.steps ?? []) {
    const args = step.map((a) => (a === "{}" ? encFile : a === "{plain}" ? plainFile : a));
    const r = await run(args);
    if (r.status !== 0) return { file: encFile, encrypted: readFileSync(encFile, "utf8"), problem: failed(`hush ${args.join(" ")}`, r) };
    if (c.verdictAfterEachStep === true) {
      const encrypted = readFileSync(encFile, "utf8");
      const sops = await sopsDecrypt({ text: encrypted, format: c.format, env: k.env });
      if (!sops.ok) return { file: encFile, encrypted, problem: `after hush ${step.join(" ")}: SOPS ${SOPS_ORACLE_VERSION} refused the file: ${sops.error}` };
    }
  }
  return { file: encFile, encrypted: readFileSync(encFile, "utf8") };
}

const typeFlag = (format: SopsOracleFormat): string[] => (format === "binary" ? ["--input-type", "binary"] : []);
const structured = (format: SopsOracleFormat): boolean => format === "yaml" || format === "json";

/** `hush decrypt` of a file, as JSON for YAML and JSON files (the form the oracle answers in). */
export async function hushView(format: SopsOracleFormat, file: string, k: CaseEnv): Promise<{ text?: string; problem?: string }> {
  const dec = await (k.hush ?? hush)(["decrypt", ...typeFlag(format), ...(structured(format) ? ["--output-type", "json"] : []), file], { cwd: k.dir, env: k.env });
  return dec.status === 0 ? { text: dec.stdout } : { problem: failed("hush decrypt", dec) };
}

/** Real SOPS's reading of `encrypted` compared with hush's (`hushText` from {@link hushView}). */
export async function sopsAgrees(
  format: SopsOracleFormat,
  encrypted: string,
  hushText: string,
  env: Readonly<Record<string, string>>,
): Promise<{ problem?: string; sopsError?: string }> {
  const sops = await sopsDecrypt({ text: encrypted, format, env });
  if (!sops.ok) return { problem: `SOPS ${SOPS_ORACLE_VERSION} refused the file hush wrote: ${sops.error}`, sopsError: sops.error };
  if (format === "ini") return {};
  const mine = structured(format) ? canonicalJson(hushText, format === "json") : hushText;
  const theirs = structured(format) ? canonicalJson(sops.plaintext ?? "", format === "json") : (sops.plaintext ?? "");
  return mine === theirs ? {} : { problem: `SOPS and hush disagree\n--- SOPS ---\n${theirs}\n--- hush ---\n${mine}` };
}

/** Runs one case end to end; `problem` describes the first disagreement, if any. */
export async function runCase(c: OracleCase, k: CaseEnv): Promise<CaseOutcome> {
  const written = await writeCase(c, k);
  if (written.problem !== undefined) return { encrypted: written.encrypted, problem: written.problem };
  // SOPS gives only a verdict on INI, so there is nothing of hush's to compare it with.
  if (c.format === "ini") return { encrypted: written.encrypted, ...(await sopsAgrees(c.format, written.encrypted, "", c.sopsEnv ?? k.env)) };
  const view = await hushView(c.format, written.file, k);
  if (view.text === undefined) {
    // Still ask SOPS, so that the report says whether the file or hush's reading of it is wrong.
    const sops = await sopsDecrypt({ text: written.encrypted, format: c.format, env: c.sopsEnv ?? k.env });
    const verdict = sops.ok ? `SOPS ${SOPS_ORACLE_VERSION} reads it` : `SOPS ${SOPS_ORACLE_VERSION} refuses it too: ${sops.error}`;
    return { encrypted: written.encrypted, problem: `${view.problem ?? ""} (${verdict})` };
  }
  return { encrypted: written.encrypted, ...(await sopsAgrees(c.format, written.encrypted, view.text, c.sopsEnv ?? k.env)) };
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
