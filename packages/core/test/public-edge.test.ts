import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as api from "../src/api.ts";
import * as core from "../src/index.ts";
import { HushError, type ErrorCode } from "../src/index.ts";

/**
 * Every function of the public surface, fed wrong input, fails with a HushError carrying a code
 * (never a RangeError or TypeError from node:crypto, Buffer or a parser), and the message names
 * what is wrong. JavaScript callers and wrong lengths are what this guards against.
 */

const scratch = mkdtempSync(join(tmpdir(), "hush-edge-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
// Latin-1 "é" on line 2: Node would read it as U+FFFD and go on.
writeFileSync(join(scratch, "latin1.yaml"), Buffer.concat([Buffer.from("a: 1\nb: caf"), Buffer.from([0xe9]), Buffer.from("\n")]));

const key = new Uint8Array(32);
const iv = Buffer.alloc(32, 1);
const noKeys: core.KeySourceResolver = async () => undefined;
const map: core.TreeMap = { kind: "map", entries: [] };
const bad = <T>(value: unknown): T => value as T;

/** A document opened with a known data key (no key source needed). */
async function openedDocument(): Promise<core.SecretDocument> {
  const wrappedKeys: core.MasterKeyEntry[][] = [[{ kind: "age", recipient: "age1test", enc: "x" }]];
  const text = await core.encryptText("a: 1\n", { format: "yaml", keySources: noKeys, dataKey: key, wrappedKeys });
  return core.SecretDocument.fromOpened(await core.openText(text, { format: "yaml", keySources: noKeys, dataKey: key }), { keySources: noKeys });
}

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  return undefined;
}

type Case = readonly [what: string, run: () => unknown, code: ErrorCode, message?: RegExp];

/** Keyed by export name: the completeness test below checks every function export is here. */
const CASES: Record<string, readonly Case[]> = {
  encryptValue: [
    ["a 5-byte key", () => core.encryptValue(new Uint8Array(5), Buffer.from("x"), "str", "a:", iv), "INVALID_ARGUMENT", /data key must be 32 bytes, got 5/],
    ["a 3-byte IV", () => core.encryptValue(key, Buffer.from("x"), "str", "a:", Buffer.alloc(3)), "INVALID_ARGUMENT", /IV must be 32 bytes, got 3/],
    ["an empty IV", () => core.encryptValue(key, Buffer.from("x"), "str", "a:", Buffer.alloc(0)), "INVALID_ARGUMENT", /IV must be 32 bytes, got 0/],
    ["a string plaintext", () => core.encryptValue(key, bad("x"), "str", "a:", iv), "INVALID_ARGUMENT", /plaintext must be a Buffer/],
    ["an unknown type", () => core.encryptValue(key, Buffer.from("x"), bad("blob"), "a:", iv), "INVALID_ARGUMENT", /value type/],
    ["a missing aad", () => core.encryptValue(key, Buffer.from("x"), "str", bad(undefined), iv), "INVALID_ARGUMENT", /aad/],
  ],
  decryptValue: [
    ["a 16-byte key", () => core.decryptValue(new Uint8Array(16), core.encryptValue(key, Buffer.from("x"), "str", "a:", iv), "a:"), "INVALID_ARGUMENT", /data key must be 32 bytes, got 16/],
    ["a number for the envelope", () => core.decryptValue(key, bad(5), "a:"), "INVALID_ARGUMENT", /encrypted value must be a string/],
    ["an envelope with an empty IV", () => core.decryptValue(key, `ENC[AES256_GCM,data:AAAA,iv:,tag:${Buffer.alloc(16).toString("base64")},type:str]`, "a:"), "VALUE_TAMPERED"],
  ],
  parseEnvelope: [["text that is no envelope", () => core.parseEnvelope("hello"), "VALUE_TAMPERED"]],
  wrapDataKey: [
    ["a 3-byte data key", () => core.wrapDataKey(new Uint8Array(3), [[{ kind: "age", recipient: "age1x" } as core.MasterKeyRecipient]], 0, noKeys), "INVALID_ARGUMENT", /data key must be 32 bytes, got 3/],
    ["groups that are no array", () => core.wrapDataKey(key, bad({}), 0, noKeys), "INVALID_ARGUMENT", /key groups/],
    ["a fractional threshold", () => core.wrapDataKey(key, [[]], 1.5, noKeys), "INVALID_ARGUMENT", /threshold/],
    ["no key sources", () => core.wrapDataKey(key, [[]], 0, bad(undefined)), "INVALID_ARGUMENT", /key sources/],
    // A recipient a JavaScript caller built by hand, checked before any key service is asked.
    ["a null recipient", () => core.wrapDataKey(key, [[bad(null)]], 0, noKeys), "INVALID_ARGUMENT", /^key group 0, key 0: a recipient must be an object .*, got null$/],
    ["a recipient without a kind", () => core.wrapDataKey(key, [[bad({ recipient: "age1x" })]], 0, noKeys), "INVALID_ARGUMENT", /^key group 0, key 0: the key kind must be a string, got undefined$/],
    ["an age recipient with a misspelt field", () => core.wrapDataKey(key, [[{ kind: "age", recipient: "age1x" }, bad({ kind: "age", key: "age1x" })]], 0, noKeys), "INVALID_ARGUMENT", /^key group 0, key 1: not a valid age recipient: a field its key backend reads is missing or not text$/],
    ["a number for an age recipient", () => core.wrapDataKey(key, [[bad({ kind: "age", recipient: 5 })]], 0, noKeys), "INVALID_ARGUMENT", /not a valid age recipient/],
    ["a KMS recipient without its context", () => core.wrapDataKey(key, [[bad({ kind: "kms", arn: "arn:aws:kms:us-east-1:111122223333:key/k" })]], 0, noKeys), "INVALID_ARGUMENT", /^key group 0, key 0: not a valid kms recipient/],
    ["a number for a PGP fingerprint", () => core.wrapDataKey(key, [[bad({ kind: "pgp", fp: 5 })]], 0, noKeys), "INVALID_ARGUMENT", /not a valid pgp recipient/],
  ],
  unwrapDataKey: [
    ["groups that are no array", () => core.unwrapDataKey(bad({}), 0, noKeys), "INVALID_ARGUMENT", /key groups/],
    ["a negative threshold", () => core.unwrapDataKey([], -1, noKeys), "INVALID_ARGUMENT", /threshold/],
  ],
  splitSecret: [
    ["2.5 parts", () => core.splitSecret(key, 2.5, 2), "INVALID_ARGUMENT", /whole number/],
    ["a threshold above the parts", () => core.splitSecret(key, 2, 3), "INVALID_ARGUMENT", /threshold/],
    ["a string secret", () => core.splitSecret(bad("secret"), 2, 2), "INVALID_ARGUMENT", /secret must be a Buffer/],
  ],
  combineShares: [
    ["no array", () => core.combineShares(bad("shares")), "INVALID_ARGUMENT", /array/],
    ["a share that is no bytes", () => core.combineShares([new Uint8Array(3), bad(null)]), "INVALID_ARGUMENT", /share 1/],
  ],
  storeFor: [["an unknown format", () => core.storeFor(bad("xml")), "FORMAT_UNSUPPORTED", /xml/]],
  parseFormat: [
    ["an unknown name", () => core.parseFormat("xml"), "FORMAT_UNSUPPORTED", /xml/],
    ["a number", () => core.parseFormat(bad(5)), "INVALID_ARGUMENT", /format name must be a string/],
  ],
  formatFromPath: [["a number", () => core.formatFromPath(bad(5)), "INVALID_ARGUMENT", /path must be a string/]],
  lineIndex: [["a number for the text", () => core.lineIndex(bad(5)), "INVALID_ARGUMENT", /text to index must be a string/]],
  applyTextEdits: [
    ["an edit past the end", () => core.applyTextEdits("abc", [{ start: 5, end: 9, text: "x" }]), "INVALID_ARGUMENT", /start must be a whole number from 0 to 3/],
    ["an edit that ends before it starts", () => core.applyTextEdits("abcdef", [{ start: 3, end: 1, text: "x" }]), "INVALID_ARGUMENT", /end/],
    ["overlapping edits", () => core.applyTextEdits("abcdef", [{ start: 0, end: 3, text: "x" }, { start: 2, end: 4, text: "y" }]), "INVALID_ARGUMENT", /overlapping/],
  ],
  parseTreePath: [
    ["an unclosed component", () => core.parseTreePath('["a"'), "INVALID_TREE_PATH"],
    ["a number", () => core.parseTreePath(bad(5)), "INVALID_TREE_PATH", /must be a string/],
  ],
  getAtPath: [
    ["an object as a component", () => core.getAtPath(map, bad([{}])), "INVALID_TREE_PATH", /component 1/],
    ["a tree that is null", () => core.getAtPath(bad(null), ["a"]), "INVALID_ARGUMENT", /tree/],
  ],
  setInTree: [
    ["a negative index", () => core.setInTree(map, ["a", -1], { kind: "null" }), "INVALID_TREE_PATH", /component 2/],
    ["a value that is no node", () => core.setInTree(map, ["a"], bad("v")), "INVALID_ARGUMENT", /value/],
    ["an empty path", () => core.setInTree(map, [], { kind: "null" }), "INVALID_SET_VALUE"],
  ],
  unsetInTree: [["a path that is a string", () => core.unsetInTree(map, bad('["a"]')), "INVALID_TREE_PATH", /array/]],
  nodeAt: [["a tree that is null", () => core.nodeAt(bad(null), ["a"]), "INVALID_ARGUMENT"]],
  landingPath: [["a fractional index", () => core.landingPath(map, [1.5]), "INVALID_TREE_PATH"]],
  buildPath: [["an object as a component", () => core.buildPath(bad([{}]), { kind: "null" }), "INVALID_TREE_PATH"]],
  sameTree: [["null trees", () => core.sameTree(bad(null), bad(null)), "INVALID_ARGUMENT"]],
  pathText: [["no path", () => core.pathText(bad(undefined)), "INVALID_TREE_PATH"]],
  formatKeyPath: [["null", () => core.formatKeyPath(bad(null)), "INVALID_TREE_PATH"]],
  aadPath: [["null", () => core.aadPath(bad(null)), "INVALID_TREE_PATH"]],
  parseSetValue: [
    ["not JSON", () => core.parseSetValue("{"), "INVALID_SET_VALUE"],
    ["a number", () => core.parseSetValue(bad(5)), "INVALID_ARGUMENT"],
  ],
  encryptText: [
    ["an unknown format", () => core.encryptText("a: 1", { format: bad("xml"), keyGroups: [], keySources: noKeys }), "FORMAT_UNSUPPORTED"],
    ["no options", () => core.encryptText("a: 1", bad(undefined)), "INVALID_ARGUMENT", /options/],
    ["a 31-byte data key", () => core.encryptText("a: 1", { format: "yaml", keySources: noKeys, dataKey: new Uint8Array(31) }), "INVALID_ARGUMENT", /dataKey must be 32 bytes/],
    ["a Buffer for the text", () => core.encryptText(bad(Buffer.from("a: 1")), { format: "yaml", keySources: noKeys }), "INVALID_ARGUMENT", /plaintext must be a string/],
    ["a recipient whose field is misspelt", () => core.encryptText("a: 1", { format: "yaml", keySources: noKeys, keyGroups: [[bad({ kind: "age", key: "age1x" })]] }), "INVALID_ARGUMENT", /not a valid age recipient/],
  ],
  decryptText: [
    ["an unknown format", () => core.decryptText("a: 1", { format: bad("xml"), keySources: noKeys }), "FORMAT_UNSUPPORTED"],
    ["a number for the text", () => core.decryptText(bad(5), { format: "yaml", keySources: noKeys }), "INVALID_ARGUMENT", /text must be a string/],
    // What readFileSync gives: the message says how to pass it (a bare "got an object" did not).
    ["a Buffer for the text", () => core.decryptText(bad(Buffer.from("a: 1")), { format: "yaml", keySources: noKeys }), "INVALID_ARGUMENT", /^the text must be a string, got a Buffer \(pass buffer\.toString\("utf8"\), or "latin1" for a binary file\)$/],
    ["a Uint8Array for the text", () => core.decryptText(bad(new Uint8Array(3)), { format: "yaml", keySources: noKeys }), "INVALID_ARGUMENT", /got a Uint8Array \(pass/],
  ],
  readPlaintext: [
    ["an unknown format", () => core.readPlaintext("a: 1", { format: bad("xml"), keySources: noKeys }), "FORMAT_UNSUPPORTED"],
    ["a number for the text", () => core.readPlaintext(bad(5), { format: "yaml", keySources: noKeys }), "INVALID_ARGUMENT", /text must be a string/],
  ],
  openText: [["a 1-byte data key", () => core.openText("a: 1", { format: "yaml", keySources: noKeys, dataKey: new Uint8Array(1) }), "INVALID_ARGUMENT", /dataKey must be 32 bytes/]],
  verifyText: [["no options", () => core.verifyText("a: 1", bad(null)), "INVALID_ARGUMENT", /options/]],
  readMetadata: [["an unknown format", () => core.readMetadata("a: 1", bad("xml")), "FORMAT_UNSUPPORTED"]],
  reencryptText: [["no opened file", () => core.reencryptText(bad(undefined), "a: 1", { keySources: noKeys }), "INVALID_ARGUMENT", /opened file/]],
  effectiveRule: [["an unknown format", () => core.effectiveRule(bad("xml"), undefined), "FORMAT_UNSUPPORTED"]],
  unvouchedReaders: [
    ["no policy", () => core.unvouchedReaders([], bad(undefined)), "INVALID_ARGUMENT", /^the policy must be an object, got undefined$/],
    ["groups that are no lists", () => core.unvouchedReaders(bad([5]), { recipients: [] }), "INVALID_ARGUMENT", /key groups must be a list of lists/],
  ],
  hiddenReaders: [["groups that are no lists", () => core.hiddenReaders(bad([5])), "INVALID_ARGUMENT", /key groups must be a list of lists/]],
  otherReadersOf: [["no entry", () => core.otherReadersOf(bad(undefined)), "INVALID_ARGUMENT", /^the key entry must be an object, got undefined$/]],
  valuesLeftInClear: [
    ["no versions", () => core.valuesLeftInClear(undefined, { recipients: [] }, bad(undefined)), "INVALID_ARGUMENT", /versions must be an object/],
    ["an unknown format", () => core.valuesLeftInClear(undefined, { recipients: [] }, { before: { text: "", format: "yaml" }, after: { text: "a: 1", format: bad("xml") } }), "FORMAT_UNSUPPORTED"],
  ],
  valuesOutsideMac: [
    ["no file rule", () => core.valuesOutsideMac(bad(undefined), { recipients: [] }, { text: "a: 1", format: "yaml" }), "INVALID_ARGUMENT", /file's rule and MAC must be an object/],
    ["an unknown format", () => core.valuesOutsideMac({ rule: undefined, macOnlyEncrypted: true }, { recipients: [] }, { text: "a: 1", format: bad("xml") }), "FORMAT_UNSUPPORTED"],
  ],
  remakeUnderRuleAdvice: [["a file name that is no string", () => core.remakeUnderRuleAdvice(bad(5), true), "INVALID_ARGUMENT", /file name must be a string/]],
  weakerQuorum: [
    ["a fractional threshold", () => core.weakerQuorum([], 1.5, { recipients: [] }), "INVALID_ARGUMENT", /threshold must be a whole number/],
    ["policy groups that are no lists", () => core.weakerQuorum([], 0, { recipients: [], keyGroups: bad([5]) }), "INVALID_ARGUMENT", /policy's key groups must be a list of lists/],
  ],
  writePolicyOf: [["no rule", () => core.writePolicyOf(bad(undefined)), "INVALID_ARGUMENT", /^the creation rule must be an object, got undefined$/]],
  ruleText: [["a rule without a value", () => core.ruleText(bad({ kind: "encrypted_regex" })), "INVALID_ARGUMENT", /rule's value must be a string/]],
  ruleLeaf: [["no leaf", () => core.ruleLeaf(bad(undefined)), "INVALID_ARGUMENT", /^the leaf must be an object, got undefined$/]],
  decodeMetadata: [["a number", () => core.decodeMetadata(5), "METADATA_INVALID"]],
  encodeMetadata: [["an empty object", () => core.encodeMetadata(bad({})), "INVALID_ARGUMENT", /keyGroups/]],
  flattenMetadata: [["null", () => core.flattenMetadata(bad(null)), "INVALID_ARGUMENT"]],
  unflattenMetadata: [["a number value", () => core.unflattenMetadata(bad([["a", 5]])), "INVALID_ARGUMENT", /string pairs/]],
  compileRe2: [
    ["a bad expression", () => core.compileRe2("(", "path_regex"), "CONFIG_INVALID"],
    ["a number", () => core.compileRe2(bad(5), "path_regex"), "INVALID_ARGUMENT"],
  ],
  parseSopsConfig: [
    ["YAML that does not parse", () => core.parseSopsConfig("{{{"), "CONFIG_INVALID"],
    ["a number", () => core.parseSopsConfig(bad(5)), "INVALID_ARGUMENT"],
  ],
  findCreationRule: [["no config", () => core.findCreationRule(bad(undefined), "a.yaml"), "INVALID_ARGUMENT"]],
  resolveCreation: [["a number for the path", () => core.resolveCreation(undefined, bad(5)), "INVALID_ARGUMENT"]],
  configIndent: [["an unknown format", () => core.configIndent(undefined, bad("xml")), "FORMAT_UNSUPPORTED"]],
  loadSopsConfig: [["a number for the directory", () => core.loadSopsConfig(bad(5)), "INVALID_ARGUMENT"]],
  configRelativePath: [["a number for the path", () => core.configRelativePath(undefined, bad(5), "/"), "INVALID_ARGUMENT"]],
  convertPlaintext: [["an unknown target format", () => core.convertPlaintext("a: 1", "yaml", bad("xml"), undefined), "FORMAT_UNSUPPORTED"]],
  newerVersion: [["a number", () => core.newerVersion(bad(3)), "INVALID_ARGUMENT"]],
  editPlaintext: [
    ["an unknown format", () => core.editPlaintext("a: 1", bad("xml"), { kind: "unset", path: ["a"] }), "FORMAT_UNSUPPORTED"],
    ["a scalar without text", () => core.editPlaintext("a: 1", "yaml", { kind: "set", path: ["a"], value: bad({ kind: "scalar", value: { type: "str" } }) }), "INVALID_SET_VALUE", /^the value is a str scalar without a value\.text string$/],
    ["a map without entries", () => core.editPlaintext("a: 1", "yaml", { kind: "set", path: ["a"], value: bad({ kind: "map" }) }), "INVALID_SET_VALUE", /^the value is a map without an entries array$/],
    ["a list item of no kind", () => core.editPlaintext("a: 1", "yaml", { kind: "set", path: ["a"], value: bad({ kind: "list", items: [{ kind: "null" }, "x"] }) }), "INVALID_SET_VALUE", /^the value's \[1\] must be a value tree node/],
    ["an unknown scalar type", () => core.editPlaintext("a: 1", "yaml", { kind: "set", path: ["a"], value: bad({ kind: "scalar", value: { type: "blob", text: "x" } }) }), "INVALID_SET_VALUE", /value\.type is not str, int, float, bool or time/],
  ],
  plaintextEncoding: [["an unknown format", () => core.plaintextEncoding(bad("xml")), "FORMAT_UNSUPPORTED"]],
  encryptedTextFormat: [["an unknown format", () => core.encryptedTextFormat(bad("xml")), "FORMAT_UNSUPPORTED"]],
  exampleDocument: [["an unknown format", () => core.exampleDocument(bad("xml")), "FORMAT_UNSUPPORTED"]],
  registerKeyBackends: [["a string", () => core.registerKeyBackends(bad("age")), "INVALID_ARGUMENT"]],
  unregisterKeyBackend: [["a number", () => core.unregisterKeyBackend(bad(5)), "INVALID_ARGUMENT"]],
  keyBackend: [["a number", () => core.keyBackend(bad(5)), "INVALID_ARGUMENT"]],
  canUseKind: [["a number", () => core.canUseKind(bad(5)), "INVALID_ARGUMENT"]],
  unimplementedKeyBackend: [["a string", () => core.unimplementedKeyBackend(bad("x")), "INVALID_ARGUMENT"]],
  armorBody: [["a number for the text", () => core.armorBody(bad(5), "AGE ENCRYPTED FILE"), "INVALID_ARGUMENT"]],
  ageRecipientSpelling: [["a number", () => core.ageRecipientSpelling(bad(5)), "INVALID_ARGUMENT"]],
  scanYaml: [["a number", () => core.scanYaml(bad(5)), "INVALID_ARGUMENT"]],
  yamlBooleanWordValues: [["a Buffer for the plaintext", () => core.yamlBooleanWordValues(bad(Buffer.from("a: no")), "a: no"), "INVALID_ARGUMENT", /plaintext must be a string/]],
  scanJson: [["a number", () => core.scanJson(bad(5)), "INVALID_ARGUMENT"]],
  readForDecrypt: [["an unknown format", () => core.readForDecrypt("a: 1", bad("xml")), "FORMAT_UNSUPPORTED"]],
  streamForDecrypt: [
    ["an unknown format", () => core.streamForDecrypt("a: 1", bad("xml")), "FORMAT_UNSUPPORTED"],
    ["a text that is not a string", () => core.streamForDecrypt(bad(1), "yaml"), "INVALID_ARGUMENT"],
  ],
  readTree: [["an unknown format", () => core.readTree("a: 1", bad("xml")), "FORMAT_UNSUPPORTED"]],
  readWhole: [
    ["an unknown format", () => core.readWhole("a: 1", bad("xml")), "FORMAT_UNSUPPORTED"],
    ["a text that is not a string", () => core.readWhole(bad(1), "yaml"), "INVALID_ARGUMENT"],
  ],
  treeScanner: [
    ["an unknown format", () => core.treeScanner(bad("xml")), "FORMAT_UNSUPPORTED"],
    ["a text that is not a string", async () => (await core.treeScanner("yaml"))(bad(1)), "INVALID_ARGUMENT"],
  ],
  registration: [["an unknown format", () => core.registration(bad("xml")), "FORMAT_UNSUPPORTED"]],
  isWholeFileFormat: [["an unknown format", () => core.isWholeFileFormat(bad("xml")), "FORMAT_UNSUPPORTED"]],
  formatHasComments: [["an unknown format", () => core.formatHasComments(bad("xml")), "FORMAT_UNSUPPORTED"]],
  sniffFormats: [["a number for the text", () => core.sniffFormats(bad(5)), "INVALID_ARGUMENT"]],
  findProgramOnPath: [
    ["a name with a path", () => core.findProgramOnPath("../bin/gpg", { PATH: "/usr/bin" }), "INVALID_ARGUMENT", /plain file name/],
    ["an empty name", () => core.findProgramOnPath("", { PATH: "/usr/bin" }), "INVALID_ARGUMENT", /plain file name/],
  ],
  renderExtracted: [["a node that is no node", () => core.renderExtracted(bad("x"), "yaml", undefined), "INVALID_ARGUMENT"]],
  decryptFile: [
    ["a missing file", () => core.decryptFile(join(scratch, "missing.yaml"), { keySources: noKeys }), "FILE_NOT_FOUND", /no such file/],
    ["a directory", () => core.decryptFile(scratch, { keySources: noKeys, format: "yaml" }), "READ_FAILED", /directory/],
    ["no options", () => core.decryptFile(join(scratch, "a.yaml"), bad(undefined)), "INVALID_ARGUMENT", /options/],
    ["a Buffer for a file's path", () => core.decryptFile(bad(Buffer.from("a.yaml")), { keySources: noKeys }), "INVALID_ARGUMENT", /^the path must be a string, got a Buffer \(pass buffer\.toString\("utf8"\)\)$/],
    ["a file that is not UTF-8", () => core.decryptFile(join(scratch, "latin1.yaml"), { keySources: noKeys }), "NOT_UTF8", /^line 2: not valid UTF-8 \(pass format: "binary" for a binary file\)$/],
  ],
  verifyFile: [
    ["a number for the path", () => core.verifyFile(bad(5), { keySources: noKeys }), "INVALID_ARGUMENT", /path must be a string/],
    ["a file that is not UTF-8", () => core.verifyFile(join(scratch, "latin1.yaml"), { keySources: noKeys }), "NOT_UTF8", /line 2/],
  ],
  openFile: [
    ["a missing file", () => core.openFile(join(scratch, "missing.json"), { keySources: noKeys }), "FILE_NOT_FOUND"],
    ["a file that is not UTF-8", () => core.openFile(join(scratch, "latin1.yaml"), { keySources: noKeys }), "NOT_UTF8", /line 2/],
  ],
  encryptForPath: [
    ["a Buffer for the text", () => core.encryptForPath(bad(Buffer.from("a: 1")), "a.yaml", { keySources: noKeys, cwd: scratch }), "INVALID_ARGUMENT", /plaintext/],
    ["a number for the working directory", () => core.encryptForPath("a: 1", "a.yaml", { keySources: noKeys, cwd: bad(5) }), "INVALID_ARGUMENT", /^options\.cwd must be a string, got a number$/],
  ],
  SecretDocument: [
    ["open with no options", () => core.SecretDocument.open("a: 1", bad(undefined)), "INVALID_ARGUMENT", /^the options must be an object, got undefined$/],
    ["open with an unknown format", () => core.SecretDocument.open("a: 1", { format: bad("xml"), keySources: noKeys }), "FORMAT_UNSUPPORTED"],
    ["replacePlaintext with a number", async () => (await openedDocument()).replacePlaintext(bad(5)), "INVALID_ARGUMENT", /^the plaintext must be a string, got a number$/],
  ],
  firstVerified: [
    ["candidates that are not iterable", () => core.firstVerified(bad(null), () => true), "INVALID_ARGUMENT", /iterable/],
    ["no check function", () => core.firstVerified([1], bad(undefined)), "INVALID_ARGUMENT", /holdsIntended/],
  ],
  EncryptionDecider: [["create without a rule", () => core.EncryptionDecider.create(bad(undefined)), "INVALID_ARGUMENT"]],
  checkRuleGroups: [
    ["no source", () => core.checkRuleGroups([[{ kind: "age", recipient: "age1x" }]], 0, bad(undefined)), "INVALID_ARGUMENT", /source of the key groups/],
    ["a threshold of 1 from a rule", () => core.checkRuleGroups([[{ kind: "age", recipient: "age1x" }], [{ kind: "age", recipient: "age1y" }]], 1, { rule: 2, relativePath: "a.yaml" }), "CONFIG_INVALID", /^creation_rules\[2\] \(for a\.yaml\): shamir_threshold is 1/],
  ],
  leadsOutside: [["a number for the path", () => core.leadsOutside(bad(5)), "INVALID_ARGUMENT", /the relative path must be a string/]],
  globAsRegex: [["a number for the pattern", () => core.globAsRegex(bad(5)), "INVALID_ARGUMENT", /the pattern must be a string/]],
  firstInvalidUtf8Line: [["text for the bytes", () => core.firstInvalidUtf8Line(bad("a")), "INVALID_ARGUMENT", /the bytes/]],
  utf8Text: [["bytes that are not UTF-8 on line 3", () => core.utf8Text(Buffer.from("a\nb\n\xff", "latin1"), "next"), "NOT_UTF8", /^line 3: not valid UTF-8 \(next\)$/]],
  keyProgramEnvironment: [["null for the environment", () => core.keyProgramEnvironment(bad(null)), "INVALID_ARGUMENT", /the environment must be an object/]],
  userEnvironment: [["null for the environment", () => core.userEnvironment(bad(null)), "INVALID_ARGUMENT", /the environment must be an object/]],
  setForHushOnly: [
    ["a number for the name", () => core.setForHushOnly(bad(5), "x"), "INVALID_ARGUMENT", /the variable's name must be a string/],
    ["undefined for the value", () => core.setForHushOnly("HUSH_EDGE_TEST", bad(undefined)), "INVALID_ARGUMENT", /the variable's value must be a string/],
  ],
  readFileBounded: [
    ["a number for the path", () => core.readFileBounded(bad(5)), "INVALID_ARGUMENT", /path must be a string/],
    ["a device", () => core.readFileBounded("/dev/zero"), "READ_FAILED", /not a regular file/],
  ],
};

/**
 * Exports that take no input a caller can get wrong in a way that throws: no arguments, any
 * value by contract (isHushError, printable), or pure helpers over numbers and strings that
 * return a result for every input (Go's strconv emulations, name suggestions: closestName has
 * no suggestion for anything but text).
 */
const NOTHING_TO_CHECK = new Set([
  "HushError",
  // Any path: what cannot be read is simply not an executable file.
  "isExecutableFile",
  // No arguments: a directory for any state of the temporary directory.
  "keyProgramDirectory",
  // The signal plumbing of hush's own packages (signal-cleanup.ts): a callback they write, a
  // signal name Node gave them; isCleanupListener is false for anything it did not install.
  "onSignalCleanup",
  "endWithHush",
  "isCleanupListener",
  // No arguments: a deferral and the function that ends it.
  "deferSignalCleanups",
  // A reason or undefined for any pair of numbers.
  "shamirThresholdProblem",
  // The words for a byte limit: text for any value.
  "tooLargeMessage",
  "isHushError",
  "printable",
  "quoted",
  // A name as one word of a suggested command, built on printable.
  "shellQuote",
  "shellPath",
  "generateDataKey",
  "looksEncrypted",
  // Undefined for anything that is not an envelope's text.
  "envelopeFields",
  "masterKeyIdentity",
  "recipientOf",
  "goFormatFloatF",
  "goFormatFloatG",
  "goParseFloat",
  "goParseBool",
  "goAtoi",
  "closestName",
  // The registry's list and a key's identity for comparison (any entry has one).
  "keyBackends",
  "comparableIdentity",
  "comparableKeyId",
  "readerKeyId",
  // Pure helpers over paths, names and JSON text, called in loops by hush's own code.
  "samePath",
  "pathStartsWith",
  "recipientName",
  "safeJson",
  "showInvisible",
  // Appends to the array it is given, called in loops by hush's own code.
  "appendAll",
  "editDistance",
  "yamlMetadataIndent",
  "IvStash",
]);

describe("the public edge checks its inputs", () => {
  for (const [name, cases] of Object.entries(CASES)) {
    for (const [what, run, code, message] of cases) {
      it(`${name}: ${what} is HushError ${code}`, async () => {
        const err = await errorOf(run);
        expect(err).toBeInstanceOf(HushError);
        expect((err as HushError).code).toBe(code);
        if (message !== undefined) expect((err as HushError).message).toMatch(message);
      });
    }
  }

  it("closestName has no suggestion for anything but text, and never throws", () => {
    expect(core.closestName(bad(5), bad(5))).toBeUndefined();
    expect(core.closestName("decrypy", bad([5, null, "decrypt"]))).toBe("decrypt");
    expect(core.editDistance(bad(null), "null")).toBe(0);
  });

  it("covers every function exported by @hush/core and @hush/core/advanced", () => {
    const functions = Object.entries(core)
      .filter(([, value]) => typeof value === "function")
      .map(([name]) => name);
    const unchecked = functions.filter((name) => CASES[name] === undefined && !NOTHING_TO_CHECK.has(name));
    expect(unchecked).toEqual([]);
  });

  it("covers every function of the stable API (api.ts)", () => {
    const functions = Object.entries(api)
      .filter(([, value]) => typeof value === "function")
      .map(([name]) => name)
      .filter((name) => !["HushError", "isHushError", "printable"].includes(name));
    expect(functions.filter((name) => CASES[name] === undefined)).toEqual([]);
  });
});
