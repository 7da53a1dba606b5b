import { resolve } from "node:path";
import {
  HushError,
  hiddenReaders,
  isHushError,
  printable,
  remakeUnderRuleAdvice,
  ruleText,
  shellPath,
  unvouchedReaders,
  valuesLeftInClear,
  valuesOutsideMac,
  weakerQuorum,
  writePolicyOf,
  type FileMetadata,
  type KeyGroupRecipients,
  type MasterKeyRecipient,
  type PlainVersions,
  type WritePolicy,
} from "@hush/core";
import { creationRuleFor, loadConfig, type LoadedConfig } from "../config.ts";
import type { CliIo } from "../io.ts";
import { confirm } from "./prompt.ts";

/**
 * Recipients that only a file names. A file's `sops` metadata is not covered by its MAC: a
 * branch, pull request or clone can add a recipient entry without any key, and a key holder's
 * `rotate` or `groups add` would then wrap the new data key to it. Worse, anyone can make a whole
 * file (age and PGP recipients are public) that opens for its victim and holds a data key of the
 * maker's: whatever the victim then writes into it (`set`, `edit`, `encrypt --reuse`) the maker
 * reads. `.sops.yaml`'s creation rule (reviewed as plain text) and the command line are what the
 * user vouches for; any other recipient is shown and asked about before anything is written.
 */

/** A file as the user named it: shown as `display`, matched against creation rules as `abs`. */
export interface NamedFile {
  readonly display: string;
  readonly abs: string;
}

/** One file's recipients that neither its creation rule nor the command line names. */
export interface Unvouched {
  readonly target: NamedFile;
  /** `group 0: age age1…`, escaped for the terminal. */
  readonly recipients: readonly string[];
  /**
   * Recipients the rule names whose agreement the groups and threshold take for enough where the
   * rule's groups and `shamir_threshold` ask for more (core's `weakerQuorum`), or undefined.
   */
  readonly quorum?: string | undefined;
  /** The creation rule for the file names no key: a command that takes keys from it needs them as flags. */
  readonly ruleNamesNoKeys?: boolean;
}

/**
 * What the creation rule for `target` vouches for (core's `WritePolicy`); undefined when no rule
 * covers the file: then nothing vouches for other recipients or another rule.
 */
async function policyFor(loaded: LoadedConfig | undefined, cwd: string, target: NamedFile): Promise<WritePolicy | undefined> {
  try {
    const rule = await creationRuleFor(loaded, target.abs, cwd);
    return rule === undefined ? undefined : writePolicyOf(rule);
  } catch (err) {
    if (!isHushError(err, "CONFIG_NO_MATCH")) throw err;
    return undefined;
  }
}

/**
 * The recipients of `groups` (what the data key is about to be wrapped to) that the creation
 * rule for `target` does not name and `given` (keys from the command line) does not hold. Empty
 * when no rule covering the file names recipients: then there is nothing to compare with. With
 * `threshold` (the groups' `shamir_threshold`), also whether fewer of the rule's recipients
 * than it asks for can open the data key.
 */
export async function unvouchedRecipients(
  loaded: LoadedConfig | undefined,
  cwd: string,
  target: NamedFile,
  groups: KeyGroupRecipients,
  given: readonly MasterKeyRecipient[],
  threshold: number,
): Promise<Unvouched> {
  const policy = await policyFor(loaded, cwd, target);
  if (policy === undefined) return { target, recipients: [] };
  return { target, recipients: unvouchedReaders(groups, policy, given), quorum: weakerQuorum(groups, threshold, policy) };
}

/** What a write would give away, each with its one-line reason ({@link LEAD}) and its way out. */
export type Exposure =
  | "new data key"
  | "written values"
  | "written values to hidden readers"
  | "values in clear"
  | "values outside the MAC"
  | "new data key to fewer"
  | "written values to fewer";

const LEAD: Record<Exposure, string> = {
  "new data key": "the new data key would also go to recipients that .sops.yaml does not name for this file",
  "written values": "what you write would also be readable by recipients that .sops.yaml does not name for this file",
  "written values to hidden readers": "what you write would also be readable by a key that no entry of the file names: the wrapped data key of these entries opens for it too",
  "values in clear": "the file's own encryption rule would write these in clear, where .sops.yaml's rule for this file encrypts them",
  "values outside the MAC": "the file's own mac_only_encrypted: true would leave these values in clear out of its MAC (anyone could change them unseen), where .sops.yaml's rule for this file has the MAC cover them",
  "new data key to fewer": "the new data key would open for fewer recipients together than .sops.yaml's key groups and shamir_threshold ask for this file",
  "written values to fewer": "what you write would be readable by fewer recipients together than .sops.yaml's key groups and shamir_threshold ask for this file",
};

/** One thing a write asks about: what it would give away, in which file, and the lines that show it. */
export interface WriteFinding {
  readonly target: NamedFile;
  readonly exposure: Exposure;
  /** Recipients (`group 0: age age1…`) or values, escaped for the terminal; a finding without lines is no finding. */
  readonly lines: readonly string[];
  /** The creation rule for the file names no key: a command that takes keys from it needs them as flags. */
  readonly ruleNamesNoKeys?: boolean;
}

function nextStep(exposure: Exposure, findings: readonly WriteFinding[]): string {
  const check = "next: check who these recipients are (a branch or clone can add one to a file without any key), then";
  const names = [...new Set(findings.map((f) => shellPath(f.target.display, 4096)))].join(" ");
  if (exposure === "values in clear") return "next: check why the file's rule is not .sops.yaml's (a branch or clone can change it without any key), or pass --yes to write them in clear";
  if (exposure === "values outside the MAC") {
    const remake = remakeUnderRuleAdvice(findings[0]?.target.display ?? "FILE", findings[0]?.ruleNamesNoKeys !== true);
    return `next: check where the file came from (a file made under another rule keeps its mac_only_encrypted), re-encrypt it under .sops.yaml's rule (${remake}), or pass --yes to write anyway`;
  }
  if (exposure === "written values to hidden readers") {
    return `next: check who wrote the file (whoever did holds its data key), give it a new data key wrapped once for each recipient listed with \`hush rotate -i ${names}\`, or pass --yes to write anyway`;
  }
  if (exposure === "new data key to fewer" || exposure === "written values to fewer") {
    return `next: check where the file's key groups and shamir_threshold came from (a branch or clone can bring in a file made under another rule), then give it .sops.yaml's with \`hush updatekeys ${names}\`, or pass --yes to go on`;
  }
  if (exposure === "new data key") return `${check} remove one with \`hush rotate --rm-age/--rm-pgp/--rm-kms …\`, name it in .sops.yaml if it belongs there, or pass --yes to keep it`;
  return `${check} give the file a new data key for the keys .sops.yaml names with \`hush updatekeys ${names}\`, name the recipient in .sops.yaml if it belongs there, or pass --yes to write anyway`;
}

/**
 * Shows every finding on stderr, each under its one-line reason, and asks once whether to go on:
 * a write that finds several things (other readers, hidden readers, fewer who must agree, values
 * in clear or outside the MAC) is one question, so a script pipes one answer. `yes` skips the
 * question, not the listing. True to go on or when there is nothing to ask; false when the user
 * answered no. No answer (input ended: a script without `--yes`) is an error naming the way out
 * of each finding, so that nothing is written and the run does not pass for a success.
 */
async function askOnce(io: CliIo, findings: readonly WriteFinding[], yes: boolean, command: string): Promise<boolean> {
  const listed = findings.filter((f) => f.lines.length > 0);
  if (listed.length === 0) return true;
  const text = listed.map((f) => `hush: ${printable(f.target.display, 4096)}: ${LEAD[f.exposure]}:\n${f.lines.map((l) => `    ${l}\n`).join("")}`).join("");
  io.stderr.write(text);
  if (yes) return true;
  // stdout may be the re-encrypted file itself: the question goes with the listing.
  const answer = await confirm({ ...io, stdout: io.stderr });
  if (typeof answer !== "boolean") {
    const exposures = [...new Set(listed.map((f) => f.exposure))];
    const details = exposures.map((exposure) => nextStep(exposure, listed.filter((f) => f.exposure === exposure)));
    throw new HushError("NO_ANSWER", `${command}: no answer to "Is this okay?" (${answer.why}): no file was changed`, { located: true, details });
  }
  return answer;
}

/** A file's unvouched recipients and weaker quorum as the findings of a write that gives out `what`. */
function findingsOf(found: Unvouched, what: "new data key" | "written values"): WriteFinding[] {
  const quorum: Exposure = what === "new data key" ? "new data key to fewer" : "written values to fewer";
  return [
    { target: found.target, exposure: what, lines: found.recipients },
    ...(found.quorum === undefined ? [] : [{ target: found.target, exposure: quorum, lines: [found.quorum] }]),
  ];
}

/**
 * Before a new data key is wrapped (`rotate`, `groups`): {@link askOnce} about the recipients that
 * neither the creation rules nor the command line name, and the groups that let fewer of them
 * open it than the rule asks. False, after a line saying nothing changed, when the user answered no.
 */
export async function confirmUnvouched(io: CliIo, found: readonly Unvouched[], yes: boolean, command: string): Promise<boolean> {
  const findings = found.flatMap((u) => findingsOf(u, "new data key"));
  // Listed file by file: each file's recipients, then the quorums.
  const ordered = [...findings.filter((f) => f.exposure === "new data key"), ...findings.filter((f) => f.exposure !== "new data key")];
  const answer = await askOnce(io, ordered, yes, command);
  if (!answer) io.stderr.write("No file was changed.\n");
  return answer;
}

/** The `.sops.yaml` each run (its `io`) found, by the `--config` it was given. */
const configsByRun = new WeakMap<CliIo, Map<string, Promise<LoadedConfig | undefined>>>();

/**
 * `.sops.yaml` as this run read it: a write's two questions (readers, values in clear) ask the
 * same config, found and parsed once, not once per question.
 */
function configOfRun(io: CliIo, config: string | undefined): Promise<LoadedConfig | undefined> {
  const explicit = config ?? io.env["SOPS_CONFIG"];
  let byName = configsByRun.get(io);
  if (byName === undefined) configsByRun.set(io, (byName = new Map()));
  const key = JSON.stringify(explicit ?? null);
  let loaded = byName.get(key);
  if (loaded === undefined) byName.set(key, (loaded = loadConfig(io.cwd, explicit)));
  return loaded;
}

/**
 * Before new values go into an existing file under its data key (`set`, `edit`,
 * `encrypt --reuse`, `git resolve`): the file's recipients that the creation rule for `name`
 * (where the result is written) does not name, the keys no entry names that open its data key,
 * and any set of its recipients that opens it with fewer than the rule's groups and threshold ask.
 * For {@link confirmWrite}.
 */
export async function writeReaderFindings(io: CliIo, name: string, metadata: FileMetadata, options: { config?: string }): Promise<WriteFinding[]> {
  const loaded = await configOfRun(io, options.config);
  const target: NamedFile = { display: name, abs: resolve(io.cwd, name) };
  const found = loaded === undefined ? { target, recipients: [] } : await unvouchedRecipients(loaded, io.cwd, target, metadata.keyGroups, [], metadata.shamirThreshold);
  const [readers, ...fewer] = findingsOf(found, "written values");
  // Found with or without a rule: the entries' own labels, not .sops.yaml, are what hides the key.
  return [readers!, { target, exposure: "written values to hidden readers", lines: hiddenReaders(metadata.keyGroups) }, ...fewer];
}

/**
 * Before a changed plaintext is written under the file's own encryption rule (`set`, `edit`,
 * `encrypt --reuse`, `git resolve`): the values it would leave in clear that the creation rule for
 * `name` (where the result is written) encrypts, with both rules; then the values in clear the
 * file's `mac_only_encrypted` would leave out of the MAC where the rule's does not. For
 * {@link confirmWrite}.
 */
export async function clearWriteFindings(io: CliIo, name: string, metadata: FileMetadata, versions: PlainVersions, options: { config?: string }): Promise<WriteFinding[]> {
  const loaded = await configOfRun(io, options.config);
  if (loaded === undefined) return [];
  const target: NamedFile = { display: name, abs: resolve(io.cwd, name) };
  const policy = await policyFor(loaded, io.cwd, target);
  if (policy === undefined) return [];
  const findings: WriteFinding[] = [];
  const found = await valuesLeftInClear(metadata.rule, policy, versions);
  if (found !== undefined && found.values.length > 0) {
    findings.push({ target, exposure: "values in clear", lines: [`(the file: ${ruleText(found.rules.file)}; .sops.yaml: ${ruleText(found.rules.policy)})`, ...found.values] });
  }
  const outsideMac = await valuesOutsideMac(metadata, policy, versions.after);
  if (outsideMac !== undefined && outsideMac.length > 0) {
    const lines = ["(the file: mac_only_encrypted: true; .sops.yaml: false)", ...outsideMac];
    findings.push({ target, exposure: "values outside the MAC", lines, ruleNamesNoKeys: policy.recipients.length === 0 });
  }
  return findings;
}

/**
 * Lists every finding of a write to `name` and asks one question about them all (see
 * {@link askOnce}). Findings whose exposures are all in `agreed` (a session that asked already:
 * `edit` reopening its editor) are listed, not asked again. Returns the exposures now agreed to,
 * for such a caller to pass back. An answer of no is a `CANCELED` error, so that nothing is written.
 */
export async function confirmWrite(
  io: CliIo,
  name: string,
  findings: readonly WriteFinding[],
  options: { yes?: boolean; command: string; agreed?: readonly Exposure[] },
): Promise<Exposure[]> {
  const listed = findings.filter((f) => f.lines.length > 0);
  const agreedBefore = listed.every((f) => options.agreed?.includes(f.exposure) === true);
  if (!(await askOnce(io, listed, options.yes === true || agreedBefore, options.command))) throw canceled(name);
  return [...new Set([...(options.agreed ?? []), ...listed.map((f) => f.exposure)])];
}

function canceled(name: string): HushError {
  return new HushError("CANCELED", `${printable(name, 4096)} was not changed`, { located: true });
}
