/**
 * Real-world and edge-case INI and dotenv files (ini-dotenv-corpus/, see its README) against hush
 * and real SOPS (3.9.2, see @hush/testkit's sops-oracle), each as it is, with a rule that leaves
 * some values in clear (RULE), and with CRLF line endings. For every file:
 * - hush encrypts it (the CLI, in this process), or refuses it for the reason REFUSALS gives it,
 *   writing nothing;
 * - hush decrypts what it wrote back to the plaintext, byte for byte (docs/formats.md: INI and
 *   dotenv files are edited in place);
 * - SOPS opens what hush wrote, its MAC verified, and decrypts every comment without a warning
 *   (KEPT_COMMENTS lists the comments hush leaves in clear). Each value is authenticated under
 *   its key path, and the MAC covers every value in order, so an INI file SOPS opens holds the
 *   values hush encrypted under the keys hush read. The oracle gives only a verdict for INI, which
 *   would miss a key SOPS reads with an empty value: go-ini's reading of the plaintext (the core
 *   tests' independent reader) must hold the keys and values hush reads. For dotenv SOPS prints
 *   the file, which must be exactly SOPS's form of hush's reading (`#comment` and `KEY=value`
 *   lines, in order, line breaks in values as `\n`) and, where SOPS can read the plaintext
 *   itself, its reading there.
 *
 * The other direction, dotenv only: the file SOPS writes for each plaintext it can read
 * (sops-dotenv-encrypt.ts, as the oracle only decrypts), which SOPS opens, hush decrypts to
 * exactly what SOPS prints. SOPS's INI writer is go-ini's, which has no stand-in here.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isUtf8 } from "node:buffer";
import { describe, expect, it } from "vitest";
import { storeFor } from "@hush/core";
import { sopsDecrypt, type SopsOracleFormat } from "@hush/testkit";
import { runCliInProcess } from "../proof/support.ts";
import { goIniLoad } from "../../packages/core/test/stores/sops-ini-reader.ts";
import { sopsEncryptDotenv } from "./sops-dotenv-encrypt.ts";
import { useSuiteSandbox } from "./suite-sandbox.ts";

const CORPUS = join(import.meta.dirname, "ini-dotenv-corpus");
type Format = Extract<SopsOracleFormat, "ini" | "dotenv">;
const FILES: ReadonlyArray<{ readonly format: Format; readonly name: string }> = (["ini", "dotenv"] as const).flatMap((format) =>
  readdirSync(join(CORPUS, format))
    .sort()
    .map((name) => ({ format, name })),
);

/**
 * Files hush refuses, each with the error it must give and why the refusal is right. Every other
 * file must be written; a file listed here that hush writes fails the test, so the list stays true.
 */
const REFUSALS: Readonly<Record<string, RegExp>> = {
  // Not UTF-8 (go-ini decodes a UTF-16 byte order mark; hush reads only UTF-8 text, docs/errors.md NOT_UTF8).
  "ini/go-ini-UTF-16-BE-BOM.ini": /line 1: not valid UTF-8/,
  "ini/go-ini-UTF-16-LE-BOM.ini": /line 1: not valid UTF-8/,
  // Values on indented lines after a key (Python's configparser): go-ini, as SOPS loads it, has no
  // key = value on those lines and refuses the file too.
  "ini/go-ini-multiline.ini": /expected key = value, a \[section\] header or a comment at line 2/,
  "ini/go-ini-multiline_eof.ini": /expected key = value, a \[section\] header or a comment at line 2/,
  "ini/edge-python-multiline.ini": /expected key = value, a \[section\] header or a comment at line 3/,
  // A key without a value (MySQL's skip-networking): go-ini refuses it without AllowBooleanKeys.
  "ini/edge-boolean-keys.ini": /expected key = value, a \[section\] header or a comment at line 2/,
  // A key without a value in go-ini's own writer test (it loads that file with AllowBooleanKeys).
  "ini/go-ini-TestFile_WriteTo.golden.ini": /expected key = value, a \[section\] header or a comment at line 53/,
  // go-ini keeps the last value of a key given twice, at the first one's place: one would be lost.
  "ini/shape-systemd.ini": /duplicate key "Environment" in section \[Service\] \(first at line 10\) at line 11/,
  // Text after a header's `]` that is not a comment: go-ini drops it, and hush would keep it in clear.
  "ini/edge-header-junk.ini": /unexpected text after the section header at line 1/,
  // A value ending with `\`: go-ini joins the next line to it (docs/formats.md, INI "Bad input").
  "ini/go-ini-full.ini": /a value ending with a backslash continues on the next line for SOPS; wrap the value in backticks at line 50/,
  "ini/edge-continuation.ini": /a value ending with a backslash continues on the next line for SOPS; wrap the value in backticks at line 2/,
  "ini/shape-windows-paths.ini": /a value ending with a backslash continues on the next line for SOPS; wrap the value in backticks at line 3/,
  // PHP's array keys (`extension[] = …` twice): go-ini keeps only the last.
  "ini/shape-php-arrays.ini": /duplicate key "extension\[\]" in section \[PHP\] \(first at line 2\) at line 3/,
  // UTF-16 (as Windows PowerShell writes a redirected .env): SOPS would read its bytes, NULs and all.
  "dotenv/edge-utf16le.env": /line 1: not valid UTF-8/,
  // Lines without `=`: SOPS refuses them too (`invalid dotenv input line`).
  "dotenv/bkeepers-yaml.env": /expected KEY=VALUE or a # comment at line 1/,
  "dotenv/compose-go-custom.env": /expected KEY=VALUE or a # comment at line 1/,
  "dotenv/compose-go-inherited-multi-var.env": /expected KEY=VALUE or a # comment at line 2/,
  "dotenv/compose-go-inherited-not-found.env": /expected KEY=VALUE or a # comment at line 1/,
  "dotenv/compose-go-inherited-single-var.env": /expected KEY=VALUE or a # comment at line 1/,
  "dotenv/compose-go-invalid1.env": /expected KEY=VALUE or a # comment at line 7/,
  "dotenv/godotenv-invalid1.env": /expected KEY=VALUE or a # comment at line 1/,
  "dotenv/edge-no-equals.env": /expected KEY=VALUE or a # comment at line 2/,
  // An unterminated quote: the dialect cannot read it (SOPS would take `"unterminated` as the value).
  "dotenv/edge-unterminated.env": /unterminated double-quoted value at line 1/,
  // Text after a closing quote: the dialect cannot read it (SOPS reads the raw text).
  "dotenv/edge-inner-quote.env": /unexpected text after the closing quote at line 1/,
  // A line starting with `=`: the dialect has no name for it (SOPS reads the key "").
  "dotenv/edge-empty-key.env": /empty key at line 2/,
  // Keys are unique in the dialect (docs/formats.md, dotenv).
  "dotenv/edge-duplicate.env": /duplicate key "A" \(first defined at line 1\) at line 2/,
};

/**
 * Files SOPS 3.9.2 decrypts, then fails to print: go-ini's writer indexes the first line of a
 * comment block that starts with an empty comment line (`;` alone, then `; note`), whoever
 * encrypted the file (docs/formats.md, INI "Comments").
 */
const SOPS_CRASHES: Readonly<Record<string, RegExp>> = {
  "ini/edge-comments.ini": /index out of range \[0\] with length 0.*ini\.v1@v1\.67\.0\/file\.go/s,
};

/**
 * Comments SOPS reads and cannot decrypt (it warns, and keeps them as they are), by the `comment`
 * field of its warning. Every other comment SOPS decrypts without a warning.
 */
const KEPT_COMMENTS: Readonly<Record<string, RegExp>> = {
  // A comment after a section header stays in clear (docs/formats.md, INI "Repeated sections":
  // an encrypted one would end the header at its `]`).
  "ini/edge-header-comment.ini": /^"a comment after the header, with none before it"$/,
  "crlf/ini/edge-header-comment.ini": /^"a comment after the header, with none before it"$/,
  // The block `;` then `; note` on CRLF lines: SOPS strips the block's first `;` and is left with
  // a line break before the envelope (on LF lines it fails instead; see SOPS_CRASHES).
  "crlf/ini/edge-comments.ini": /^"\\r\\n; ENC\[AES256_GCM,[^"]*\]"$/,
  // An empty comment on a CRLF line is a CR for SOPS; hush leaves it as it is (docs/formats.md, dotenv).
  "dotenv/edge-crlf-empty.env": /^"\\r"$/,
  "crlf/dotenv/edge-comments.env": /^"\\r"$/,
};

/**
 * A rule that leaves some values in clear (the ports, hosts, names and URLs of the corpus's shapes),
 * so that what hush writes around values it keeps meets SOPS too; a file where it keeps every
 * value is written all the same.
 */
/** A line with a key RULE leaves in clear: elsewhere the rule changes nothing, and the file is not run again. */
const RULE_KEYS = /^[ \t]*(?:export[ \t]+)?(?:[Pp]ort|[Hh]ost|[Uu]ser|[Nn]ame|[Uu]rl|NAME|PORT|HOST|\w*_(?:URL|PORT|HOST))[ \t]*[=:]/m;
const RULE = ["--unencrypted-regex", "^([Pp]ort|[Hh]ost|[Uu]ser|[Nn]ame|[Uu]rl|url)$|_(URL|PORT|HOST)$|^(NAME|PORT|HOST)$", "--allow-no-values"];

const sandbox = useSuiteSandbox("hush-ini-dotenv-corpus-");

/**
 * SOPS's dotenv output (its EmitPlainFile) for the items hush reads in `plaintext`. An empty
 * comment on a CRLF line is `\r` for SOPS, which it cannot decrypt and so keeps as it is.
 */
async function sopsDotenvForm(plaintext: string): Promise<string> {
  const { leaves } = (await storeFor("dotenv")).parse(plaintext);
  const commentText = (text: string, end: number): string => (text === "" && plaintext[end] === "\r" ? "\r" : text);
  return leaves.map((l) => (l.kind === "comment" ? `#${commentText(l.value?.text ?? "", l.end)}\n` : `${String(l.path[0])}=${(l.value?.text ?? "").replace(/\n/g, "\\n")}\n`)).join("");
}

/**
 * What SOPS 3.9.2 itself reads in a plaintext dotenv file, as it prints it (its LoadPlainFile and
 * EmitPlainFile: lines split at LF, empty ones skipped, `#` in column 0 a comment, else the text
 * up to the first `=` the key and the rest the value); undefined where SOPS refuses the file (a
 * line without `=`). A CR ending a value or comment is left out, as hush leaves it out of the
 * value it encrypts (docs/formats.md, dotenv); a value or comment that is only a CR keeps it.
 */
function sopsPlainReading(plaintext: string): string | undefined {
  const out: string[] = [];
  for (let line of plaintext.split("\n")) {
    if (line.length === 0) continue;
    if (/[^=]\r$/.test(line) && !/^#\r$/.test(line)) line = line.slice(0, -1);
    if (line.startsWith("#")) {
      out.push(`${line}\n`);
      continue;
    }
    if (!line.includes("=")) return undefined;
    out.push(`${line}\n`);
  }
  return out.join("");
}

/** The file with every line break made CRLF (as an editor on Windows saves it); undefined where that changes nothing or it is not UTF-8. */
function withCrlf(bytes: Buffer): Buffer | undefined {
  if (!isUtf8(bytes)) return undefined;
  const text = bytes.toString("utf8");
  const crlf = text.replace(/\r?\n/g, "\r\n");
  return crlf === text ? undefined : Buffer.from(crlf, "utf8");
}

async function runFile(format: Format, id: string, plaintext: Buffer, rule: readonly string[] = []): Promise<{ problem?: string; written: boolean }> {
  const { dir, recipient, env } = sandbox();
  const file = join(dir, id.replace(/\//g, "-"));
  const out = `${file}.enc`;
  writeFileSync(file, plaintext);
  const enc = await runCliInProcess(["encrypt", "--input-type", format, "--output-type", format, ...rule, "--age", recipient, "--output", out, file], { env, cwd: dir });
  const refusal = REFUSALS[id.replace(/^(crlf|rule)\//, "")];
  if (enc.status !== 0) {
    if (existsSync(out)) return { problem: `${id}: refused (${enc.stderr.trim()}) but wrote ${out}`, written: false };
    if (refusal === undefined) return { problem: `${id}: refused: ${enc.stderr.trim()}`, written: false };
    return refusal.test(enc.stderr) ? { written: false } : { problem: `${id}: refused with another error than listed: ${enc.stderr.trim()}`, written: false };
  }
  if (refusal !== undefined) return { problem: `${id}: listed as refused, but hush encrypted it`, written: true };
  const encrypted = readFileSync(out);
  const decrypted = await runCliInProcess(["decrypt", "--input-type", format, "--output-type", format, out], { env, cwd: dir });
  if (decrypted.status !== 0) return { problem: `${id}: hush cannot decrypt what it wrote: ${decrypted.stderr.trim()}`, written: true };
  if (decrypted.stdout !== plaintext.toString("utf8")) return { problem: `${id}: hush decrypts to other bytes:\n${decrypted.stdout}`, written: true };
  let sops: Awaited<ReturnType<typeof sopsDecrypt>>;
  try {
    sops = await sopsDecrypt({ text: encrypted, format, env });
  } catch (err) {
    const crash = SOPS_CRASHES[id.replace(/^rule\//, "")];
    return crash !== undefined && crash.test(String(err)) ? { written: true } : { problem: `${id}: ${String(err)}`, written: true };
  }
  if (!sops.ok) return { problem: `${id}: SOPS refused the file hush wrote: ${sops.error}`, written: true };
  const kept = KEPT_COMMENTS[id.replace(/^rule\//, "")];
  const warnings = sops.warnings.filter((w) => kept === undefined || !kept.test(/ comment=(".*")$/.exec(w)?.[1] ?? ""));
  if (warnings.length > 0) return { problem: `${id}: SOPS warned:\n${warnings.join("\n")}`, written: true };
  if (format === "ini") {
    // SOPS gives a verdict only: the keys and values must be the ones go-ini reads in the plaintext
    // (an independent reader of its rules), so that no key SOPS reads with an empty value is missed.
    const goIni = goIniLoad(plaintext.toString("utf8").replace(/^\uFEFF/, "")).flatMap((section) => section.keys.map((k) => `${section.name}/${k.name}=${JSON.stringify(k.value)}`));
    const { leaves } = (await storeFor("ini")).parse(plaintext.toString("utf8"));
    const mine = leaves.filter((l) => l.kind === "scalar").map((l) => `${String(l.path[0])}/${String(l.path[1])}=${JSON.stringify(l.value?.text)}`);
    return goIni.sort().join("\n") === mine.sort().join("\n") ? { written: true } : { problem: `${id}: go-ini reads\n${goIni.join("\n")}\nhush reads\n${mine.join("\n")}`, written: true };
  }
  const expected = await sopsDotenvForm(decrypted.stdout);
  if (sops.plaintext !== expected) return { problem: `${id}: SOPS reads\n${sops.plaintext ?? ""}\nhush reads\n${expected}`, written: true };
  // Where SOPS can read the plaintext itself, it reads hush's file as it reads the plaintext;
  // except where hush reads the dialect on purpose (docs/formats.md, dotenv): a quoted value
  // over several lines, whose lines SOPS reads one by one, and an indented comment.
  const { leaves } = (await storeFor("dotenv")).parse(decrypted.stdout);
  if (leaves.some((l) => l.style === "multiline" || (l.kind === "comment" && l.style !== undefined))) return { written: true };
  const own = sopsPlainReading(plaintext.toString("utf8"));
  return own === undefined || own === sops.plaintext ? { written: true } : { problem: `${id}: SOPS reads hush's file as\n${sops.plaintext ?? ""}\nand the plaintext as\n${own}`, written: true };
}

/**
 * Files SOPS writes that hush refuses to decrypt, on purpose (docs/formats.md, dotenv "Reserved
 * keys and bad input"), with the error: a key given twice, since an empty second value needs no
 * key to add and would blank the first for readers that take the last one.
 */
const SOPS_WRITTEN_REFUSED: Readonly<Record<string, RegExp>> = {
  "edge-duplicate.env": /invalid dotenv: duplicate key "A" \(first defined at line 1\) at line 2/,
};

/**
 * The other direction: the dotenv file SOPS writes for the plaintext (sops-dotenv-encrypt.ts),
 * which SOPS opens, hush decrypts to exactly what SOPS prints. Undefined where SOPS cannot read
 * the plaintext, or all agree.
 */
async function runSopsWritten(id: string, name: string, plaintext: Buffer): Promise<{ problem?: string; written: boolean }> {
  const { dir, recipient, env } = sandbox();
  const encrypted = sopsEncryptDotenv(plaintext.toString("utf8"), recipient);
  if (encrypted === undefined || !isUtf8(plaintext)) return { written: false };
  const file = join(dir, `sops-${id.replace(/\//g, "-")}`);
  writeFileSync(file, encrypted);
  const sops = await sopsDecrypt({ text: encrypted, format: "dotenv", env });
  if (!sops.ok) return { problem: `${id}: SOPS refused the file written as SOPS writes it: ${sops.error}`, written: true };
  const mine = await runCliInProcess(["decrypt", "--input-type", "dotenv", "--output-type", "dotenv", file], { env, cwd: dir });
  const refusal = SOPS_WRITTEN_REFUSED[name];
  if (refusal !== undefined) {
    return mine.status === 2 && refusal.test(mine.stderr) && mine.stdout === "" ? { written: true } : { problem: `${id}: hush should refuse the file SOPS wrote (${String(refusal)}), gave ${mine.status}: ${mine.stderr.trim()}`, written: true };
  }
  if (mine.status !== 0) return { problem: `${id}: hush cannot decrypt the file SOPS wrote: ${mine.stderr.trim()}`, written: true };
  return mine.stdout === sops.plaintext ? { written: true } : { problem: `${id}: of the file SOPS wrote, SOPS prints\n${sops.plaintext ?? ""}\nhush\n${mine.stdout}`, written: true };
}

describe("real-world INI and dotenv files: hush writes what SOPS reads as hush does, or refuses naming the line", () => {
  it(`${FILES.length} files, as they are, with a rule that leaves some values in clear, and with CRLF line endings`, async () => {
    const problems: string[] = [];
    let written = 0;
    let fromSops = 0;
    for (const { format, name } of FILES) {
      const bytes = readFileSync(join(CORPUS, format, name));
      if (format === "dotenv") {
        for (const [id, variant] of [[`sops/${name}`, bytes], [`sops/crlf/${name}`, withCrlf(bytes)]] as const) {
          if (variant === undefined) continue;
          const outcome = await runSopsWritten(id, name, variant);
          if (outcome.problem !== undefined) problems.push(outcome.problem);
          if (outcome.written) fromSops++;
        }
      }
      const outcome = await runFile(format, `${format}/${name}`, bytes);
      if (outcome.problem !== undefined) problems.push(outcome.problem);
      if (outcome.written) written++;
      if (RULE_KEYS.test(bytes.toString("utf8"))) {
        const ruled = await runFile(format, `rule/${format}/${name}`, bytes, RULE);
        if (ruled.problem !== undefined) problems.push(ruled.problem);
      }
      const crlf = withCrlf(bytes);
      if (crlf === undefined) continue;
      const crlfOutcome = await runFile(format, `crlf/${format}/${name}`, crlf);
      if (crlfOutcome.problem !== undefined) problems.push(crlfOutcome.problem);
    }
    expect(problems).toEqual([]);
    // The corpus must still reach SOPS: most files are written, not refused.
    expect(fromSops).toBeGreaterThan(40);
    expect(written).toBeGreaterThan(FILES.length - Object.keys(REFUSALS).length - 1);
  }, 300_000);
});
