import { HushError } from "../errors.ts";
import { flattenMetadata } from "../metadata/metadata-codec.ts";
import { iniNestedTooDeep, iniNotASection } from "./flat-shape.ts";
import { formatKeyPath, type ScalarValue, type TreeComment, type TreeMap, type TreeMapEntry } from "../tree/values.ts";
import { goValToString } from "./dotenv-emit.ts";
import { DEFAULT_SECTION, METADATA_SECTION, parseIni, type IniTailCommentStyle, type IniValueStyle, type ValueStyle } from "./ini-parser.ts";
import { goTrim } from "./ini-text.ts";
import { lineEditing } from "./line-editing.ts";
import { styleTampered } from "./style-tampered.ts";
import type { EmitOptions, Leaf, Store } from "./store.ts";

/**
 * INI, edited in place. Lines are read as SOPS reads them (gopkg.in/ini.v1 with SOPS's options,
 * spec 7.4; ini-parser.ts), so the values hush encrypts are the values SOPS sees and both tools
 * open each other's files: keys before the first header belong to `DEFAULT`; `=` or `:` separates
 * key and value; surrounding `"…"`/`'…'` are not part of the value, backtick and `"""` values may
 * span lines; in an unquoted value any `#` or `;` starts an inline comment. The quotes stay in the
 * file around the envelope, so decryption gives the file back byte for byte. Comments are
 * encrypted as SOPS does (`; ENC[…]`, AAD = the section go-ini attaches the comment to), one leaf
 * per comment line.
 *
 * The quotes and comments around an envelope are outside the MAC: decryption writes a value in
 * the quotes it found only where it reads back as itself there, else in go-ini's form for it.
 */

/** `value` between the delimiters of `quote`. */
function quoted(quote: ValueStyle, value: string): string {
  return quote === "plain" ? value : `${quote}${value}${quote}`;
}

/**
 * True when `source`, written after `key = ` and followed by `rest` (the rest of its line), reads
 * as one value (SOPS's INI reader) that holds exactly `value` and ends where `source` ends.
 */
function readsBackInPlace(source: string, rest: string, value: string): boolean {
  // No blank after `=`: an empty value's span then starts where `source` does, as in the file.
  const prefix = "k =";
  try {
    const leaf = parseIni(`${prefix}${source}${rest}\n`).leaves.find((l) => l.kind === "scalar");
    return leaf !== undefined && leaf.value.text === value && leaf.end === prefix.length + source.length;
  } catch {
    return false;
  }
}

/**
 * The forms of a value, go-ini's first (`"""` for newlines and backticks, backticks for `#`/`;`,
 * double quotes for surrounding spaces), then the others; single quotes last, so that every value
 * another form holds is written as it always was.
 */
function valueForms(value: string): string[] {
  const preferred = /[\n`]/.test(value) ? `"""${value}"""` : /[#;]/.test(value) ? `\`${value}\`` : goTrim(value) !== value ? `"${value}"` : value;
  return [preferred, value, `"${value}"`, `\`${value}\``, `"""${value}"""`, `'${value}'`];
}

/** How go-ini writes a value, or the first other form that reads back as it. Undefined when none does. */
function iniValueSource(value: string): string | undefined {
  return valueForms(value).find((form) => readsBackInPlace(form, "", value));
}

/** A backtick or `"""` form: its reader closes it at the last delimiter on the line. */
function closesAtLineEnd(form: string): boolean {
  return form.startsWith("`") || form.startsWith('"""');
}

/**
 * See Store.clearCommentProblem: a comment in clear after a value. go-ini (SOPS) and hush end the
 * value at `;` or `#`; Python's configparser (by default) and PHP read the rest of the line into
 * it, so a branch could write `hosts = ENC[…] ;,attacker.example` and those readers of the
 * decrypted file would take the host into the list. A comment on a line of its own is skipped by
 * every reader.
 */
function clearCommentProblem(text: string, leaf: Leaf): string | undefined {
  const lineStart = text.lastIndexOf("\n", leaf.start - 1) + 1;
  if (/^[ \t]*[;#][;# \t]*$/.test(text.slice(lineStart, leaf.start))) return undefined;
  return `the comment after the value at line ${leaf.line} is in clear, where the file's comments are encrypted: no MAC covers it, and Python's configparser and PHP read it as part of the value; remove it (hush edit writes a comment encrypted)`;
}

function renderPlaintext(leaf: Leaf, value: ScalarValue): string {
  if (leaf.kind === "comment") {
    const after = leaf.style as IniTailCommentStyle | undefined;
    // A comment moved after a backtick or """ value would close that value inside itself.
    if (after !== undefined && value.text.includes(after.closes)) throw styleTampered({ ...leaf, ...after.value }, "the comment after the value");
    return value.text;
  }
  const place = leaf.style as IniValueStyle;
  const kept = quoted(place.quote, value.text);
  if (readsBackInPlace(kept, place.rest, value.text)) return kept;
  // The quotes found are not part of the MAC: another form, one that reads back as the value with
  // the rest of the line. An encrypted comment there is checked for the kept quotes only.
  const form = valueForms(value.text).find((f) => !(place.tailEncrypted && closesAtLineEnd(f)) && readsBackInPlace(f, place.rest, value.text));
  if (form === undefined) throw styleTampered(leaf);
  return form;
}

function renderEncrypted(leaf: Leaf, envelope: string): string {
  return leaf.kind === "comment" ? envelope : quoted((leaf.style as IniValueStyle).quote, envelope);
}

/** A key as go-ini writes it (quoted when it holds a quote or a delimiter). */
function keySource(key: string, where: string): string {
  if (key === "" || key === "-" || goTrim(key) !== key || /[\n\r]/.test(key) || /^[#;[]/.test(key)) {
    throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI key`, { location: { keyPath: where } });
  }
  if (key.includes('"') || /[=:]/.test(key)) {
    if (key.includes("`")) throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI key`, { location: { keyPath: where } });
    return `\`${key}\``;
  }
  if (key.includes("`")) return `"""${key}"""`;
  return key;
}

/** `key = value` lines aligned like go-ini's PrettyFormat (keys padded to the longest). */
function keyLines(pairs: ReadonlyArray<{ key: string; value: string; comments: readonly string[] }>): string[] {
  // A loop, not Math.max(...): one argument per key overflows the stack at about 120,000 keys.
  let width = 0;
  for (const p of pairs) width = Math.max(width, Buffer.byteLength(p.key));
  const lines: string[] = [];
  for (const p of pairs) {
    for (const c of p.comments) for (const l of c.split(/\r?\n/)) lines.push(`; ${l}`);
    lines.push(`${p.key}${" ".repeat(width - Buffer.byteLength(p.key))} = ${p.value}`);
  }
  return lines;
}

function valueSourceOrThrow(value: string, where: string): string {
  const source = iniValueSource(value);
  if (source === undefined) throw new HushError("EMIT_FAILED", `the value at ${where} cannot be written in an INI file`, { location: { keyPath: where } });
  return source;
}

function appendMetadata(dataText: string, metadata: Record<string, unknown>): string {
  const eol = dataText.includes("\r\n") ? "\r\n" : "\n";
  const pairs = flattenMetadata(metadata).map(([k, v]) => {
    const where = formatKeyPath([METADATA_SECTION, k]);
    return { key: keySource(k, where), value: valueSourceOrThrow(v.replace(/\n/g, "\\n"), where), comments: [] };
  });
  const block = [`[${METADATA_SECTION}]`, ...keyLines(pairs)].join(eol);
  if (dataText === "") return block;
  return dataText.endsWith("\n") ? `${dataText}${eol}${block}${eol}` : `${dataText}${eol}${eol}${block}`;
}

function toTree(text: string): TreeMap {
  const { sections, leaves } = parseIni(text);
  const entries: Array<TreeMapEntry | TreeComment> = [];
  // Each section's leaves, in order, gathered once (not one pass over every leaf per section).
  const bySection = new Map<string, typeof leaves[number][]>();
  for (const l of leaves) {
    const name = String(l.path[0]);
    const list = bySection.get(name);
    if (list === undefined) bySection.set(name, [l]);
    else list.push(l);
  }
  const seen = new Set<string>();
  for (const sec of sections) {
    // A repeated header continues its section; DEFAULT may be implicit and explicit too.
    if (seen.has(sec.name) || (sec.implicit && sec.keys.size === 0) || (sec.name === METADATA_SECTION && !sec.implicit)) continue;
    seen.add(sec.name);
    const inner: Array<TreeMapEntry | TreeComment> = (bySection.get(sec.name) ?? []).map((l) => (l.kind === "comment" ? { kind: "comment", text: l.value.text } : { kind: "entry", key: l.path[1]!, value: { kind: "scalar", value: { type: "str", text: l.value.text } } }));
    entries.push({ kind: "entry", key: sec.name, value: { kind: "map", entries: inner } });
  }
  return { kind: "map", entries };
}

function emitTree(tree: TreeMap, _options: EmitOptions): string {
  const blocks: string[] = [];
  let pendingComments: string[] = [];
  tree.entries.forEach((e, index) => {
    if (e.kind === "comment") {
      pendingComments.push(e.text);
      return;
    }
    const where = formatKeyPath([e.key]);
    if (e.value.kind !== "map") {
      throw iniNotASection(e.key);
    }
    if (e.key === "" || /[\n\r]/.test(e.key) || e.key === METADATA_SECTION) {
      throw new HushError("EMIT_FAILED", `the key ${where} cannot be written as an INI section name`, { location: { keyPath: where } });
    }
    const lines = pendingComments.flatMap((c) => c.split(/\r?\n/).map((l) => `; ${l}`));
    pendingComments = [];
    const withoutHeader = e.key === DEFAULT_SECTION && index === tree.entries.findIndex((x) => x.kind === "entry");
    if (!withoutHeader) lines.push(`[${e.key}]`);
    const pairs: Array<{ key: string; value: string; comments: string[] }> = [];
    let comments: string[] = [];
    for (const item of e.value.entries) {
      if (item.kind === "comment") {
        comments.push(item.text);
        continue;
      }
      const at = formatKeyPath([e.key, item.key]);
      const node = item.value;
      let s: string;
      if (node.kind === "scalar") s = goValToString(node.value);
      else if (node.kind === "null") s = "";
      else if (node.kind === "comment") continue;
      else throw iniNestedTooDeep([e.key, item.key]);
      pairs.push({ key: keySource(item.key, at), value: valueSourceOrThrow(s, at), comments });
      comments = [];
    }
    for (const line of keyLines(pairs)) lines.push(line);
    for (const c of comments) for (const l of c.split(/\r?\n/)) lines.push(`; ${l}`);
    if (withoutHeader && pairs.length === 0 && lines.length === 0) return;
    blocks.push(lines.join("\n"));
  });
  if (pendingComments.length > 0) blocks.push(pendingComments.flatMap((c) => c.split(/\r?\n/).map((l) => `; ${l}`)).join("\n"));
  return blocks.length === 0 ? "" : blocks.join("\n\n") + "\n";
}

/** See `Store.mostRepeatedHeader`: a header's name, as go-ini takes it, is the text up to the line's last `]`. */
function mostRepeatedHeader(text: string): number {
  const seen = new Map<string, number>();
  let most = 1;
  for (const header of text.matchAll(/^[ \t]*\[(.*)\][^\]\n]*$/gm)) {
    const count = (seen.get(header[1]!) ?? 0) + 1;
    seen.set(header[1]!, count);
    most = Math.max(most, count);
  }
  return most;
}

/** The INI store (SOPS's layout, read with go-ini's rules; see the module comment). */
export const iniStore: Store = {
  format: "ini",
  stringValues: true,
  parse: (text) => parseIni(text).doc,
  renderEncrypted,
  renderPlaintext,
  clearCommentProblem,
  mostRepeatedHeader,
  appendMetadata: (dataText, metadata) => appendMetadata(dataText, metadata),
  toTree,
  emitTree,
  ...lineEditing(() => iniStore, { sections: true, bracketedValues: false, keepQuotes: false }),
};
