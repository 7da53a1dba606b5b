import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { encryptText, storeFor, type KeySourceResolver } from "@hush/core";
import { checkFile, tooLargeSummary } from "@hush/git";
import { freshAgeKey } from "./age-keys.ts";

/**
 * What a YAML stream of many documents costs the keyless readers: every document repeats the
 * `sops` block, and each later copy was parsed again to be compared with the first (a YAML parse
 * per document), and the summary of a file above the review limit parsed the whole stream twice,
 * once for the metadata and once for its hidden text (64 MB: half a minute and 3 GB, for each side
 * of every diff). A block is now parsed once per distinct text, the stream once.
 */

let keys: KeySourceResolver;
let recipient: string;
let stream: string;
const DOCUMENTS = 300;

beforeAll(async () => {
  ({ recipient, keys } = await freshAgeKey());
  const plain = Array.from({ length: DOCUMENTS }, (_, i) => `k${i}: v${i}\n`).join("---\n");
  stream = await encryptText(plain, { format: "yaml", keyGroups: [[{ kind: "age", recipient }]], keySources: keys });
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Calls of the YAML store's parser while `run` runs. */
async function yamlParses(run: () => Promise<unknown>): Promise<number> {
  const parse = vi.spyOn(await storeFor("yaml"), "parse");
  await run();
  return parse.mock.calls.length;
}

/** `stream` with the `lastmodified` of the `sops` block of document `index` (0-based) changed. */
function withOtherBlock(index: number): { text: string; line: number } {
  const docs = stream.split("\n---\n");
  docs[index] = docs[index]!.replace(/lastmodified: "[^"]*"/, 'lastmodified: "2001-01-01T00:00:00Z"');
  const text = docs.join("\n---\n");
  const before = docs.slice(0, index).join("\n---\n") + "\n---\n" + docs[index]!.slice(0, docs[index]!.indexOf("sops:"));
  return { text, line: before.split("\n").length };
}

describe("a YAML stream of many documents", () => {
  it("the too-large view's summary parses the stream once, and the repeated block once", async () => {
    let summary = "";
    expect(await yamlParses(async () => (summary = await tooLargeSummary(Buffer.from(stream), "big.yaml")))).toBe(2);
    expect(summary).toContain(`age ${recipient}`);
    expect(summary).not.toContain("ignored:");
  });

  it("a later document's differing block is still named at its line, once", async () => {
    const { text, line } = withOtherBlock(DOCUMENTS - 2);
    const summary = await tooLargeSummary(Buffer.from(text), "big.yaml");
    expect(summary.match(/ignored: a later YAML document's sops metadata at line (\d+)/g)).toEqual([`ignored: a later YAML document's sops metadata at line ${line}`]);
  });

  it("hush check parses the stream once, and the repeated block once", async () => {
    let result;
    expect(await yamlParses(async () => (result = await checkFile({ path: "big.yaml", text: stream })))).toBe(2);
    expect(result).toMatchObject({ encrypted: true, problems: [] });
    const { text, line } = withOtherBlock(7);
    const other = await checkFile({ path: "big.yaml", text });
    expect(other.problems.map((p) => [p.code, p.line])).toEqual([["metadata-ambiguous", line]]);
  });
});
