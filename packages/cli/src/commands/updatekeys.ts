import { checkRuleGroups, HushError, isHushError, printable, type FileMetadata, type MasterKeyRecipient } from "@hush/core";
import { configRelativePath, creationRuleFor, loadConfig, type LoadedConfig } from "../config.ts";
import { writeOut, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { errorForFile, report, runBatch, type Outcome } from "../rekey/batch.ts";
import { dedupeGroups, diffGroups, formatDiff, hasChanges, resolvedByFile, summarizeDiff, type GroupDiff } from "../rekey/key-groups.ts";
import { mapLimit, parseJobs } from "../rekey/pool.ts";
import { confirm } from "../rekey/prompt.ts";
import { emitOptionsFor, NotEncrypted, readSecretFile, replaceMetadata, writeSecretFile, type SecretFile } from "../rekey/secret-files.ts";
import { expandTargets, type Target } from "../rekey/targets.ts";
import { newDataKeyReason, reencryptWithNewDataKey, type NewDataKeyReason } from "../rekey/new-data-key.ts";
import { commentsNowEncrypted } from "../workflows/encrypted-comments.ts";
import { checkGroups, effectiveThreshold, recoverDataKey, wrapForGroups } from "../rekey/wrap.ts";
import { parseIndent, parseThreshold } from "./encrypt-options.ts";

export interface UpdatekeysFlags {
  yes?: boolean;
  dryRun?: boolean;
  inputType?: string;
  shamirSecretSharingThreshold?: string;
  jobs?: string;
  config?: string;
  indent?: string;
  /** Keep the file's data key even when a recipient is removed (what SOPS does). */
  keepDataKey?: boolean;
}

/** What updatekeys will do to one file. */
interface Plan {
  readonly file: SecretFile;
  readonly groups: MasterKeyRecipient[][];
  readonly threshold: number;
  readonly diffs: GroupDiff[];
  readonly oldThreshold: number;
  /**
   * A recipient leaves the file (`"removed"`), an entry also opens for a key no entry names
   * (`"hidden"`), or fewer recipients together opened its data key than the new groups ask
   * (`"fewer"`): it gets a new data key, every value re-encrypted (unless --keep-data-key);
   * undefined: the data key stays.
   */
  readonly newDataKey: NewDataKeyReason | undefined;
}

/** The threshold a file effectively has: with several groups, 0 stored means all of them. */
function thresholdOf(m: FileMetadata): number {
  return m.keyGroups.length <= 1 ? 0 : m.shamirThreshold === 0 ? m.keyGroups.length : m.shamirThreshold;
}

async function plan(loaded: LoadedConfig, io: CliIo, target: Target, override: number | undefined, keepDataKey: boolean, toWrite: boolean): Promise<Plan | undefined> {
  const file = await readSecretFile(target, { toWrite });
  const rule = await creationRuleFor(loaded, target.abs, io.cwd);
  if (rule === undefined) throw new HushError("CONFIG_NOT_FOUND", "the config has no creation rules", { located: true });
  const groups = dedupeGroups(resolvedByFile(rule.keyGroups, file.metadata.keyGroups));
  checkGroups(groups);
  // SOPS 3.13 keeps the file's threshold and ignores a changed `shamir_threshold` in the config;
  // applying it is what a user editing the config expects. One that no set of the rule's groups
  // can meet is the config's mistake, refused as encrypt refuses it (not cut down to all groups).
  if (override === undefined && rule.shamirThreshold !== 0) {
    try {
      checkRuleGroups(groups, groups.length > 1 ? rule.shamirThreshold : 0, { rule: loaded.config.creationRules.indexOf(rule), relativePath: configRelativePath(loaded, target.abs, io.cwd) });
    } catch (err) {
      throw isHushError(err, "CONFIG_INVALID") ? err.withFile(loaded.path) : err;
    }
  }
  const requested = override ?? (rule.shamirThreshold !== 0 ? rule.shamirThreshold : file.metadata.shamirThreshold);
  const threshold = effectiveThreshold(requested, groups.length);
  const diffs = diffGroups(file.metadata.keyGroups, groups);
  const oldThreshold = thresholdOf(file.metadata);
  if (!hasChanges(diffs) && oldThreshold === threshold) return undefined;
  return { file, groups, threshold, diffs, oldThreshold, newDataKey: keepDataKey ? undefined : newDataKeyReason(file.metadata, groups, threshold) };
}

/** The line under a file's listed changes when a recipient leaves it. */
const NEW_KEY_NOTE = {
  removed: "new data key: a recipient is removed and may hold the old one, so every value is re-encrypted (--keep-data-key keeps it, as SOPS does)",
  fewer: "new data key: fewer recipients together opened the old one than the new key groups ask, and may hold it, so every value is re-encrypted (--keep-data-key keeps it, as SOPS does)",
  hidden: "new data key: an entry's wrapped key also opens for a key no entry names, whose holder has the old one, so every value is re-encrypted (--keep-data-key keeps it, as SOPS does)",
} as const satisfies Record<NewDataKeyReason, string>;

/**
 * `hush updatekeys PATH...`: re-wraps each file's data key to the keys its creation rule names
 * now. Values, MAC and lastmodified stay as they are; only the `sops` key entries change. When a
 * recipient is removed the file gets a new data key instead, every value re-encrypted (the
 * removed party may hold the old key), unless `--keep-data-key`. Shows the changes and asks once
 * (`--yes` skips the question); `--dry-run` does everything but write.
 */
export async function runUpdatekeys(io: CliIo, paths: readonly string[], flags: UpdatekeysFlags): Promise<number> {
  const jobs = parseJobs(flags.jobs);
  const override = parseThreshold(flags.shamirSecretSharingThreshold);
  const indent = parseIndent(flags.indent);
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  if (loaded?.config.listsCreationRules === true && loaded.config.creationRules.length === 0) {
    // `creation_rules: []`: SOPS reads a list none of whose rules matches any file.
    throw new HushError("CONFIG_NO_MATCH", `no matching creation rules found: the creation_rules of ${loaded.path} is an empty list; add a rule whose path_regex matches the files`, { located: true });
  }
  if (loaded === undefined || loaded.config.creationRules.length === 0) {
    throw new HushError(
      "CONFIG_NOT_FOUND",
      "updatekeys takes the keys from .sops.yaml creation rules, and no config with creation rules was found (searched from the working directory upwards; --config or SOPS_CONFIG names one)",
      { located: true },
    );
  }
  const targets = expandTargets(paths, io.cwd, flags.inputType);

  // 1. Read every file and work out the change, without touching any key.
  const planned = await mapLimit(targets, jobs, async (target): Promise<{ outcome?: Outcome; plan?: Plan }> => {
    try {
      const p = await plan(loaded, io, target, override, flags.keepDataKey === true, flags.dryRun !== true);
      return p === undefined ? { outcome: { target, status: "unchanged", detail: "" } } : { plan: p };
    } catch (err) {
      if (err instanceof NotEncrypted) return { outcome: err.quiet ? { target, status: "ignored" } : { target, status: "skipped", detail: err.message } };
      return { outcome: { target, status: "failed", error: err } };
    }
  });
  const plans = planned.flatMap((p) => (p.plan === undefined ? [] : [p.plan]));

  // 2. Show it, and ask.
  if (plans.length > 0) {
    const text = plans
      .map((p) => `${printable(p.file.target.display, 4096)}: ${flags.dryRun === true ? "would change" : "changes"} to the key groups:\n${formatDiff(p.diffs, { from: p.oldThreshold, to: p.threshold })}${p.newDataKey === undefined ? "" : `\n${NEW_KEY_NOTE[p.newDataKey]}`}`)
      .join("\n");
    await writeOut(io.stdout, `${text}\n`);
  }
  let proceed = plans.length > 0;
  if (proceed && flags.dryRun !== true && flags.yes !== true) {
    const answer = await confirm(io);
    if (typeof answer !== "boolean") {
      // A script without --yes must not read "nothing happened" as success.
      throw new HushError(
        "NO_ANSWER",
        `no answer to "Is this okay?" (${answer.why}): no file was changed (${plans.length} need new keys)`,
        { located: true, details: ["next: pass -y (--yes) to apply the changes without asking, or --dry-run to only see them"] },
      );
    }
    proceed = answer;
    if (!proceed) await writeOut(io.stdout, "No file was changed.\n");
  }

  // 3. Re-wrap and write, file by file.
  const applied = new Map<Target, Outcome>();
  if (proceed) {
    const resolve = createKeySourceResolver(io.env);
    const byTarget = new Map(plans.map((p) => [p.file.target, p]));
    const outcomes = await runBatch(io, flags.dryRun === true ? "checking" : "updating keys", [...byTarget.keys()], jobs, async (target) => {
      const p = byTarget.get(target)!;
      const { metadata } = p.file;
      const emit = emitOptionsFor(p.file.format, indent, loaded.config.stores);
      if (p.newDataKey !== undefined) {
        const { text, encryptedComments } = await reencryptWithNewDataKey(p.file, p.groups, p.threshold, resolve, emit);
        if (flags.dryRun !== true) await writeSecretFile(p.file, text, io.env);
        const encryptedNow = commentsNowEncrypted(encryptedComments);
        return { status: "done", detail: `${summarizeDiff(p.diffs)}, new data key${encryptedNow === undefined ? "" : `, ${encryptedNow}`}` };
      }
      const dataKey = await recoverDataKey(metadata, resolve);
      try {
        const keyGroups = await wrapForGroups(dataKey, p.groups, p.threshold, resolve);
        const text = await replaceMetadata(p.file, { ...metadata, keyGroups, shamirThreshold: p.threshold }, emit);
        if (flags.dryRun !== true) await writeSecretFile(p.file, text, io.env);
      } finally {
        dataKey.fill(0);
      }
      return { status: "done", detail: summarizeDiff(p.diffs) };
    });
    for (const o of outcomes) applied.set(o.target, o);
  } else {
    // Declined: the planned files stay as they are.
    for (const p of plans) applied.set(p.file.target, { target: p.file.target, status: "declined" });
  }
  const all = targets.map((t, i) => planned[i]!.outcome ?? applied.get(t)!);
  const only = all[0]!;
  if (targets.length === 1 && only.status === "failed") throw errorForFile(only.target, only.error);
  return report(io, "updatekeys", all, { done: flags.dryRun === true ? "would update" : "updated", unchanged: "up to date" });
}
