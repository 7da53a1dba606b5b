/**
 * Plain-English reasons for parser error codes, so a parse error says what is wrong without
 * parser jargon (`PropertyNameExpected`) and without quoting the input (which may be a secret).
 */

/** 1-based column of `offset` in `text` (in UTF-16 code units, as editors mostly count). */
export function columnAt(text: string, offset: number): number {
  return offset - (text.lastIndexOf("\n", offset - 1) + 1) + 1;
}

const YAML_REASONS: Record<string, string> = {
  ALIAS_PROPS: "an alias (*name) cannot have a tag or an anchor",
  BAD_ALIAS: "an alias (*name) is malformed or names no anchor",
  BAD_DIRECTIVE: "a %-directive is malformed",
  BAD_DQ_ESCAPE: 'a "double-quoted" string has an invalid \\ escape',
  BAD_INDENT: "the indentation does not match the lines around it",
  BAD_PROP_ORDER: "an anchor or tag is in the wrong place",
  BAD_SCALAR_START: "a plain value cannot start with this character (quote the value)",
  BLOCK_AS_IMPLICIT_KEY: "a nested block cannot be used as a key",
  BLOCK_IN_FLOW: "a block value cannot appear inside [ ] or { }",
  DUPLICATE_KEY: "the same key appears twice in one map",
  KEY_OVER_1024_CHARS: "a key is longer than 1024 characters",
  MISSING_CHAR: "a closing quote, bracket or brace is missing",
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line (a missing ':' or a quote left open?)",
  MULTIPLE_ANCHORS: "a value has more than one anchor",
  MULTIPLE_DOCS: "more than one document where one was expected",
  MULTIPLE_TAGS: "a value has more than one tag",
  NON_STRING_KEY: "a key must be a plain name",
  // The package reports a stack overflow while it composes nested collections so (2.9).
  RESOURCE_EXHAUSTION: "collections nested too deep",
  TAB_AS_INDENT: "a tab is used for indentation (YAML needs spaces)",
  TAG_RESOLVE_FAILED: "a tag (!name) is not known",
  UNEXPECTED_TOKEN: "unexpected text here (a missing ':' or '-', or wrong indentation?)",
  BAD_COLLECTION_TYPE: "a tag does not fit this kind of value",
};

/**
 * Reasons for the `yaml` package's messages where one error code stands for several mistakes
 * (MISSING_CHAR is a missing ':' as well as a missing quote). Matched on the message's fixed
 * opening words, which never hold input.
 */
const YAML_MESSAGE_REASONS: ReadonlyArray<readonly [string, string]> = [
  ["Implicit map keys need to be followed by map values", "a line in a map has no ':' after its key"],
  ["Missing closing", "a closing quote is missing"],
  ["Flow sequence in block collection must be sufficiently indented", "a [ list is not closed with ] (or a line inside it is not indented enough)"],
  ["Flow map in block collection must be sufficiently indented", "a { map is not closed with } (or a line inside it is not indented enough)"],
  ["Nested mappings are not allowed in compact mappings", "a value holds ': ' (quote the value), or a line is indented further than the key above it"],
  ["Sequence item without - indicator", "a list item has no '-'"],
  ["Comments must be separated from other tokens by white space", "a '#' comment needs a space before it"],
  ["Missing , between", "a ',' is missing between the items of [ ] or { }"],
  ["Missing , or : between", "a ',' is missing between the items of [ ] or { }"],
];

/**
 * A reason for a `yaml` package error (never quoting the input): by its message where one code
 * stands for several mistakes, else by its code.
 */
export function yamlReason(code: string, message = ""): string {
  const byMessage = YAML_MESSAGE_REASONS.find(([opening]) => message.startsWith(opening));
  return byMessage?.[1] ?? YAML_REASONS[code] ?? "the text here is not valid YAML";
}

/** jsonc-parser's ParseErrorCode numbers, in words. */
const JSON_REASONS: Record<number, string> = {
  1: "unexpected character (JSON has no comments, single quotes or bare words)",
  2: "malformed number",
  3: 'expected a key in "double quotes" (a comma too many?)',
  4: "expected a value (a comma too many, or a value missing?)",
  5: "expected ':' after the key",
  6: "expected ',' between entries",
  7: "expected '}' to close an object",
  8: "expected ']' to close a list",
  9: "unexpected text after the end of the document",
  10: "comments are not allowed in JSON",
  11: "a comment is not closed",
  12: 'a string is not closed (missing ")',
  13: "a number ends unexpectedly",
  14: "invalid \\u escape in a string",
  15: "invalid \\ escape in a string",
  16: "a control character (such as a raw newline or tab) inside a string",
};

/** A reason for a jsonc-parser error code (never quoting the input). */
export function jsonReason(code: number): string {
  return JSON_REASONS[code] ?? "the text here is not valid JSON";
}
