/**
 * Random plaintext documents for the differential test against real SOPS
 * (sops-differential.test.ts): a model per format drawn by fast-check, written out as a file,
 * with the meaning SOPS must find in it (JSON text for YAML and JSON).
 *
 * Shapes left out on purpose, in this one place: limits of the oracle, SOPS 3.9.2's own
 * misreadings, documented differences between SOPS versions, and files hush refuses on purpose.
 * - YAML `.inf`/`.nan`: the oracle hands SOPS's answer over as JSON, which has no such numbers.
 * - YAML timestamps as plain scalars: SOPS 3.9.2 has no `type:time` (see the oracle's comment).
 * - YAML strings and keys that begin with a line break or a tab: SOPS decrypts them (the MAC
 *   holds) but its YAML output loses the break, or gives `"\t\n"` back as null.
 * - YAML: an empty comment (`#`) in a list, a comment after an empty flow collection, or an
 *   empty one after a flow list (there it is the list's first item): SOPS 3.9.2 gives each back
 *   as an extra "" item, whoever wrote the file (docs/formats.md).
 * - integers beyond 64 bits (YAML `99999999999999999999`): hush decrypts them to their digits,
 *   SOPS to a float64 (docs/formats.md, "JSON numbers"; the same holds for YAML).
 * - JSON integers beyond 2^53, and `-0`: SOPS 3.9 reads every JSON number as a float64, SOPS 3.13
 *   and hush keep integers (docs/formats.md, "JSON numbers").
 * - a plaintext string that is an `ENC[…]` envelope: hush refuses to leave one unencrypted.
 * - dotenv carriage returns and lines of blanks: SOPS's own reading of the plaintext puts a CR into
 *   values and refuses a line of blanks, where hush's file keeps CRs out of values and holds such
 *   a line as a marker comment (docs/formats.md); ini-dotenv-corpus.test.ts covers both.
 * - dotenv values quoted over several lines: hush refuses them where a rule leaves them
 *   unencrypted (SOPS could not read the file), and the rules here are random.
 * - INI: a comment block whose first line is an empty comment: SOPS 3.9.2 fails on it.
 * - binary bytes that are not UTF-8, and empty binary files: the oracle returns SOPS's output as a
 *   Secrets Manager string, which holds UTF-8 only and at least one character (so dotenv files
 *   have at least one variable too).
 */
import fc from "fast-check";

/** A YAML or JSON value with its meaning: `text` as written, `json` as SOPS reads it. */
export type Node =
  | { readonly kind: "scalar"; readonly text: string; readonly json: string }
  | { readonly kind: "block"; readonly header: string; readonly lines: readonly string[]; readonly json: string }
  | { readonly kind: "map"; readonly flow: boolean; readonly entries: readonly Entry[] }
  | { readonly kind: "list"; readonly flow: boolean; readonly items: readonly Item[] };
export interface Entry {
  readonly key: string;
  readonly value: Node;
  readonly comment: string | null;
  readonly lineComment: string | null;
}
export interface Item {
  readonly value: Node;
  readonly comment: string | null;
}

// ---------------------------------------------------------------------------------------------
// Text pieces.

/** Strings people put in configuration: look-alikes of other types, separators, quotes, unicode. */
const AWKWARD = [
  "", " ", " lead", "trail ", "a: b", "# no comment", "x #y", "tab\there", "multi\nline", "two\n\nblank", "back\\slash", 'quote"s', "it's",
  "ünïcødé", "世界", "🎉", "\u0001ctl", "0x1F", "1e3", ".inf", "~", "yes", "no", "null", "true", "2024-01-02", "12:30:00", "=", "a=b=c",
  "sops", "-", "- item", "[1, 2]", "{a: 1}", "&anchor", "*alias", "!tag", "%", "@", "`tick`",
  "${HOME}", "0123", "-0", "1_000", "\\n", "line\\nescape",
];
const KEYS = [
  "password", "secret", "token_enc", "db_unencrypted", "public_note", "name", "secret.key", "a:b", "with space", "123", "0", "ünï", "🎉",
  "", "x-y", "DB_PASSWORD", "API_KEY_unencrypted", "port", "list", "nested_enc", "publicValue", "key=with", "#hash", "true", "null", "sops_x",
];
const COMMENTS = ["public note", "keep public", "secret stuff", "TODO: rotate", "ünï #", "", "  spaced", "a: b", "ENC[x]"];

const char = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("\t", "\n", "\\", '"', "'", "#", ":", "=", " ", "é", "世", "🎉", "\u00a0", "\u0085", "\u2028", "\u0007", "\u007f") },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
);
const randomText = fc.array(char, { maxLength: 24 }).map((cs) => cs.join(""));
/** A string value: an awkward one, random text or a long string. */
export const stringArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...AWKWARD) },
  { weight: 3, arbitrary: randomText },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => "long ".repeat(n).slice(0, n)) },
);
/** Text that does not begin with a line break or a tab (see the module comment). */
const noLeadingBreak = (s: string): boolean => !/^[\t\n\u0085\u2028\u2029]/.test(s);
export const keyArb: fc.Arbitrary<string> = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: randomText.filter(noLeadingBreak) });
/** Text YAML can hold on one line outside quotes: no line breaks, no characters outside its printable set. */
const oneYamlLine = (s: string): string => s.replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]/g, " ");
const commentArb: fc.Arbitrary<string | null> = fc.option(fc.oneof(fc.constantFrom(...COMMENTS), randomText.map(oneYamlLine)), { freq: 4 });

// ---------------------------------------------------------------------------------------------
// YAML.

/** Plain YAML scalars and what yaml.v3 (SOPS's reader) makes of them. */
const YAML_TOKENS: ReadonlyArray<readonly [string, string]> = [
  ["~", "null"], ["null", "null"], ["Null", "null"], ["NULL", "null"],
  ["true", "true"], ["True", "true"], ["FALSE", "false"], ["false", "false"],
  ["yes", '"yes"'], ["no", '"no"'], ["on", '"on"'], ["off", '"off"'], ["y", '"y"'], ["Yes", '"Yes"'],
  ["0x1F", "31"], ["0o17", "15"], ["1e3", "1000"], ["+12", "12"], ["-17", "-17"], [".5", "0.5"], ["1.", "1"], ["-0", "0"], ["0", "0"],
  ["1.5e+30", "1.5e+30"], ["-2.5E-3", "-0.0025"], ["0.125", "0.125"], ["9007199254740993", "9007199254740993"],
  ["-9223372036854775808", "-9223372036854775808"], ["12:30", '"12:30"'], ["0b101", "5"], ["1_000", "1000"],
  ["1e400", '"1e400"'], ["-1E999", '"-1E999"'], ["08", "8"], ["0755", "493"],
];

const isWellFormed = (s: string): boolean => !/[\uD800-\uDFFF]/u.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ""));

/** A YAML double-quoted scalar: everything outside YAML's printable set escaped. */
export function yamlDoubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || c === 0xfeff) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

const PLAIN_SAFE = /^[A-Za-z][A-Za-z0-9 _./@-]*[A-Za-z0-9]$/;
const RESOLVES = /^(true|True|TRUE|false|False|FALSE|null|Null|NULL|y|Y|n|N)$/;
/** Single quotes have no escapes: U+2028 and U+2029 go in double quotes, where go-yaml reads them as hush does. */
const SINGLE_SAFE = /^[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** How a YAML string is written: style 0 double quotes, 1 single quotes, 2 plain (when each can hold it). */
function yamlString(s: string, style: number): string {
  if (style === 2 && PLAIN_SAFE.test(s) && !RESOLVES.test(s) && !s.includes(" #") && !s.includes(": ")) return s;
  if (style >= 1 && SINGLE_SAFE.test(s) && s.trim() === s && s !== "") return `'${s.replaceAll("'", "''")}'`;
  return yamlDoubleQuoted(s);
}

/** A YAML key (plain when that reads as the same string; quoted otherwise). */
export function yamlKey(k: string): string {
  // YAML 1.1's boolean words quoted too: two plain ones (off, no) are one key to YAML 1.1 readers, which hush refuses.
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) && !RESOLVES.test(k) && !/^(yes|no|on|off)$/i.test(k) ? k : yamlDoubleQuoted(k);
}

const yamlScalarArb: fc.Arbitrary<Node> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...YAML_TOKENS).map(([text, json]): Node => ({ kind: "scalar", text, json })) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n): Node => ({ kind: "scalar", text: String(n), json: String(n) })) },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x): Node => {
      // A large double prints as integer digits (14205295445537657000), which YAML reads as an
      // integer beyond 64 bits (see the module comment): its exponent form stays a float.
      const digits = String(x).replace(/^-?Infinity$/, "1.5");
      const t = /^-?\d+$/.test(digits) && !Number.isSafeInteger(x) ? x.toExponential() : digits;
      return { kind: "scalar", text: t, json: t };
    }),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(stringArb.filter((s) => isWellFormed(s) && noLeadingBreak(s)), fc.nat(2))
      .map(([s, style]): Node => ({ kind: "scalar", text: yamlString(s, style), json: JSON.stringify(s) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom("|", "|-", "|+", ">", ">-"),
        fc.array(fc.oneof(fc.constant(""), randomText.map((s) => oneYamlLine(s).trim()).filter((s) => s !== "")), { minLength: 1, maxLength: 4 }),
      )
      .map(([header, raw]): Node => {
        const folded = header.startsWith(">");
        // A folded scalar is one line here (folding rules are not what is tested); no trailing blank lines.
        const lines = folded ? [raw.find((l) => l !== "") ?? "x"] : raw[raw.length - 1] === "" ? [...raw.slice(0, -1), "end"] : raw;
        const firstOk = lines[0] !== "" ? lines : ["start", ...lines];
        const body = firstOk.join("\n") + (header.endsWith("-") ? "" : "\n");
        return { kind: "block", header, lines: firstOk, json: JSON.stringify(body) };
      }),
  },
);

function uniqueEntries(entry: fc.Arbitrary<Entry>, max: number): fc.Arbitrary<Entry[]> {
  // Unique as Go's readers fold keys too: two keys that differ only in case, one empty, are refused.
  return fc.uniqueArray(entry, { maxLength: max, selector: (e) => e.key.toUpperCase().toLowerCase() });
}

/** A YAML document's root map. */
export const yamlRootArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node; map: Node; list: Node }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, { weight: 5, arbitrary: yamlScalarArb }, { weight: 1, arbitrary: tie("map") }, { weight: 1, arbitrary: tie("list") }),
  map: fc
    .tuple(
      fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
      uniqueEntries(fc.record({ key: keyArb.filter(isWellFormed), value: tie("node"), comment: commentArb, lineComment: commentArb }), 5),
    )
    .map(([flow, entries]): Node => ({ kind: "map", flow, entries })),
  list: fc
    .tuple(fc.boolean(), fc.array(fc.record({ value: tie("node"), comment: commentArb }), { maxLength: 4 }))
    .map(([flow, items]): Node => ({ kind: "list", flow, items })),
}))
  .map.filter((root) => root.kind === "map")
  .map((root): Node => (root.kind === "map" ? { ...root, flow: false } : root));

/** The meaning of a YAML or JSON model as JSON text. */
export function meaning(node: Node): string {
  switch (node.kind) {
    case "scalar":
    case "block":
      return node.json;
    case "map":
      return `{${node.entries.map((e) => `${JSON.stringify(e.key)}:${meaning(e.value)}`).join(",")}}`;
    case "list":
      return `[${node.items.map((i) => meaning(i.value)).join(",")}]`;
  }
}

function yamlFlow(node: Node): string {
  switch (node.kind) {
    case "scalar":
      return node.text;
    case "block":
      return yamlDoubleQuoted(JSON.parse(node.json) as string);
    case "map":
      return `{${node.entries.map((e) => `${yamlDoubleQuoted(e.key)}: ${yamlFlow(e.value)}`).join(", ")}}`;
    case "list":
      return `[${node.items.map((i) => yamlFlow(i.value)).join(", ")}]`;
  }
}

const comment = (c: string | null, indent: string): string[] => (c === null ? [] : [`${indent}#${c === "" ? "" : ` ${c}`}`]);
/** A comment in a list: never empty (see the module comment). */
const itemComment = (c: string | null, indent: string): string[] => comment(c === "" ? "x" : c, indent);
const lineEnd = (c: string | null): string => (c === null ? "" : ` #${c === "" ? "" : ` ${c}`}`);

/** Lines for `node` written after `lead` ("key:" or "-") at `indent`. */
function yamlBlock(lead: string, node: Node, indent: number, step: number, lineComment: string | null): string[] {
  const pad = " ".repeat(indent);
  const inner = " ".repeat(indent + step);
  if (node.kind === "scalar") return [`${pad}${lead} ${node.text}${lineEnd(lineComment)}`];
  if (node.kind === "block") return [`${pad}${lead} ${node.header}`, ...node.lines.map((l) => (l === "" ? "" : `${inner}${l}`))];
  const empty = (node.kind === "map" ? node.entries.length : node.items.length) === 0;
  // A line-end comment after a flow collection is an item inside it for SOPS: never an empty one.
  if (node.flow || empty) return [`${pad}${lead} ${yamlFlow(node)}${lineEnd(empty ? null : lineComment === "" ? "x" : lineComment)}`];
  return [`${pad}${lead}`, ...yamlBody(node, indent + step, step)];
}

/** The lines of a block map or list at `indent`. */
function yamlBody(node: Node, indent: number, step: number): string[] {
  const pad = " ".repeat(indent);
  const out: string[] = [];
  if (node.kind === "map") {
    for (const e of node.entries) out.push(...comment(e.comment, pad), ...yamlBlock(`${yamlKey(e.key)}:`, e.value, indent, step, e.lineComment));
  } else if (node.kind === "list") {
    for (const i of node.items) out.push(...itemComment(i.comment, pad), ...yamlBlock("-", i.value, indent, step, null));
  }
  return out;
}

/** A YAML document for `root`: indentation step, a `---` line and comments at the ends. */
export function writeYaml(root: Node, step: number, start: boolean, top: string | null, end: string | null): string {
  const body = yamlBody(root, 0, step);
  if (body.length === 0) return `${start ? "---\n" : ""}{}\n`;
  const lines = [...(start ? ["---"] : []), ...comment(top, ""), ...body, ...comment(end, "")];
  return `${lines.join("\n")}\n`;
}

export const yamlDocArb = fc
  .record({ root: yamlRootArb, step: fc.constantFrom(2, 4), start: fc.boolean(), top: commentArb, end: commentArb })
  .map((d) => ({ text: writeYaml(d.root, d.step, d.start, d.top, d.end), json: meaning(d.root), root: d.root }));

// ---------------------------------------------------------------------------------------------
// JSON.

const JSON_NUMBERS = ["0", "-0.0", "1.0", "1.50", "1E3", "1e-7", "-2.5E+3", "0.000001", "123456789", "9007199254740991", "-9007199254740991"];

const jsonScalarArb: fc.Arbitrary<Node> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom("true", "false", "null", ...JSON_NUMBERS).map((t): Node => ({ kind: "scalar", text: t, json: t })) },
  { weight: 1, arbitrary: fc.maxSafeInteger().map((n): Node => ({ kind: "scalar", text: String(n), json: String(n) })) },
  {
    weight: 1,
    arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((x): Node => {
      const t = Number.isSafeInteger(x) || !Number.isInteger(x) ? String(x) : "2.5";
      return { kind: "scalar", text: t, json: t };
    }),
  },
  { weight: 4, arbitrary: stringArb.filter(isWellFormed).map((s): Node => ({ kind: "scalar", text: JSON.stringify(s), json: JSON.stringify(s) })) },
);

export const jsonRootArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node; map: Node; list: Node }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, { weight: 4, arbitrary: jsonScalarArb }, { weight: 1, arbitrary: tie("map") }, { weight: 1, arbitrary: tie("list") }),
  map: uniqueEntries(fc.record({ key: keyArb.filter(isWellFormed), value: tie("node"), comment: fc.constant(null), lineComment: fc.constant(null) }), 5).map(
    (entries): Node => ({ kind: "map", flow: false, entries }),
  ),
  list: fc.array(fc.record({ value: tie("node"), comment: fc.constant(null) }), { maxLength: 4 }).map((items): Node => ({ kind: "list", flow: false, items })),
})).map;

/** JSON text for a model, indented by `indent` ("" for one line). */
export function writeJson(node: Node, indent: string, depth = 0): string {
  const nl = indent === "" ? "" : `\n${indent.repeat(depth + 1)}`;
  const close = indent === "" ? "" : `\n${indent.repeat(depth)}`;
  switch (node.kind) {
    case "scalar":
    case "block":
      return node.kind === "scalar" ? node.text : node.json;
    case "map":
      return node.entries.length === 0 ? "{}" : `{${node.entries.map((e) => `${nl}${JSON.stringify(e.key)}: ${writeJson(e.value, indent, depth + 1)}`).join(",")}${close}}`;
    case "list":
      return node.items.length === 0 ? "[]" : `[${node.items.map((i) => `${nl}${writeJson(i.value, indent, depth + 1)}`).join(",")}${close}]`;
  }
}

export const jsonDocArb = fc
  .record({ root: jsonRootArb, indent: fc.constantFrom("", "  ", "\t", "    ") })
  .map((d) => ({ text: `${writeJson(d.root, d.indent)}\n`, json: meaning(d.root), root: d.root }));

// ---------------------------------------------------------------------------------------------
// dotenv, INI, binary.

const ENV_KEYS = ["DB_PASSWORD", "API_KEY_unencrypted", "TOKEN_enc", "PUBLIC_URL", "port", "my.key", "_x", "A1", "secret", "export EXPORTED", "PASSWORD_enc"];
const envKeyArb = fc.oneof(fc.constantFrom(...ENV_KEYS), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/));
/** A dotenv value's raw text: plain (no leading quote), or quoted and closed, maybe with an inline comment. */
const envValueArb = fc.oneof(
  stringArb.map((s) => s.replace(/[\r\n]/g, " ").replace(/^(\s*)["'`]+/, "$1").replace(/^(\s*)["'`]+/, "$1")),
  stringArb.map((s) => `"${s.replace(/[\r\n]/g, " ").replace(/["\\]/g, (c) => `\\${c}`)}"`),
  stringArb.map((s) => `'${s.replace(/[\r\n'\\]/g, " ")}'`),
  fc.tuple(stringArb, fc.constantFrom(...COMMENTS)).map(([s, c]) => `"${s.replace(/[\r\n"\\]/g, " ")}" # ${c}`),
);
export interface EnvLine {
  readonly key: string | null;
  readonly text: string;
}
export const dotenvDocArb = fc
  .tuple(
    fc.uniqueArray(fc.record({ key: envKeyArb, value: envValueArb, comment: fc.option(fc.constantFrom(...COMMENTS), { freq: 3 }) }), {
      minLength: 1,
      maxLength: 8,
      selector: (e) => e.key.replace(/^export /, ""),
    }),
    fc.boolean(),
  )
  .map(([entries, finalNewline]) => {
    const lines = entries.flatMap((e) => [...(e.comment === null ? [] : [`#${e.comment === "" ? "" : ` ${e.comment}`}`]), `${e.key}=${e.value}`]);
    return { text: lines.join("\n") + (finalNewline || lines.length === 0 ? "\n" : ""), keys: entries.map((e) => e.key) };
  });

/** What SOPS 3.9 prints for a dotenv file hush decrypts to `text`: its lines, unindented comments, `\n` escapes. */
export function dotenvAsSopsPrintsIt(text: string): string {
  const out: string[] = [];
  // hush writes a multi-line quoted value back over its lines; SOPS holds it as one value.
  const logical = text.split("\n").reduce<string[]>((acc, line) => {
    const open = acc.length > 0 && /^[^#=]*=\s*(["'`])/.test(acc[acc.length - 1]!) && !closes(acc[acc.length - 1]!);
    if (open) acc[acc.length - 1] += `\n${line}`;
    else acc.push(line);
    return acc;
  }, []);
  for (const line of logical) {
    if (line === "") continue;
    out.push(line.trimStart().startsWith("#") ? line.trimStart() : line.replaceAll("\n", "\\n"));
  }
  return out.map((l) => `${l}\n`).join("");
}

function closes(line: string): boolean {
  const at = line.indexOf("=");
  const value = line.slice(at + 1).trimStart();
  const quote = value[0]!;
  for (let i = 1; i < value.length; i++) {
    if (value[i] === "\\" && quote === '"') i++;
    else if (value[i] === quote) return true;
  }
  return false;
}

const INI_KEYS = ["password", "host", "token_enc", "note_unencrypted", "key.with.dots", "key with spaces", "123", "ünï", "PUBLIC_url", "secret"];
const iniValueArb = fc.oneof(
  stringArb.map((s) => s.replace(/[\r\n#;`"'\\]/g, " ").trim()),
  // go-ini ends a value at a `;` or `#` inside double quotes too: the rest is a comment, where a
  // character other readers break lines at is refused (stores/foreign-line-breaks.ts).
  stringArb.map((s) => `"${s.replace(/[\r\n"\v\f\x1c-\x1e\x85\u2028\u2029]/g, " ")}"`),
  stringArb.map((s) => `\`${s.replace(/[\r\n`]/g, " ")}\``),
  stringArb.map((s) => `"""${s.replace(/\r/g, "").replace(/"/g, " ")}"""`),
);
export const iniDocArb = fc
  .tuple(
    fc.uniqueArray(
      fc.record({
        name: fc.constantFrom("database", "DEFAULT", "api", "ünï", "with space", "a.b", "x"),
        comment: fc.option(fc.constantFrom(...COMMENTS.filter((c) => c !== "")), { freq: 3 }),
        keys: fc.uniqueArray(fc.record({ key: fc.oneof(fc.constantFrom(...INI_KEYS), fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)), value: iniValueArb, comment: fc.option(fc.constantFrom(...COMMENTS.filter((c) => c !== "")), { freq: 4 }), marker: fc.constantFrom(";", "#") }), {
          maxLength: 5,
          selector: (k) => k.key,
        }),
      }),
      { minLength: 1, maxLength: 4, selector: (s) => s.name },
    ),
    fc.constantFrom(" = ", "=", ": "),
  )
  .map(([sections, sep]) => {
    // DEFAULT, when present, is written first without a header (keys before the first section).
    const ordered = [...sections].sort((a, b) => Number(b.name === "DEFAULT") - Number(a.name === "DEFAULT"));
    const lines: string[] = [];
    for (const s of ordered) {
      if (s.comment !== null) lines.push(`; ${s.comment}`);
      if (s.name !== "DEFAULT") lines.push(`[${s.name}]`);
      for (const k of s.keys) {
        if (k.comment !== null) lines.push(`${k.marker} ${k.comment}`);
        lines.push(`${k.key}${sep}${k.value}`);
      }
    }
    return { text: `${lines.join("\n")}\n`, keys: ordered.flatMap((s) => s.keys.map((k) => [s.name, k.key] as const)) };
  });

export const binaryDocArb = fc.string({ unit: "grapheme", minLength: 1, maxLength: 200 }).map((s) => ({ text: s }));
