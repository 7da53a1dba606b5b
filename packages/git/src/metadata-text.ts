import { storeFor, type FileFormat, type ParsedDocument } from "@hush/core";
import type { CheckProblem } from "./check.ts";

/**
 * Text in a file's metadata blocks that no tool reads, so that neither a MAC, nor a review, nor a
 * rewrite ever sees it: comments inside (or after) the `sops` block of YAML, INI and TOML files,
 * and the `sops` block of a later YAML document (SOPS and hush read the first document's and write
 * the same block into every document). Anyone can put a secret there, in clear, without a key.
 */

/** Hidden metadata text found in one file. */
interface HiddenMetadataText {
  /** Comment lines inside the metadata blocks: how many, and the first one's line (1-based). */
  readonly comments?: { readonly count: number; readonly firstLine: number };
  /** Later YAML documents whose `sops` block is not the first document's: their first lines (1-based). */
  readonly otherMetadataLines: readonly number[];
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
  if (commentLine !== undefined) {
    const lineOf = lineCounter(text);
    for (const span of parsed.metadataSpans) {
      let at = span.start;
      while (at < span.end) {
        const next = text.indexOf("\n", at);
        const end = next === -1 || next > span.end ? span.end : next;
        if (commentLine.test(text.slice(at, end))) {
          count++;
          if (firstLine === 0) firstLine = lineOf(at);
        }
        at = end + 1;
      }
    }
  }
  const otherMetadataLines: number[] = [];
  if (format === "yaml" && parsed.documentCount > 1 && parsed.metadataSpans.length > 1) {
    // The first block is the one every tool reads; a later one is the same block or hidden text.
    const first = JSON.stringify(parsed.metadata);
    const store = await storeFor("yaml");
    const lineOf = lineCounter(text);
    for (const span of parsed.metadataSpans.slice(1)) {
      let same = false;
      try {
        same = JSON.stringify(store.parse(text.slice(span.start, span.end)).metadata) === first;
      } catch {
        same = false;
      }
      if (!same) otherMetadataLines.push(lineOf(span.start));
    }
  }
  return { ...(count === 0 ? {} : { comments: { count, firstLine } }), otherMetadataLines };
}

/** `hush check`'s findings for the hidden text of one parsed file. */
export async function hiddenTextProblems(text: string, format: FileFormat, parsed: ParsedDocument, strict: boolean): Promise<CheckProblem[]> {
  const hidden = await hiddenMetadataText(text, format, parsed);
  const out: CheckProblem[] = [];
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
  for (const line of hidden.otherMetadataLines) {
    out.push({
      severity: "error",
      code: "metadata-ambiguous",
      message: `the sops metadata at line ${line} (a later YAML document's) is not the first document's; SOPS and hush read only the first, no tool writes them apart and no review shows it: remove the difference by hand, or rewrite the file with \`hush rotate -i\``,
      line,
    });
  }
  return out;
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
