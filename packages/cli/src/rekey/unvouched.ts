import { comparableKeyId, HushError, isHushError, masterKeyIdentity, printable, type KeyGroupRecipients, type MasterKeyRecipient } from "@hush/core";
import { creationRuleFor, type LoadedConfig } from "../config.ts";
import type { CliIo } from "../io.ts";
import { confirm } from "./prompt.ts";
import type { Target } from "./targets.ts";

/**
 * Recipients that only a file names. A file's `sops` metadata is not covered by its MAC: a
 * branch, pull request or clone can add a recipient entry without any key, and a key holder's
 * `rotate` or `groups add` would then wrap the new data key to it. `.sops.yaml`'s creation rule
 * (reviewed as plain text) and the command line are what the user vouches for; any other
 * recipient is shown and asked about before anything is written.
 */

/** One file's recipients that neither its creation rule nor the command line names. */
export interface Unvouched {
  readonly target: Target;
  /** `group 0: age age1…`, escaped for the terminal. */
  readonly recipients: readonly string[];
}

const idOf = comparableKeyId;

/**
 * The recipients of `groups` (what the data key is about to be wrapped to) that the creation
 * rule for `target` does not name and `given` (keys from the command line) does not hold. Empty
 * when no rule covering the file names recipients: then there is nothing to compare with.
 */
export async function unvouchedRecipients(
  loaded: LoadedConfig | undefined,
  cwd: string,
  target: Target,
  groups: KeyGroupRecipients,
  given: readonly MasterKeyRecipient[],
): Promise<Unvouched> {
  let ruleKeys: readonly MasterKeyRecipient[] = [];
  try {
    ruleKeys = (await creationRuleFor(loaded, target.abs, cwd))?.keyGroups.flat() ?? [];
  } catch (err) {
    // No rule matches this file: nothing vouches for its recipients, nothing to compare with.
    if (!isHushError(err, "CONFIG_NO_MATCH")) throw err;
  }
  if (ruleKeys.length === 0) return { target, recipients: [] };
  const named = new Set([...ruleKeys, ...given].map(idOf));
  const recipients = groups.flatMap((group, gi) => group.filter((k) => !named.has(idOf(k))).map((k) => `group ${gi}: ${printable(k.kind, 20)} ${printable(masterKeyIdentity(k), 4096)}`));
  return { target, recipients };
}

/**
 * Shows every file's unvouched recipients on stderr and asks once whether to go on (`yes`
 * skips the question, not the listing). True to go on; false when the user answered no (a line
 * on stderr says nothing changed). No answer (input ended: a script without `--yes`) is an
 * error, so that nothing is written and the run does not pass for a success.
 */
export async function confirmUnvouched(io: CliIo, found: readonly Unvouched[], yes: boolean, command: string): Promise<boolean> {
  const listed = found.filter((u) => u.recipients.length > 0);
  if (listed.length === 0) return true;
  const text = listed
    .map((u) => `hush: ${printable(u.target.display, 4096)}: the new data key would also go to recipients that .sops.yaml does not name for this file:\n${u.recipients.map((r) => `    ${r}\n`).join("")}`)
    .join("");
  io.stderr.write(text);
  if (yes) return true;
  // stdout may be the re-encrypted file itself: the question goes with the listing.
  const answer = await confirm({ ...io, stdout: io.stderr });
  if (answer === undefined) {
    throw new HushError("NO_ANSWER", `${command}: no answer to "Is this okay?" (input ended): no file was changed`, {
      located: true,
      details: [
        "next: check who these recipients are (a branch or clone can add one to a file without any key), then remove one with `hush rotate --rm-age/--rm-pgp/--rm-kms …`, name it in .sops.yaml if it belongs there, or pass --yes to keep it",
      ],
    });
  }
  if (!answer) io.stderr.write("No file was changed.\n");
  return answer;
}
