import { readFileSync } from "node:fs";
import { check } from "recheck";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { shippedSources } from "./shipped-sources.ts";

/**
 * Every regular expression written in hush's source matches in time linear in its input, as
 * recheck (an analyser of backtracking regular expressions) finds it, or is listed below with
 * the reason its input is bounded or trusted. An outsider's file, metadata or commit reaches
 * many of them; a pattern that backtracks quadratically made one crafted line cost minutes.
 *
 * The usual fix: a run at the end (`/ +$/`), tried from each of its characters, is tried from
 * its first only with a lookbehind (`/(?<! ) +$/`); a word between two open runs of the same
 * characters is looked for in each run apart. Patterns built at run time (`new RegExp`) are not
 * seen here: they are built from escaped text.
 */

/** Patterns recheck reads as non-linear, with why that is harmless: `file` and the pattern's source. */
const BOUNDED: ReadonlyArray<{ file: string; source: string; why: string }> = [
  {
    file: "packages/core/src/stores/yaml-layout.ts",
    source: "^( +)(?:- |-$|[^\\s#-][^\\r\\n]*:)",
    why: "multiline: recheck tries `^` at every position, V8 only at line starts (its attack string reads in 1 ms)",
  },
  {
    file: "packages/git/src/leak-scan.ts",
    source: "(?:^|\\/)(?:\\.[^/.]+|[^/.]+|[^/]*\\.(?:ya?ml|json|env|env\\.[^/]*|ini|toml|properties|conf|cfg|config|tfvars|xml|txt|pem|key|netrc|npmrc|pypirc))$",
    why: "a file's path in a working tree (at most 4096 bytes)",
  },
  {
    file: "packages/key-source-aws-kms/src/arn.ts",
    source: "^arn:aws[\\w-]*:kms:(.+):[0-9]+:(key|alias)\\/.+$",
    why: "SOPS's own pattern, kept to accept the same ARNs; the ARN is refused above 2048 characters first",
  },
  {
    file: "packages/key-source-azure-kv/src/client-assertion.ts",
    source: "-----BEGIN CERTIFICATE-----[\\s\\S]+?-----END CERTIFICATE-----",
    why: "the user's own certificate file (AZURE_CLIENT_CERTIFICATE_PATH), not a repository's",
  },
  {
    file: "packages/key-source-azure-kv/src/client-assertion.ts",
    source: "-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----[\\s\\S]+?-----END (?:RSA |ENCRYPTED )?PRIVATE KEY-----",
    why: "the user's own certificate file (AZURE_CLIENT_CERTIFICATE_PATH), not a repository's",
  },
];

interface Pattern {
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly flags: string;
}

/** The regular expression literals of the shipped packages' sources (not the test servers' or the benchmarks'). */
function patterns(): Pattern[] {
  const out: Pattern[] = [];
  for (const { path, file } of shippedSources()) {
    const sf = ts.createSourceFile(file, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(sf);
        const end = text.lastIndexOf("/");
        out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, source: text.slice(1, end), flags: text.slice(end + 1) });
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

describe("hush's regular expressions", () => {
  it("match in time linear in their input, or are listed with the reason their input is bounded", async () => {
    const found = patterns();
    expect(found.length).toBeGreaterThan(300);
    const flagged: string[] = [];
    for (const p of found) {
      // g and y only say where a match starts; the seed keeps the analysis the same on every run.
      const result = await check(p.source, p.flags.replace(/[gy]/g, ""), { timeout: 60_000, randomSeed: 0 });
      if (result.status === "safe") continue;
      if (BOUNDED.some((b) => b.file === p.file && b.source === p.source)) continue;
      const detail = result.status === "vulnerable" ? `${result.complexity.summary}, attack ${result.attack.pattern.slice(0, 60)}` : result.status;
      flagged.push(`${p.file}:${p.line} /${p.source}/${p.flags}: ${detail}`);
    }
    expect(flagged).toEqual([]);
  }, 600_000);

  it("listed as bounded are all still in the source", () => {
    const found = patterns();
    for (const b of BOUNDED) expect(found.some((p) => p.file === b.file && p.source === b.source), `${b.file}: ${b.source}`).toBe(true);
  });
});
