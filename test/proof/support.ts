import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isHushError, type FileFormat, type KeySourceResolver } from "@hush/core";
import { AgeKeySource, generateAgeKeyPair, parseAgeIdentities } from "@hush/key-source-age";

/**
 * Shared material of the proof suites (tamper, fuzz, hostile input, leak): generated documents
 * whose every plaintext string carries a marker that must never show up where it should not,
 * byte mutations, and the store of fuzz regression cases.
 */

/**
 * Every plaintext string value of the generated documents contains this marker. Its `_` is in
 * neither base64's alphabet nor hex, so no ciphertext, IV, tag or MAC can spell it by chance (with
 * "PTX" alone, about one encrypted file in a few hundred did, and a leak check failed).
 */
export const MARKER = "PTX_";

/** `FUZZ_RUNS` ≥ 100,000 selects the long run (`pnpm fuzz:long`): exhaustive tamper cases too. */
export const FUZZ_RUNS = Number(process.env["FUZZ_RUNS"] ?? "0") || 0;
export const LONG_RUN = FUZZ_RUNS >= 100_000;

export interface AgeSetup {
  readonly identity: string;
  readonly recipient: string;
  readonly keySources: KeySourceResolver;
}

/** A fresh age key pair and a key-source resolver that opens files encrypted to it. */
export async function ageSetup(): Promise<AgeSetup> {
  const { identity, recipient } = await generateAgeKeyPair();
  const source = new AgeKeySource({ identities: parseAgeIdentities(identity, { source: "test" }) });
  const keySources: KeySourceResolver = async (kind) => (kind === "age" ? source : undefined);
  return { identity, recipient, keySources };
}

/** A resolver with no key source at all (for calls that pass the data key directly). */
export const noKeySources: KeySourceResolver = async () => undefined;

/** A string value with a findable marker: `PTX_<index>q` then letters. */
export function markedValue(i: number): string {
  return `${MARKER}${String(i).padStart(3, "0")}q-${createHash("sha256").update(String(i)).digest("hex").slice(0, 12)}`;
}

/**
 * The tamper document: exactly 100 values (strings, ints, floats, bools, list items, six values
 * left unencrypted by the default `_unencrypted` suffix), plus a null and an empty string (which
 * SOPS never encrypts) and, in YAML, two comments (which SOPS encrypts but does not MAC).
 */
export function tamperDocument(format: FileFormat): string {
  let n = 0;
  const scalar = (kind: number): string | number | boolean => {
    const i = n++;
    switch (kind % 10) {
      case 3:
        return 1000 + i;
      case 6:
        return i % 2 === 0;
      case 8:
        return Number(`${i}.25`);
      default:
        return markedValue(i);
    }
  };
  // 8 sections × 10 values, a 10-item list, 4 top-level values, 6 unencrypted = 100.
  const sections: Array<[string, Array<[string, string | number | boolean]>]> = [];
  for (let s = 0; s < 8; s++) {
    const entries: Array<[string, string | number | boolean]> = [];
    for (let k = 0; k < 10; k++) entries.push([`k${k}`, scalar(k)]);
    sections.push([`s${s}`, entries]);
  }
  const items: string[] = [];
  for (let i = 0; i < 10; i++) items.push(markedValue(n++));
  const top: Array<[string, string | number | boolean]> = [];
  for (let i = 0; i < 4; i++) top.push([`top${i}`, scalar(i)]);
  const clear: Array<[string, string | number | boolean]> = [];
  for (let i = 0; i < 6; i++) clear.push([`note${i}_unencrypted`, i % 2 === 0 ? markedValue(n++) : (n++, 7000 + i)]);
  if (n !== 100) throw new Error(`tamper document has ${n} values, not 100`);

  if (format === "json") {
    const root: Record<string, unknown> = {};
    for (const [s, entries] of sections) root[s] = Object.fromEntries(entries);
    root["items"] = items;
    for (const [k, v] of top) root[k] = v;
    for (const [k, v] of clear) root[k] = v;
    root["nothing"] = null;
    root["empty"] = "";
    return JSON.stringify(root, null, "\t") + "\n";
  }
  if (format === "yaml") {
    const out: string[] = [`# ${MARKER}C1q top comment`];
    for (const [s, entries] of sections) {
      out.push(`${s}:`);
      for (const [k, v] of entries) out.push(`    ${k}: ${String(v)}`);
    }
    out.push("items:");
    for (const v of items) out.push(`    - ${v}`);
    out.push(`    # ${MARKER}C2q comment in a list`);
    for (const [k, v] of top) out.push(`${k}: ${String(v)}`);
    for (const [k, v] of clear) out.push(`${k}: ${String(v)}`);
    out.push("nothing: null", 'empty: ""');
    return out.join("\n") + "\n";
  }
  if (format === "dotenv") {
    // dotenv has no nesting, lists or types: the same 100 values as flat string lines.
    const out: string[] = [];
    for (const [s, entries] of sections) for (const [k, v] of entries) out.push(`${s}_${k}=${String(v)}`);
    items.forEach((v, i) => out.push(`items_${i}=${v}`));
    for (const [k, v] of top) out.push(`${k}=${String(v)}`);
    for (const [k, v] of clear) out.push(`${k}=${String(v)}`);
    out.push("empty=");
    return out.join("\n") + "\n";
  }
  throw new Error(`no tamper document for ${format}`);
}

/** A region of an encrypted file that a tamper case changes. */
export interface Field {
  /** value, comment, mac, lastmodified, or meta:<name> for other metadata values. */
  readonly kind: string;
  readonly start: number;
  readonly end: number;
  /** Index of the value among the file's ENC values (stratified sampling). */
  readonly index: number;
}

/** Offset where the metadata starts (everything before it is the data part). */
export function metadataStart(text: string, format: FileFormat): number {
  const at = format === "yaml" ? text.indexOf("\nsops:\n") : format === "json" ? text.indexOf('"sops":') : text.indexOf("\nsops_");
  if (at === -1) throw new Error("no metadata found");
  return at;
}

/**
 * Every tamperable field of an encrypted file: each ENC value (comments apart), the MAC, the
 * timestamp, and each other metadata value (age recipient and wrapped key, version, rule).
 */
export function tamperFields(text: string, format: FileFormat): Field[] {
  const meta = metadataStart(text, format);
  const fields: Field[] = [];
  let index = 0;
  for (const m of text.slice(0, meta).matchAll(/ENC\[AES256_GCM,[^\]\n]*\]/g)) {
    const start = m.index;
    fields.push({ kind: text[start - 1] === "#" ? "comment" : "value", start, end: start + m[0].length, index: index++ });
  }
  const metaText = text.slice(meta);
  const add = (kind: string, re: RegExp): void => {
    const m = new RegExp(re.source, "d").exec(metaText);
    const span = m?.indices?.[1];
    if (span === undefined) throw new Error(`metadata field ${kind} not found`);
    fields.push({ kind, start: meta + span[0], end: meta + span[1], index: 0 });
  };
  if (format === "yaml") {
    add("mac", /\n {4}mac: (ENC\[[^\n]*\])/);
    add("lastmodified", /\n {4}lastmodified: "([^"\n]*)"/);
    add("meta:age.recipient", /\n {10}recipient: (age1[a-z0-9]+)/);
    add("meta:age.enc", /(-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----)/);
    add("meta:unencrypted_suffix", /\n {4}unencrypted_suffix: (\S+)/);
    add("meta:version", /\n {4}version: (\S+)/);
  } else if (format === "json") {
    add("mac", /"mac": ?"(ENC\[[^"]*\])"/);
    add("lastmodified", /"lastmodified": ?"([^"]*)"/);
    add("meta:age.recipient", /"recipient": ?"(age1[a-z0-9]+)"/);
    add("meta:age.enc", /"enc": ?"(-----BEGIN AGE ENCRYPTED FILE-----[^"]*-----END AGE ENCRYPTED FILE-----)/);
    add("meta:unencrypted_suffix", /"unencrypted_suffix": ?"([^"]*)"/);
    add("meta:version", /"version": ?"([^"]*)"/);
  } else {
    add("mac", /\nsops_mac=(ENC\[[^\n]*\])/);
    add("lastmodified", /\nsops_lastmodified=([^\n]*)/);
    add("meta:age.recipient", /\nsops_age__list_0__map_recipient=(age1[a-z0-9]+)/);
    add("meta:age.enc", /\nsops_age__list_0__map_enc=(-----BEGIN AGE ENCRYPTED FILE-----[^\n]*-----END AGE ENCRYPTED FILE-----)/);
    add("meta:unencrypted_suffix", /\nsops_unencrypted_suffix=([^\n]*)/);
    add("meta:version", /\nsops_version=([^\n]*)/);
  }
  return fields;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * The two single-byte changes tried at each position of a file: a substitution that stays in
 * the field's alphabet (so that it gets past the parsers and reaches the cryptography), and a
 * flip of the lowest bit (which often does not).
 */
export function byteVariants(c: string): string[] {
  const i = B64.indexOf(c);
  const same = i >= 0 ? B64[(i + 1) % 64]! : c === "=" ? "A" : String.fromCharCode(c.charCodeAt(0) ^ 1);
  const flip = String.fromCharCode(c.charCodeAt(0) ^ 1);
  return same === flip ? [same] : [same, flip];
}

export function replaceAt(text: string, at: number, ch: string): string {
  return text.slice(0, at) + ch + text.slice(at + 1);
}

/** True when an error is a clean, expected refusal (a HushError without any marker in it). */
export function isCleanRefusal(err: unknown): boolean {
  return isHushError(err) && !err.message.includes(MARKER) && !(err.hint ?? "").includes(MARKER);
}

// ---------------------------------------------------------------------------------------------
// Fuzz regression cases: every failing input found by a fuzzer is written here and replayed on
// every later run, so a fixed bug stays fixed.

const REGRESSIONS = fileURLToPath(new URL("./fuzz-regressions/", import.meta.url));

export interface RegressionCase {
  readonly target: string;
  readonly input: unknown;
  readonly note: string;
}

/** The kind of a failure: its message without paths, keys, quoted text or numbers. */
function failureKind(note: string): string {
  return note
    .replace(/\/\S+/g, "<path>")
    .replace(/age1[a-z0-9]+/g, "<age>")
    .replace(/"[^"]*"|'[^']*'/g, "<q>")
    .replace(/\d+/g, "<n>")
    .slice(0, 100);
}

/**
 * Saves a failing input as a regression case; returns the file it was written to. When a saved
 * case of the target already fails the same way, that case is kept and nothing new is written
 * (a bug still open would otherwise add a file on every run).
 */
export function saveRegression(target: string, input: unknown, note: string): string {
  const same = loadRegressionFiles(target).find((c) => failureKind(c.case.note) === failureKind(note));
  if (same !== undefined) return `${same.path} (same failure as this saved case)`;
  if (!existsSync(REGRESSIONS)) mkdirSync(REGRESSIONS, { recursive: true });
  const body = JSON.stringify({ target, input, note } satisfies RegressionCase, null, 2) + "\n";
  const name = `${target}-${createHash("sha256").update(body).digest("hex").slice(0, 12)}.json`;
  const path = join(REGRESSIONS, name);
  writeFileSync(path, body);
  return path;
}

function loadRegressionFiles(target: string): Array<{ path: string; case: RegressionCase }> {
  if (!existsSync(REGRESSIONS)) return [];
  return readdirSync(REGRESSIONS)
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ path: join(REGRESSIONS, f), case: JSON.parse(readFileSync(join(REGRESSIONS, f), "utf8")) as RegressionCase }))
    .filter((c) => c.case.target === target);
}

/** Every saved regression case for a target. */
export function loadRegressions(target: string): RegressionCase[] {
  return loadRegressionFiles(target).map((c) => c.case);
}

// ---------------------------------------------------------------------------------------------
// Bech32 (BIP 173), to build syntactically valid age recipients and identities with hostile
// plugin names: a checksum error must not be what stops them.

const BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

function polymod(values: readonly number[]): number {
  const gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= gen[i]!;
  }
  return chk >>> 0;
}

/** Bech32 encoding of `data` under `hrp` (lower case; age upper-cases identities itself). */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const words: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const b of data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      words.push((acc >>> bits) & 31);
    }
  }
  if (bits > 0) words.push((acc << (5 - bits)) & 31);
  const expand = [...[...hrp].map((c) => c.charCodeAt(0) >>> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const mod = polymod([...expand, ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = Array.from({ length: 6 }, (_, i) => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...words, ...checksum].map((w) => BECH32[w]).join("")}`;
}

/**
 * Runs the CLI in this process (`runCli`, the code behind the `hush` binary) with empty stdin:
 * its exit status and what it wrote. Costs no Node start-up, for tests that run it thousands of times.
 */
export async function runCliInProcess(args: readonly string[], options: { env: Record<string, string>; cwd: string }): Promise<{ status: number; stdout: string; stderr: string }> {
  const { runCli } = await import("../../packages/cli/src/main.ts");
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  const status = await runCli([...args], { stdout, stderr, stdin: Readable.from([]), env: options.env, cwd: options.cwd });
  return { status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}
