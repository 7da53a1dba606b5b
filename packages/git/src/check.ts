import {
  appendAll,
  decodeMetadata,
  effectiveRule,
  EncryptionDecider,
  formatFromPath,
  formatKeyPath,
  isHushError,
  looksEncrypted,
  openText,
  parseEnvelope,
  printable,
  ruleLeaf,
  shamirThresholdProblem,
  storeFor,
  type CreationRule,
  type EncryptionRule,
  type FileFormat,
  type FileMetadata,
  type KeySourceResolver,
  type Leaf,
  remakeUnderRuleAdvice,
} from "@hush/core";
import { detectFormat } from "./detect-format.ts";
import { ALLOW_MARKER, findLikelySecrets, isScannable } from "./leak-scan.ts";
import { hiddenTextProblems } from "./metadata-text.ts";
import { hasWrappedKeyArmor, recipientFindings, recipientFindingSeverity, type BaseRule } from "./recipient-check.ts";
import { hasConflictMarkers } from "./sequence-merge.ts";

/**
 * `hush check`: what can be verified about a file without keys (is it encrypted when a creation
 * rule covers it, is every value the rules encrypt an ENC string, is the metadata well formed)
 * and, with keys, its MAC. Problems name files, key paths and lines, never values.
 */

export type CheckCode =
  /** A creation rule covers the file but it has no sops metadata. */
  | "not-encrypted"
  /** A value the rules encrypt is stored in plaintext. */
  | "plaintext-value"
  /** An ENC[...] string is malformed. */
  | "malformed-value"
  /**
   * A value and a comment share an envelope's IV: the ciphertext was copied (a list item's
   * value decrypts in a comment of its list: same AAD, and the type label is not authenticated).
   */
  | "copied-ciphertext"
  /** The sops metadata is missing fields or malformed. */
  | "metadata-invalid"
  /** The file does not parse in its format. */
  | "parse-failed"
  /** Unresolved merge conflict markers. */
  | "conflict-markers"
  /** `--verify`: the MAC does not match. */
  | "mac-mismatch"
  /** `--verify`: no key opened the file, or a value failed to decrypt. */
  | "cannot-decrypt"
  /** Warning (`--verify-if-key`): no key opened the file, so its MAC was not checked. */
  | "not-verified"
  /**
   * Warning (error with `--strict`): a recipient the file's creation rule does not name. With
   * `--base`, an error when the branch added the entry and the base revision's rule does not name it.
   */
  | "unexpected-recipient"
  /** Warning (error with `--strict`): a recipient the creation rule names has no wrapped key in the file. */
  | "missing-recipient"
  /** Warning (error with `--strict`): same recipients as the creation rule, but other key groups or another threshold. */
  | "key-groups-differ"
  /** The file has both flat recipient lists and `key_groups` (SOPS reads only the flat lists; no tool writes both). */
  | "metadata-ambiguous"
  /** A `sops` field spelled like one SOPS reads (`AGE`, `Recipient`) but not the same: SOPS takes it for that field, hush does not. */
  | "metadata-lookalike-field"
  /** Warning (error with `--strict`): a `sops` field no tool reads. */
  | "unknown-metadata-field"
  /** Warning (error with `--strict`): a comment inside the sops metadata block, which no tool reads and no review shows. */
  | "metadata-comment"
  /** A covered encrypted file's `diff` or `merge` attribute is not hush's driver, though `hush git setup` set them up. */
  | "drivers-overridden"
  /** Warning (error with `--strict`): a recipient's wrapped data key cannot be one (wrong structure for its kind). */
  | "wrapped-key-invalid"
  /**
   * A recipient's wrapped data key also (or only) opens for a key the entry does not name: a
   * second age stanza or PGP session key, a stanza for another SSH key (no SOPS or hush writes one).
   */
  | "other-reader"
  /**
   * Warning (error with `--strict`): a comment the rules encrypt is in plaintext (SOPS accepts
   * these; a commented-out secret added by hand is one). An error where other readers would read
   * it into a value (an INI comment after a value), which decryption refuses.
   */
  | "plaintext-comment"
  /**
   * Warning (error with `--strict`), with `--base`: an older version of the file is back (an
   * earlier `lastmodified` than where the branch started, other key entries), and with it a data
   * key a recipient removed since may hold.
   */
  | "rolled-back"
  /**
   * With `--base`: a value's ciphertext from where the branch started, kept under another type
   * label, at another depth of lists or in another YAML document (no MAC covers those; see
   * retyped-values.ts).
   */
  | "retyped-value"
  /**
   * Warning (error with `--strict`), with `--base`: a `.sops.yaml`'s `destination_rules` (read
   * only by `sops publish`) are not the base revision's.
   */
  | "destination-rules-changed"
  /**
   * A `.sops.yaml` creation rule whose `path_regex` reads as a glob (`secrets/*.yaml`): it covers
   * none of the files checked, and as a glob it would cover some, so they are not checked as secrets.
   */
  | "rule-written-as-glob"
  /** An encrypted file that is not UTF-8 text: SOPS reads its bytes, hush refuses to open it. */
  | "not-utf8"
  /**
   * Warning (error with `--strict`): text outside the encrypted values that SOPS's reader refuses
   * or reads otherwise than hush (a YAML tab go-yaml refuses, `{a:, b}`, `"\/"`): hush encrypts
   * no such file, but reads one, and Flux or helm-secrets could not open it, or would read other keys.
   */
  | "sops-reads-otherwise"
  /**
   * A lock or temporary file of hush's, left beside a file by a write cut short (SIGKILL, a
   * crash): the temporary file of `decrypt -i` and `--output` holds the plaintext.
   */
  | "hush-leftover"
  /** Warning: the file is encrypted, but its rule left every value in plaintext. */
  | "nothing-encrypted"
  /**
   * Warning (error with `--strict`): the file's `mac_only_encrypted: true` leaves its values in
   * clear out of the MAC, where its creation rule does not (a file made under another rule).
   */
  | "mac-scope-differs"
  /** The file could not be read. */
  | "unreadable"
  /** Warning (error with `--strict`): a file no creation rule covers holds what looks like a secret. */
  | "likely-secret"
  /** The git config runs the drivers with a program that no longer exists (hush was moved or reinstalled). */
  | "driver-command-missing"
  /** Warning: the drivers are an older `hush git setup`'s, which pass file names without `--` before them. */
  | "driver-command-outdated";

export interface CheckProblem {
  readonly severity: "error" | "warning";
  readonly code: CheckCode;
  readonly message: string;
  readonly keyPath?: string;
  readonly line?: number;
}

export interface FileCheckInput {
  /** Path for messages and for the format (by extension). */
  readonly path: string;
  readonly text: string;
  /** The creation rule whose `path_regex` matches the file, when one does. */
  readonly creationRule?: CreationRule | undefined;
  /**
   * The rule a trusted revision's `.sops.yaml` has for the file (`hush check --base`), and where
   * it is: a value it encrypts must be encrypted too, and a recipient it does not name is reported
   * although this branch's rule names it. A branch can keep a rule's `path_regex` and change what
   * it encrypts (`unencrypted_regex: ^password$`), or whom it names, in one line of its own
   * `.sops.yaml`.
   */
  readonly baseRule?: BaseRule | undefined;
  /**
   * With key sources: decrypt and check the MAC too. With `ifKeyed`, a file no key opens gets a
   * `not-verified` warning instead of a `cannot-decrypt` error (pre-commit hooks of people
   * without every key).
   */
  readonly verify?: { readonly keySources: KeySourceResolver; readonly ifKeyed?: boolean };
  /** Recipient, unknown-field, plaintext-comment and likely-secret findings are errors rather than warnings. */
  readonly strict?: boolean;
}

export interface FileCheckResult {
  readonly path: string;
  readonly format: FileFormat | undefined;
  /** A creation rule covers this file. */
  readonly covered: boolean;
  /** The file has sops metadata. */
  readonly encrypted: boolean;
  readonly problems: readonly CheckProblem[];
}

function sameRule(a: EncryptionRule | undefined, b: EncryptionRule | undefined): boolean {
  return a?.kind === b?.kind && a?.value === b?.value;
}

function ruleText(rule: EncryptionRule | undefined): string {
  return rule === undefined ? "everything" : `${rule.kind}: ${rule.value}`;
}

function metadataProblems(m: FileMetadata): CheckProblem[] {
  const out: CheckProblem[] = [];
  const bad = (message: string): void => {
    out.push({ severity: "error", code: "metadata-invalid", message });
  };
  if (m.version === "") bad("the sops metadata has no version");
  if (m.mac === "") bad("the sops metadata has no MAC");
  else {
    try {
      const env = parseEnvelope(m.mac);
      if (env.type !== "str") bad("the MAC is not an ENC string of type str");
    } catch {
      bad("the MAC is not a well-formed ENC string");
    }
  }
  // Not covered by the MAC: a branch can set a threshold that locks every reader out.
  const unmeetable = shamirThresholdProblem(m.keyGroups.length, m.shamirThreshold);
  if (unmeetable !== undefined) bad(`${unmeetable}: no one can open the file`);
  m.keyGroups.forEach((group, gi) => {
    if (group.length === 0) bad(`key group ${gi} is empty`);
    group.forEach((entry, ei) => {
      if (!hasWrappedKeyArmor(entry)) bad(`the wrapped data key of ${entry.kind} key ${ei} in group ${gi} is malformed`);
    });
  });
  return out;
}

/** Findings for the parts of the metadata SOPS ignores: readers would never see an edit there. */
function unreadProblems(m: FileMetadata, strict: boolean): CheckProblem[] {
  const out: CheckProblem[] = [];
  if (m.unread === undefined) return out;
  if (m.unread.ignoredKeyGroups > 0) {
    out.push({
      severity: "error",
      code: "metadata-ambiguous",
      message: `the sops metadata has both flat recipient lists and key_groups (${m.unread.ignoredKeyGroups} group(s)); SOPS and hush read only the flat lists, and no tool writes both: remove the key_groups block by hand, or rewrite the file with \`hush rotate -i\` (it writes only what it reads)`,
    });
  }
  for (const field of m.unread.lookalikeFields) {
    out.push({
      severity: "error",
      code: "metadata-lookalike-field",
      message: `the sops metadata has ${printable(field.where)}, which SOPS reads as \`${field.reads}\` and hush does not, so SOPS would use other recipients or settings than the ones hush shows; no tool writes it: remove it by hand, or rewrite the file with \`hush rotate -i\``,
    });
  }
  for (const field of m.unread.unknownFields) {
    out.push({
      severity: strict ? "error" : "warning",
      code: "unknown-metadata-field",
      message: `the sops metadata has a field no tool reads: ${printable(field.name)} (SOPS ignores it and drops it on rewrite): remove it by hand unless you know why it is there, or rewrite the file with \`hush rotate -i\``,
    });
  }
  return out;
}

/** Checks one file. Never throws for content problems; they become problems in the result. */
export async function checkFile(input: FileCheckInput): Promise<FileCheckResult> {
  const covered = input.creationRule !== undefined;
  const problems: CheckProblem[] = [];
  const result = (format: FileFormat | undefined, encrypted: boolean): FileCheckResult => ({ path: input.path, format, covered, encrypted, problems });
  const text = input.text;
  if (hasConflictMarkers(text) && (covered || text.includes("ENC[AES256_GCM,"))) {
    problems.push({ severity: "error", code: "conflict-markers", message: "the file has unresolved merge conflict markers (run `hush git resolve` on it)" });
    return result(undefined, text.includes("ENC[AES256_GCM,"));
  }
  const hasEnvelopes = text.includes("ENC[AES256_GCM,");
  if (!covered && !hasEnvelopes) {
    // Not hush's file: only a likely secret in it is worth a word (parsed only for key paths).
    const secrets = isScannable(input.path, text.length) ? findLikelySecrets(input.path, text) : [];
    if (secrets.length > 0) appendAll(problems, await likelySecretProblems(input.path, text, secrets, input.strict === true));
    return result(undefined, false);
  }
  // Every leaf, from the store's whole parse (the span scanner where it gives exactly that): the
  // decrypt reader may leave out what decryption does not need, such as a plaintext comment added
  // by hand to a file that had none (no MAC covers comments). One read finds the format too.
  const detected = await detectFormat(input.path, text, { whole: true });
  if (detected !== undefined && !detected.encrypted && detected.parsed === undefined && (covered || hasEnvelopes)) {
    // An encrypted file with a syntax error is broken, not "not encrypted": say where and why. A
    // covered file with no ENC value is plaintext first: `hush edit` cannot open it.
    if (hasEnvelopes) problems.push(await parseProblem(detected.format, text));
    else {
      const { reason, line } = await parseReason(detected.format, text);
      problems.push({
        severity: "error",
        code: "not-encrypted",
        message: `a creation rule covers this file (path_regex ${JSON.stringify(input.creationRule?.pathRegex ?? "")}) but it is not encrypted, and it does not parse as ${formatName(detected.format)}${reason === undefined ? "" : ` (${reason})`}; next: fix that line, then encrypt the file with \`hush encrypt -i\` (the rule gives the keys)`,
        ...(line === undefined ? {} : { line }),
      });
    }
    return result(detected.format, hasEnvelopes);
  }
  if (detected === undefined || !detected.encrypted) {
    if (covered) {
      const rx = input.creationRule?.pathRegex ?? "";
      problems.push({
        severity: "error",
        code: "not-encrypted",
        message:
          `a creation rule covers this file (path_regex ${JSON.stringify(rx)}) but it is not encrypted` +
          (detected === undefined
            ? " (or not in a format hush reads); next: encrypt it whole with `hush encrypt -i --input-type binary`, or narrow the rule's path_regex"
            : "; next: encrypt it with `hush encrypt -i` (the rule gives the keys)"),
      });
    }
    return result(detected?.format, false);
  }
  const { format, parsed } = detected;
  const store = await storeFor(format);
  const rawMetadata = parsed?.metadata;
  if (parsed === undefined || rawMetadata === undefined) return result(format, false);
  let metadata: FileMetadata;
  try {
    metadata = decodeMetadata(rawMetadata);
  } catch (err) {
    problems.push({ severity: "error", code: "metadata-invalid", message: isHushError(err) ? err.message : "the sops metadata cannot be read" });
    return result(format, true);
  }
  appendAll(appendAll(problems, metadataProblems(metadata)), unreadProblems(metadata, input.strict === true));
  appendAll(problems, await hiddenTextProblems(text, format, parsed, input.strict === true));
  // Problems inside an envelope cannot be (envelopes are plain ASCII): each is in the text SOPS reads as it stands.
  for (const p of store.sopsReadingProblems?.(text) ?? []) {
    problems.push({ severity: input.strict === true ? "error" : "warning", code: "sops-reads-otherwise", message: `${p.message} (SOPS, and Flux or helm-secrets with it, would not read the file as hush does)`, line: p.line });
  }
  for (const f of recipientFindings(metadata, input.creationRule, input.baseRule)) problems.push({ severity: recipientFindingSeverity(f, input.strict === true), code: f.code, message: f.message });

  const fileRule = effectiveRule(format, metadata.rule);
  const policyRule = input.creationRule === undefined ? undefined : effectiveRule(format, input.creationRule.rule);
  const fileDecider = fileRule === undefined ? undefined : await EncryptionDecider.create(fileRule);
  const policyDecider = input.creationRule !== undefined && !sameRule(fileRule, policyRule) && policyRule !== undefined ? await EncryptionDecider.create(policyRule) : undefined;
  const baseRule = input.baseRule === undefined ? undefined : effectiveRule(format, input.baseRule.rule.rule);
  const baseDecider = baseRule !== undefined && !sameRule(fileRule, baseRule) && !sameRule(policyRule, baseRule) ? await EncryptionDecider.create(baseRule) : undefined;
  let encryptedValues = 0;
  let plainValues = 0;
  /**
   * The first envelope of each IV, and whether it is a comment. SOPS's edits give equal values of
   * one list (and equal comments of one collection) one IV: same AAD, same plaintext. A value's
   * IV in a comment, or a comment's in a value, no edit gives: that is a copy.
   */
  const firstOfIv = new Map<string, { line: number; comment: boolean }>();
  for (const leaf of parsed.leaves) {
    const rl = ruleLeaf(leaf);
    const byFile = fileDecider === undefined ? true : fileDecider.shouldEncrypt(rl);
    const byPolicy = policyDecider === undefined ? byFile : policyDecider.shouldEncrypt(rl);
    const byBase = baseDecider === undefined ? false : baseDecider.shouldEncrypt(rl);
    if (leaf.value === null || leaf.aliased === true) continue;
    const raw = leaf.value.text;
    const where = { keyPath: formatKeyPath(leaf.path), line: leaf.line };
    const at = `${leaf.kind === "comment" ? "comment in" : "value at"} ${where.keyPath} (line ${leaf.line})`;
    if (looksEncrypted(raw)) {
      try {
        const env = parseEnvelope(raw);
        if ((env.type === "comment") !== (leaf.kind === "comment")) throw new Error("wrong type");
        if (leaf.kind === "scalar" && leaf.value.type !== "str") throw new Error("not a string");
        if (leaf.kind === "scalar") encryptedValues++;
        const iv = env.iv.toString("base64");
        const first = firstOfIv.get(iv);
        if (first === undefined) firstOfIv.set(iv, { line: leaf.line, comment: leaf.kind === "comment" });
        else if (first.comment !== (leaf.kind === "comment")) {
          problems.push({ severity: "error", code: "copied-ciphertext", message: `${at}: the ciphertext of the ${first.comment ? "comment" : "value"} at line ${first.line} (one IV in both): it was copied without the key; restore the file from history`, ...where });
        }
      } catch {
        problems.push({ severity: "error", code: "malformed-value", message: `${at}: malformed ENC string`, ...where });
      }
      continue;
    }
    if (leaf.kind === "comment") {
      // SOPS accepts it, but no MAC covers comments: `# PASSWORD=…` added by hand is a secret in
      // clear. Where other readers would take it into a value (INI), decryption refuses it: so
      // does the gate.
      const readAsValue = byFile ? store.clearCommentProblem?.(text, leaf) : undefined;
      if (readAsValue !== undefined) problems.push({ severity: "error", code: "plaintext-comment", message: readAsValue, ...where });
      else if (byFile) problems.push({ severity: input.strict === true ? "error" : "warning", code: "plaintext-comment", message: `${at} is in plaintext, but the file's rule encrypts comments`, ...where });
      continue;
    }
    if (raw === "") continue;
    plainValues++;
    if (byFile) {
      problems.push({ severity: "error", code: "plaintext-value", message: `${at} is not encrypted, but the file's rule (${ruleText(fileRule)}) encrypts it`, ...where });
    } else if (byPolicy) {
      problems.push({ severity: "error", code: "plaintext-value", message: `${at} is not encrypted, but the creation rule (${ruleText(policyRule)}) encrypts it (the file was encrypted with ${ruleText(fileRule)})`, ...where });
    } else if (byBase) {
      problems.push({ severity: "error", code: "plaintext-value", message: `${at} is not encrypted, but the creation rule in ${input.baseRule!.where} (${ruleText(baseRule)}) encrypts it (the file was encrypted with ${ruleText(fileRule)})`, ...where });
    }
  }
  if (encryptedValues === 0 && plainValues > 0) {
    problems.push({ severity: "warning", code: "nothing-encrypted", message: `the file is encrypted but its rule (${ruleText(fileRule)}) left every value in plaintext` });
  }
  if (input.creationRule !== undefined && metadata.macOnlyEncrypted && !input.creationRule.macOnlyEncrypted && plainValues > 0) {
    // A file made under another rule (copied from a path whose rule sets it) keeps the flag, which
    // is bound to its MAC: no edit without the key adds it, so it came with the file.
    const remake = remakeUnderRuleAdvice(input.path, input.creationRule.keyGroups.some((g) => g.length > 0));
    problems.push({
      severity: input.strict === true ? "error" : "warning",
      code: "mac-scope-differs",
      message: `the file's mac_only_encrypted: true leaves its ${plainValues} value(s) in clear out of its MAC (anyone can change them unseen), where the creation rule for it (path_regex ${printable(JSON.stringify(input.creationRule.pathRegex))}) has the MAC cover them; make it again under the rule: ${remake}`,
    });
  }
  if (input.verify !== undefined && !problems.some((p) => p.severity === "error")) {
    try {
      await openText(text, { format, keySources: input.verify.keySources });
    } catch (err) {
      const message = isHushError(err) ? err.message : err instanceof Error ? err.message : String(err);
      if (input.verify.ifKeyed === true && isHushError(err, "NO_MATCHING_KEY")) {
        problems.push({ severity: "warning", code: "not-verified", message: "no key available here opens this file, so its MAC was not checked" });
        return result(format, true);
      }
      const code: CheckCode = isHushError(err, "MAC_MISMATCH") ? "mac-mismatch" : "cannot-decrypt";
      problems.push({ severity: "error", code, message });
    }
  }
  return result(format, true);
}

/** The store's own reason a text does not parse (line, column, plain words), as a `parse-failed` error. */
async function parseProblem(format: FileFormat, text: string): Promise<CheckProblem> {
  try {
    (await storeFor(format)).parse(text);
  } catch (err) {
    if (isHushError(err)) {
      const line = err.location?.line;
      // Text around a value changed without the key reads, but not as what the MAC covers: the
      // error says so, and how to get a trusted version back (an editor cannot open it either).
      const what = err.code === "VALUE_TAMPERED" ? err.message : `cannot parse the file as ${formatName(format)}: ${err.message}`;
      return { severity: "error", code: "parse-failed", message: `${what} (${err.hint ?? "fix it with `hush edit`, or resolve it in git"})`, ...(line === undefined ? {} : { line }) };
    }
  }
  return { severity: "error", code: "parse-failed", message: `cannot parse the file as ${formatName(format)}` };
}

/** The store's own words for why a text does not parse (with line and column), and the line, if it says. */
async function parseReason(format: FileFormat, text: string): Promise<{ reason?: string; line?: number }> {
  try {
    (await storeFor(format)).parse(text);
  } catch (err) {
    if (isHushError(err)) return { reason: err.message, ...(err.location?.line === undefined ? {} : { line: err.location.line }) };
  }
  return {};
}

function formatName(format: FileFormat): string {
  return format === "dotenv" ? "dotenv" : format.toUpperCase();
}

/** `likely-secret` findings, with the key path of each line when the file parses in a known format. */
async function likelySecretProblems(path: string, text: string, found: ReturnType<typeof findLikelySecrets>, strict: boolean): Promise<CheckProblem[]> {
  const format = formatFromPath(path);
  let scalars: Leaf[] = [];
  if (format !== undefined && format !== "binary") {
    try {
      scalars = (await storeFor(format)).parse(text).leaves.filter((l) => l.kind === "scalar");
    } catch {
      scalars = [];
    }
  }
  const shown = found.slice(0, MAX_SECRET_FINDINGS).map(({ line, kind }): CheckProblem => {
    // The nearest value at or above the line: a block scalar's text starts under its key.
    const leaf = scalars.findLast((l) => l.line <= line);
    const named = leaf === undefined ? undefined : formatKeyPath(leaf.path);
    // A key can be the secret (a map keyed by tokens): such a key path is not shown.
    const keyPath = named === undefined || findLikelySecrets(path, named).length > 0 ? undefined : named;
    return {
      severity: strict ? "error" : "warning",
      code: "likely-secret",
      message: `${keyPath ?? "this line"} looks like ${kind}, in plaintext in a file no creation rule covers: encrypt it (add a .sops.yaml rule, then \`hush encrypt -i\`), or end the line with \`# ${ALLOW_MARKER}\` if it is not a secret`,
      line,
      ...(keyPath === undefined ? {} : { keyPath }),
    };
  });
  if (found.length > shown.length) {
    const rest = found.slice(shown.length);
    shown.push({ severity: strict ? "error" : "warning", code: "likely-secret", message: `${rest.length} more line(s) look like secrets (lines ${rest.map((f) => f.line).slice(0, 20).join(", ")}${rest.length > 20 ? ", …" : ""})` });
  }
  return shown;
}

/** Likely-secret findings shown one by one per file; the rest are summed up in one more. */
const MAX_SECRET_FINDINGS = 10;

/** Whether a set of results passes (no errors; warnings allowed). */
export function checkPassed(results: readonly FileCheckResult[]): boolean {
  return results.every((r) => r.problems.every((p) => p.severity !== "error"));
}
