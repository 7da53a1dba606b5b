/**
 * hush's model of where go-yaml (SOPS's YAML reader) refuses what the `yaml` package reads
 * (packages/core/src/stores/yaml-go-reading.ts), asked of real SOPS 3.9.2 on every run: SOPS reads
 * a plaintext before it looks for its metadata, so "sops metadata not found" means go-yaml read
 * it, and "Error unmarshalling input yaml" that it refused it. The model must give the same
 * verdict. (Constructs go-yaml reads, but otherwise, are proven by yaml-test-suite.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { sopsDecrypt } from "@hush/testkit";
import { goYamlProblems } from "../../packages/core/src/stores/yaml-go-reading.ts";

const TEXTS = [
  // tabs after a key's ":", before a comment, inside [...] and {...}, in a plain scalar's blank lines
  "a:\tb\n",
  "a: b\t# c\n",
  "a: [1,\t2]\n",
  "a: {x:\t1}\n",
  "a: b\n  \t# c\n",
  "a: b\n \t\nc: d\n",
  "a: b\n  c\t\n",
  "a: b\n \t c\n",
  // tabs where go-yaml wants a token or indentation
  "\t# top\na: 1\n",
  "a: 'q'\n\t# c\n",
  "a:\n\t- b\n",
  "a:\n  - x\n\t# c\n",
  "a:\n  - \tx\n",
  "a: b\n\n\t\nc: d\n",
  "a: b\n\tc\n",
  "? a\n:\tb\n",
  "a:\n  b: c\n  \td: e\n",
  "a:\n- b\n-\tc\n",
  // tabs in block scalars
  "a: |\n  x\n  \ty\n",
  "a: |\n  \tx\n",
  "a: |2\n  \tx\n",
  "a: |\n\n\t\n  x\n",
  "a:\n  b: |\n   x\n  \ty\n",
  "a:\n  b: |\n    x\n   \ty\n",
  "a:\n  - |1\n   \tx\n",
  "a: |\n  x\n\t\nb: c\n",
  // directives, anchors, tags
  "%YAML 1.1\n---\na: 1\n",
  "%YAML 1.2\n---\na: 1\n",
  "%FOO bar\n---\na: 1\n",
  "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
  "a: &x-1_y b\nc: *x-1_y\n",
  "a: &x.y b\nc: *x.y\n",
  "a: !!str b\n",
  "a: !custom b\n",
  "a: !<tag:example.com,2000:x> b\n",
  "a: {b: !!str , c: d}\n",
  "a: {b: !!str, c: d}\n",
  // flow collections
  "a: [x?y]\n",
  "a: {? b : c}\n",
  "a: {b\n  : c}\n",
  '"a": {"b":c}\n',
  "a: {b:c}\n",
  "a: {b: c:d}\n",
  "a: [b:c]\n",
  "a: {url: http://x.y/z?q=1}\n",
  "a: [:x]\n",
];

describe("where SOPS's YAML reader refuses YAML, hush's model agrees (SOPS 3.9.2 asked)", () => {
  it(`${TEXTS.length} texts`, async () => {
    const disagreements: string[] = [];
    for (const text of TEXTS) {
      const sops = await sopsDecrypt({ text, format: "yaml", env: {} });
      if (sops.ok) throw new Error(`SOPS decrypted a plaintext: ${JSON.stringify(text)}`);
      const goReads = /sops metadata not found/.test(sops.error);
      if (!goReads && !/Error unmarshalling input yaml/.test(sops.error)) throw new Error(`SOPS gave another error for ${JSON.stringify(text)}: ${sops.error}`);
      const problems = goYamlProblems(text);
      if (goReads !== (problems.length === 0)) {
        disagreements.push(`${JSON.stringify(text)}: SOPS ${goReads ? "reads it" : `refuses it (${sops.error.split("\n")[0]})`}, hush ${problems.length === 0 ? "would write it" : `refuses it (${problems[0]!.message})`}`);
      }
    }
    expect(disagreements).toEqual([]);
  }, 300_000);
});
