import { HushError, encryptedTextFormat, printable, type EmitOptions, type FileMetadata, type KeyGroupRecipients, type KeySourceResolver, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import { loadConfig } from "../config.ts";
import { encodeOutput } from "../formats.ts";
import type { CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { errorForFile } from "../rekey/batch.ts";
import { dedupeGroups, recipientsOf } from "../rekey/key-groups.ts";
import { emitOptionsFor, readSecretFile, replaceMetadata, writeSecretFile, type SecretFile } from "../rekey/secret-files.ts";
import { newDataKeyReason, reencryptWithNewDataKey } from "../rekey/new-data-key.ts";
import { commentsNowEncrypted } from "../workflows/encrypted-comments.ts";
import { expandTargets } from "../rekey/targets.ts";
import { confirmUnvouched, unvouchedRecipients } from "../rekey/unvouched.ts";
import { effectiveThreshold, recoverDataKey, wrapForGroups } from "../rekey/wrap.ts";
import { emitResult, keysFromFlags, parseIndent, parseThreshold } from "./encrypt-options.ts";
import { usableKeyBackends } from "../backends.ts";
import { parseWholeNumberArgument } from "../whole-number-argument.ts";

/** `--age, --pgp or --kms`: the key flags, for messages. */
function keyFlagList(): string {
  const names = usableKeyBackends().map((b) => `--${b.flags.name}`);
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)!}`;
}

export interface GroupsFlags {
  file?: string;
  inPlace?: boolean;
  /** Do not ask before wrapping the data key to a recipient that only the file names (it is still shown). */
  yes?: boolean;
  inputType?: string;
  shamirSecretSharingThreshold?: string;
  config?: string;
  indent?: string;
  /** Keep the file's data key even when a recipient leaves (what SOPS does). */
  keepDataKey?: boolean;
  /** The new group's keys and the key backends' options (`age`, `awsProfile`, …; see key-flags.ts). */
  [keyFlag: string]: unknown;
}

/**
 * Re-wraps the file's data key (recovered from its metadata, checked against its MAC) to new
 * groups. Values, MAC and lastmodified stay; with several groups the key is split again, so
 * every group gets a fresh share. When a recipient leaves the file (in none of the new groups), or
 * fewer recipients together opened the old data key than the new groups ask, the file gets a new
 * data key instead, every value re-encrypted, unless `--keep-data-key`. Recipients that neither
 * `.sops.yaml` nor the command line names, and groups that let fewer of them open the key than
 * `.sops.yaml` asks, are shown and asked about first.
 */
async function regroup(
  io: CliIo,
  flags: GroupsFlags,
  next: (file: SecretFile) => { groups: KeyGroupRecipients; threshold: number },
  chosen: readonly MasterKeyRecipient[] = [],
): Promise<number> {
  if (flags.file === undefined) throw new HushError("NO_FILE", "no file given (-f/--file)", { located: true });
  const indent = parseIndent(flags.indent);
  const target = expandTargets([flags.file], io.cwd, flags.inputType)[0]!;
  try {
    const file = await readSecretFile(target, { toWrite: flags.inPlace === true });
    const { groups, threshold } = next(file);
    const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
    if (!(await confirmUnvouched(io, [await unvouchedRecipients(loaded, io.cwd, target, groups, chosen, effectiveThreshold(threshold, groups.length))], flags.yes === true, `groups`))) return 1;
    const resolve = createKeySourceResolver(io.env, chosen);
    const emit = emitOptionsFor(file.format, indent, loaded?.config.stores);
    const reencrypted =
      flags.keepDataKey !== true && newDataKeyReason(file.metadata, groups, effectiveThreshold(threshold, groups.length)) !== undefined
        ? await reencryptWithNewDataKey(file, groups, effectiveThreshold(threshold, groups.length), resolve, emit)
        : { text: await rewrapped(file, groups, threshold, resolve, emit), encryptedComments: [] };
    const { text } = reencrypted;
    const encryptedNow = commentsNowEncrypted(reencrypted.encryptedComments);
    if (encryptedNow !== undefined) io.stderr.write(`hush: note: ${printable(target.display, 4096)}: ${encryptedNow}\n`);
    if (flags.inPlace === true) await writeSecretFile(file, text, io.env);
    else await emitResult(io, {}, undefined, encodeOutput(text, encryptedTextFormat(file.format)), { plaintext: false });
  } catch (err) {
    throw errorForFile(target, err);
  }
  return 0;
}

/** The file with its data key re-wrapped to `groups`; values, MAC and lastmodified kept. */
async function rewrapped(file: SecretFile, groups: KeyGroupRecipients, threshold: number, resolve: KeySourceResolver, emit: EmitOptions): Promise<string> {
  const dataKey = await recoverDataKey(file.metadata, resolve);
  let keyGroups: MasterKeyEntry[][];
  try {
    keyGroups = await wrapForGroups(dataKey, groups, threshold, resolve);
  } finally {
    dataKey.fill(0);
  }
  const metadata: FileMetadata = { ...file.metadata, keyGroups, shamirThreshold: effectiveThreshold(threshold, groups.length) };
  return replaceMetadata(file, metadata, emit);
}

/** `hush groups add -f FILE --age … --pgp … --kms …`: appends one key group. */
export async function runGroupsAdd(io: CliIo, flags: GroupsFlags): Promise<number> {
  const group = keysFromFlags(flags, {});
  if (group.length === 0) throw new HushError("EMPTY_KEY_GROUP", `Could not generate data key: [empty key group provided] (give the new group's keys with ${keyFlagList()})`, { located: true });
  const override = parseThreshold(flags.shamirSecretSharingThreshold);
  return regroup(io, flags, (file) => {
    const groups = dedupeGroups([...recipientsOf(file.metadata.keyGroups), group]);
    return { groups, threshold: override ?? file.metadata.shamirThreshold };
  }, group);
}

/** `hush groups delete -f FILE INDEX`: removes key group INDEX (0-based). */
export async function runGroupsDelete(io: CliIo, index: string, flags: GroupsFlags): Promise<number> {
  const i = parseWholeNumberArgument(index, "the key group INDEX", 0, 255, "from 0 (the first group)");
  const override = parseThreshold(flags.shamirSecretSharingThreshold);
  return regroup(io, flags, (file) => {
    const current = recipientsOf(file.metadata.keyGroups);
    if (i >= current.length) {
      throw new HushError("KEY_GROUP_NOT_FOUND", `no key group ${index}: the file has groups 0 to ${current.length - 1}`, { located: true });
    }
    if (current.length === 1) throw new HushError("KEY_GROUP_NEEDED", "cannot delete the only key group", { located: true });
    const groups = current.filter((_, gi) => gi !== i);
    // As SOPS: deleting below the threshold would quietly lower what it takes to open the file.
    const threshold = override ?? (file.metadata.shamirThreshold === 0 ? current.length : file.metadata.shamirThreshold);
    if (threshold > groups.length) {
      throw new HushError(
        "KEY_GROUP_NEEDED",
        `cannot delete key group ${i}: ${groups.length} group(s) would be left, fewer than the shamir threshold ${threshold} (pass --shamir-secret-sharing-threshold to lower it)`,
        { located: true },
      );
    }
    return { groups, threshold };
  });
}
