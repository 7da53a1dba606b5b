import { dataKey, expectRoundTrip, noKeys, now, parseErrorOf, wrappedKeys } from "../store-harness.ts";
import { describe, expect, it } from "vitest";
import {
  decryptText,
  editPlaintext,
  encryptText,
  exampleDocument,
  formatHasComments,
  FORMATS,
  isHushError,
  nodeAt,
  parseFormat,
  parseSetValue,
  registration,
  sameTree,
  storeFor,
  unsetInTree,
  type FileFormat,
  type Leaf,
  type Store,
  type TreeMap,
} from "@hush/core";
import { SAMPLES, type ContractSample, type SampleEdit } from "./contract-samples.ts";

/**
 * What every registered store promises, run against each one from the registry: a store added
 * to the registry is held to it without writing another test (only its samples).
 */

const enc = (format: FileFormat) => (text: string) => encryptText(text, { format, keySources: noKeys, wrappedKeys, dataKey, now });
const dec = (format: FileFormat) => (text: string) => decryptText(text, { format, keySources: noKeys, dataKey });

function sampleOf(format: FileFormat): ContractSample {
  const sample = SAMPLES[format];
  if (sample === undefined) throw new Error(`no contract samples for the "${format}" store: add them to packages/core/test/stores/contract-samples.ts`);
  return sample;
}

/** Every leaf written back over its own span with its own value. */
function rerendered(store: Store, text: string): string {
  const leaves = store.parse(text).leaves.filter((l): l is Leaf & { value: NonNullable<Leaf["value"]> } => l.aliased !== true && l.value !== null);
  let out = text;
  for (const leaf of [...leaves].sort((a, b) => b.start - a.start)) out = out.slice(0, leaf.start) + store.renderPlaintext(leaf, leaf.value) + out.slice(leaf.end);
  return out;
}

/** The changed region of a line diff: original lines [first, last] (1-based) and the lines put there. */
function changedLines(before: string, after: string): { first: number; last: number; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  return { first: head + 1, last: a.length - tail, added: b.slice(head, b.length - tail) };
}

function commentsOf(store: Store, text: string): string[] {
  return store.parse(text).leaves.flatMap((l) => (l.kind === "comment" ? [l.value?.text ?? ""] : []));
}

async function apply(format: FileFormat, edit: SampleEdit): Promise<string> {
  const plain = edit.value === undefined ? { kind: "unset" as const, path: edit.path } : { kind: "set" as const, path: edit.path, value: await parseSetValue(edit.value) };
  const result = await editPlaintext(edit.text, format, plain);
  expect(result.changed).toBe(true);
  expect(result.reformatted).toBe(false);
  return result.text;
}

/** The edit kept every comment and left the other entries' values and order as they were. */
async function expectOthersKept(format: FileFormat, edit: SampleEdit, after: string): Promise<void> {
  const store = await storeFor(format);
  if (formatHasComments(format)) expect(commentsOf(store, after)).toEqual(commentsOf(store, edit.text));
  const without = (text: string): TreeMap => {
    const tree = store.toTree(text);
    return nodeAt(tree, edit.path) === undefined ? tree : unsetInTree(tree, edit.path);
  };
  expect(sameTree(without(after), without(edit.text), store.orderedMaps)).toBe(true);
}

describe.each(FORMATS.map((format) => [format] as const))("the %s store", (format) => {
  it("is registered under its own name, and its example document round-trips", async () => {
    const store = await storeFor(format);
    expect(store.format).toBe(format);
    expect(parseFormat(format)).toBe(format);
    expect(registration(format).format).toBe(format);
    const example = exampleDocument(format);
    expect(await dec(format)(await enc(format)(example))).toBe(example);
  });

  it("reads and writes its sample documents: values re-rendered in place, trees re-emitted stably", async () => {
    const store = await storeFor(format);
    for (const text of sampleOf(format).documents) {
      expect(rerendered(store, text)).toBe(text);
      const emitted = store.emitTree(store.toTree(text), {});
      expect(sameTree(store.toTree(emitted), store.toTree(text), store.orderedMaps)).toBe(true);
      expect(store.emitTree(store.toTree(emitted), {})).toBe(emitted);
      expect(() => store.layout(text)).not.toThrow();
    }
  });

  it("decrypt(encrypt(x)) is x byte for byte, and encryption changes only value spans", async () => {
    for (const text of sampleOf(format).documents) await expectRoundTrip(text, format, enc(format), dec(format));
  });

  it("has comments in its samples exactly when the registry says the format has them", async () => {
    const store = await storeFor(format);
    const withComments = sampleOf(format).documents.some((t) => commentsOf(store, t).length > 0);
    expect(withComments).toBe(formatHasComments(format));
  });

  it("sets one value in place: only that value's line changes", async () => {
    const edit = sampleOf(format).setInPlace;
    const after = await apply(format, edit);
    const diff = changedLines(edit.text, after);
    expect([diff.first, diff.last]).toEqual(edit.lines);
    expect(diff.added).toHaveLength(1);
    await expectOthersKept(format, edit, after);
  });

  it("adds a value by adding lines (a separator at most on the line before), comments and order kept", async () => {
    const edit = sampleOf(format).add;
    if (edit === undefined) {
      expect(registration(format).wholeFile).toBe(true);
      return;
    }
    const after = await apply(format, edit);
    const diff = changedLines(edit.text, after);
    // Lines are added; the line before may change for a separator (JSON's comma).
    expect(diff.last - diff.first + 1).toBeLessThanOrEqual(1);
    expect(diff.added.length).toBeGreaterThan(diff.last - diff.first + 1);
    await expectOthersKept(format, edit, after);
  });

  it("unsets a value by removing its lines only, or refuses with a HushError", async () => {
    const edit = sampleOf(format).unset;
    if (edit.lines === undefined) {
      await expect(apply(format, edit)).rejects.toSatisfy((err: unknown) => isHushError(err));
      return;
    }
    const after = await apply(format, edit);
    const diff = changedLines(edit.text, after);
    expect([diff.first, diff.last]).toEqual(edit.lines);
    expect(diff.added).toEqual([]);
    await expectOthersKept(format, edit, after);
  });

  it("rejects bad input with a PARSE_FAILED HushError naming the line", async () => {
    const bad = sampleOf(format).bad;
    const store = await storeFor(format);
    if (bad === undefined) {
      expect(registration(format).wholeFile).toBe(true);
      return;
    }
    const { line } = await parseErrorOf(async () => store.parse(bad.text));
    expect(line).toBe(bad.line);
    await expect(enc(format)(bad.text)).rejects.toSatisfy((err: unknown) => isHushError(err, "PARSE_FAILED"));
  });
});
