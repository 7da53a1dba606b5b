/**
 * Realistic plaintext files for the SOPS oracle matrix: comments in every position, lists, block
 * scalars, unicode, empty values, numbers past 2^53. Values that SOPS 3.9.2 cannot represent at
 * all (timestamps, which it has no `type:time` for) are quoted so the matrix tests hush, not that.
 */
import type { SopsOracleFormat } from "@hush/testkit";

export const YAML = `# Payment service settings
# (two comment lines before the first key)
service: payments
# comment before a scalar
password: "c0rrect horse; battery: staple"
empty: ""
nothing: null
count: 42
big: 9007199254740993
negative: -17
ratio: 0.125
huge_float: 1.5e+30
enabled: true
disabled: false
unicode: "Grüße, 世界 🎉 — ünïcødé"
quoted_number: "0123"
quoted_date: "2024-01-02"
multiline: |
  line one
  line two with trailing spaces${"  "}
  last line
folded: >-
  folded text
  continues here
list:
  # comment before the first item
  - first
  - 2
  - true
  - nested: value
    other: [a, b]
  # comment between items
  - ""
empty_list: []
empty_map: {}
nested:
  deep:
    # comment inside a nested map
    deeper: secret
    list_of_lists:
      - [1, 2]
      - [x, "y z"]
  # comment at the end of a map
token_unencrypted: visible in git
# comment at the end of the document
`;

export const JSON_TEXT = `{
  "service": "payments",
  "password": "c0rrect horse; battery: staple",
  "empty": "",
  "nothing": null,
  "count": 42,
  "big": 9007199254740993,
  "negative": -17,
  "ratio": 0.125,
  "huge_float": 1.5e+30,
  "enabled": true,
  "disabled": false,
  "unicode": "Grüße, 世界 🎉 — ünïcødé",
  "escapes": "tab\\tquote\\"backslash\\\\newline\\nend",
  "list": ["first", 2, true, {"nested": "value", "other": ["a", "b"]}, ""],
  "empty_list": [],
  "empty_map": {},
  "nested": {"deep": {"deeper": "secret", "list_of_lists": [[1, 2], ["x", "y z"]]}},
  "token_unencrypted": "visible in git"
}
`;

export const DOTENV = `# Payment service environment
DB_HOST=db.internal
# comment between keys
DB_PASSWORD=s3cr3t=with=equals
EMPTY=
UNICODE=Grüße, 世界 🎉
SPACES=value with  inner  spaces
MULTILINE=line one\\nline two
NUMBER=0123
TOKEN_unencrypted=visible in git
# comment at the end
`;

export const INI = `; Payment service settings
[database]
host = db.internal
; comment before a key
password = s3cr3t
empty =
[unicode]
greeting = Grüße, 世界 🎉
[numbers]
port = 5432
ratio = 0.125
token_unencrypted = visible in git
`;

/** Valid UTF-8 (the oracle returns SOPS's output as a Secrets Manager string). */
export const BINARY = "binary payload\n\u0000\u0001 control bytes\ttabs\r\nünïcødé 🎉\n-----BEGIN KEY-----\nAAAA\n";

export const PLAINTEXT: Record<SopsOracleFormat, string> = { yaml: YAML, json: JSON_TEXT, dotenv: DOTENV, ini: INI, binary: BINARY };

/** A path of each format's file whose value a workflow changes, and a key it removes. */
export const PATHS: Record<Exclude<SopsOracleFormat, "binary">, { set: string; unset: string }> = {
  yaml: { set: '["nested"]["deep"]["deeper"]', unset: '["service"]' },
  json: { set: '["nested"]["deep"]["deeper"]', unset: '["service"]' },
  dotenv: { set: '["DB_PASSWORD"]', unset: '["DB_HOST"]' },
  ini: { set: '["database"]["password"]', unset: '["database"]["host"]' },
};

/** The plaintext with one more line, for `encrypt --reuse`. */
export function edited(format: SopsOracleFormat, text: string): string {
  switch (format) {
    case "yaml":
      return text.replace("count: 42", "count: 43\nadded: new value # new comment");
    case "json":
      return text.replace('"count": 42,', '"count": 43,\n  "added": "new value",');
    case "dotenv":
      return text.replace("EMPTY=\n", "EMPTY=\nADDED=new value\n");
    case "ini":
      return text.replace("port = 5432", "port = 5433\nadded = new value");
    case "binary":
      return `${text}appended line\n`;
  }
}
