import { storeFor, type FileFormat, type ParsedDocument } from "@hush/core";
import { shortHash } from "./metadata-summary.ts";

/**
 * Text in a file's metadata blocks that no tool reads, so that neither a MAC, nor a review, nor a
 * rewrite ever sees it: comments inside (or after) the `sops` block of YAML, INI and TOML files,
 * and the `sops` block of a later YAML document (SOPS and hush read the first document's and write
 * the same block into every document). Anyone can put a secret there, in clear, without a key.
 */

/** Hidden metadata text found in one file. */
interface HiddenMetadataText {
  /** Comment lines inside the metadata blocks: how many, the first one's line (1-based), and their text. */
  readonly comments?: { readonly count: number; readonly firstLine: number; readonly text: string };
  /** Later YAML documents whose `sops` block is not the first document's: their first lines (1-based) and their text. */
  readonly otherMetadata: ReadonlyArray<{ readonly line: number; readonly text: string }>;
}

/** How a comment line starts in each format whose metadata block can hold one (dotenv comments are leaves; JSON has none). */
const COMMENT_LINE: Partial<Record<FileFormat, RegExp>> = {
  yaml: /^[ \t]*#/,
  toml: /^[ \t]*#/,
  ini: /^[ \t]*[;#]/,
};

/** Hidden text in `text`'s metadata blocks, from its whole parse (`parsed`, as its store gives it). */
async function hiddenMetadataText(text: string, format: FileFormat, parsed: ParsedDocument): Promise<HiddenMetadataText> {
  const commentLine = COMMENT_LINE[format];
  let count = 0;
  let firstLine = 0;
  const comments: string[] = [];
  if (commentLine !== undefined) {
    const lineOf = lineCounter(text);
    for (const span of parsed.metadataSpans) {
      let at = span.start;
      while (at < span.end) {
        const next = text.indexOf("\n", at);
        const end = next === -1 || next > span.end ? span.end : next;
        const line = text.slice(at, end);
        if (commentLine.test(line)) {
          count++;
          comments.push(line);
          if (firstLine === 0) firstLine = lineOf(at);
        }
        at = end + 1;
      }
    }
  }
  const otherMetadata: Array<{ line: number; text: string }> = [];
  if (format === "yaml" && parsed.documentCount > 1 && parsed.metadataSpans.length > 1) {
    // The first block is the one every tool reads; a later one is the same block or hidden text.
    const first = JSON.stringify(parsed.metadata);
    const store = await storeFor("yaml");
    const lineOf = lineCounter(text);
    // A block is read once per distinct text: the writers copy one block into every document, and
    // a parse per document made a stream of many small ones cost a YAML parse each.
    const sameByText = new Map<string, boolean>();
    for (const span of parsed.metadataSpans.slice(1)) {
      const block = text.slice(span.start, span.end);
      let same = sameByText.get(block);
      if (same === undefined) {
        try {
          same = JSON.stringify(store.parse(block).metadata) === first;
        } catch {
          same = false;
        }
        sameByText.set(block, same);
      }
      if (!same) otherMetadata.push({ line: lineOf(span.start), text: block });
    }
  }
  return { ...(count === 0 ? {} : { comments: { count, firstLine, text: comments.join("\n") } }), otherMetadata };
}

/** A `hush check` finding about hidden text (a `CheckProblem` of check.ts, which imports this file). */
export interface HiddenTextProblem {
  readonly severity: "error" | "warning";
  readonly code: "metadata-comment" | "metadata-ambiguous";
  readonly message: string;
  readonly line: number;
}

/** `hush check`'s findings for the hidden text of one parsed file. */
export async function hiddenTextProblems(text: string, format: FileFormat, parsed: ParsedDocument, strict: boolean): Promise<HiddenTextProblem[]> {
  const hidden = await hiddenMetadataText(text, format, parsed);
  const out: HiddenTextProblem[] = [];
  if (hidden.comments !== undefined) {
    const { count, firstLine } = hidden.comments;
    const them = count === 1 ? "it" : "them";
    out.push({
      severity: strict ? "error" : "warning",
      code: "metadata-comment",
      message: `${count === 1 ? "a comment line" : `${count} comment lines`} in the sops metadata (from line ${firstLine}): no tool reads ${them}, no review shows ${them} and SOPS drops ${them} on rewrite; remove ${them} by hand, or rewrite the file with \`hush rotate -i\``,
      line: firstLine,
    });
  }
  for (const { line } of hidden.otherMetadata) {
    out.push({
      severity: "error",
      code: "metadata-ambiguous",
      message: `the sops metadata at line ${line} (a later YAML document's) is not the first document's; SOPS and hush read only the first, no tool writes them apart and no review shows it: remove the difference by hand, or rewrite the file with \`hush rotate -i\``,
      line,
    });
  }
  return out;
}

/** Where the metadata block starts, in the formats whose block can hide text (it is the last part of the file, or of each YAML document). */
const METADATA_START: Partial<Record<FileFormat, RegExp>> = { yaml: /^sops:/m, toml: /^\[sops\]/m, ini: /^\[sops\]/m };

/** A comment line anywhere in a text, by format. */
const ANY_COMMENT_LINE: Partial<Record<FileFormat, RegExp>> = { yaml: /^[ \t]*#/m, toml: /^[ \t]*#/m, ini: /^[ \t]*[;#]/m };

/**
 * The review view's summary lines (without the prefix) for the hidden text of `text`, each with a
 * hash of that text so that a change to it is a diff line. The review reads most files in one
 * streaming pass: the whole parse is made only when a comment line or a second `sops` block
 * comes after the first metadata block. `whole`: that parse, when the caller has made it already.
 */
export async function hiddenMetadataSummary(text: string, format: FileFormat, whole?: ParsedDocument): Promise<string[]> {
  const start = METADATA_START[format]?.exec(text)?.index;
  if (start === undefined) return [];
  const rest = text.slice(start + 1);
  if (!ANY_COMMENT_LINE[format]!.test(rest) && !(format === "yaml" && METADATA_START.yaml!.test(rest))) return [];
  let parsed: ParsedDocument;
  try {
    parsed = whole ?? (await storeFor(format)).parse(text);
  } catch {
    return [];
  }
  const hidden = await hiddenMetadataText(text, format, parsed);
  const lines: string[] = [];
  if (hidden.comments !== undefined) {
    lines.push(`ignored: ${hidden.comments.count} comment line(s) in the sops metadata (from line ${hidden.comments.firstLine}), text hash ${shortHash("hush metadata comments v1", hidden.comments.text)}`);
  }
  for (const other of hidden.otherMetadata) {
    lines.push(`ignored: a later YAML document's sops metadata at line ${other.line}, not the first document's (SOPS and hush read only the first), hash ${shortHash("hush other document metadata v1", other.text)}`);
  }
  return lines;
}

/** A function from offsets, asked for in increasing order, to their 1-based lines: one pass over the text in all. */
function lineCounter(text: string): (offset: number) => number {
  let line = 1;
  let counted = 0;
  return (offset) => {
    for (let i = text.indexOf("\n", counted); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
    counted = Math.max(counted, offset);
    return line;
  };
}
