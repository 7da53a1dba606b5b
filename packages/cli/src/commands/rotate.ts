import { existsSync } from "node:fs";
import { HushError, encryptedTextFormat, parseFormat, printable, type KeySourceResolver, type MasterKeyRecipient } from "@hush/core";
import { loadConfig } from "../config.ts";
import { encodeOutput, inputFormat } from "../formats.ts";
import type { CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { errorForFile, report, runBatch } from "../rekey/batch.ts";
import { changeKeys, dedupeGroups, keyToRemove, recipientsOf, type KeyChange, type KeyToRemove } from "../rekey/key-groups.ts";
import { mapLimit, parseJobs } from "../rekey/pool.ts";
import { confirmUnvouched, unvouchedRecipients } from "../rekey/unvouched.ts";
import { acquireFileLock, lockWaitMs } from "../workflows/file-lock.ts";
import { emitOptionsFor, readSecretFile, writeSecretFile, type SecretFile } from "../rekey/secret-files.ts";
import { expandTargets, type Target } from "../rekey/targets.ts";
import { reencryptWithNewDataKey } from "../rekey/new-data-key.ts";
import { commentsNowEncrypted } from "../workflows/encrypted-comments.ts";
import { checkGroups, effectiveThreshold } from "../rekey/wrap.ts";
import { emitResult, keysFromFlags, parseIndent } from "./encrypt-options.ts";
import { outputStream } from "../output-stream.ts";
import { KEY_BACKENDS } from "../backends.ts";

export interface RotateFlags {
  inPlace?: boolean;
  output?: string;
  dryRun?: boolean;
  /** Do not ask before wrapping the new data key to a recipient that only the file names (it is still shown). */
  yes?: boolean;
  inputType?: string;
  /** SOPS's: only the file's own format (hush does not convert while rotating). */
  outputType?: string;
  /** SOPS's: the name that chooses the format, for a file whose own name gives none. */
  filenameOverride?: string;
  jobs?: string;
  config?: string;
  indent?: string;
  /** `--add-NAME`, `--rm-NAME` and the key backends' options (`addAge`, `awsProfile`, …; see key-flags.ts). */
  [keyFlag: string]: unknown;
}

/** `--add-*` keys (to the first group) and `--rm-*` keys (from every group), checked up front. */
export async function keyChangesFromFlags(flags: RotateFlags): Promise<{ add: MasterKeyRecipient[]; remove: KeyToRemove[] }> {
  // The SOPS_* variables name keys for new files; they must not leak into a rotation.
  const add = keysFromFlags(flags, {}, "add-");
  const remove = keysFromFlags(flags, {}, "rm-").map(keyToRemove);
  // Check the added keys before any file is touched (a typo should not fail twenty files one by one).
  for (const backend of KEY_BACKENDS) {
    const mine = add.filter((k) => k.kind === backend.kind);
    if (mine.length > 0) await backend.flags.validate?.(mine);
  }
  return { add, remove };
}

interface Rotated {
  readonly file: SecretFile;
  readonly text: string;
  readonly detail: string;
}

/** What rotating one file will do: its new groups and threshold, and the key changes. */
interface RotationPlan {
  readonly file: SecretFile;
  readonly groups: MasterKeyRecipient[][];
  readonly threshold: number;
  readonly change: KeyChange;
}

/** Opens nothing yet: reads the file and applies the key changes to its groups. */
async function planRotation(target: Target, changes: { add: MasterKeyRecipient[]; remove: KeyToRemove[] }, toWrite = false): Promise<RotationPlan> {
  if ((changes.add.length > 0 || changes.remove.length > 0) && !existsSync(target.rawPath ?? target.path)) {
    throw new HushError("REKEY_MISSING_FILE", `${target.display}: cannot change the keys of a file that does not exist`, { located: true });
  }
  const file = await readSecretFile(target, { toWrite });
  const change = changeKeys(recipientsOf(file.metadata.keyGroups), changes.add, changes.remove);
  const groups = dedupeGroups(change.groups);
  checkGroups(groups);
  return { file, groups, threshold: effectiveThreshold(file.metadata.shamirThreshold, groups.length), change };
}

/**
 * Rotates one file: opens it (MAC checked), draws a new data key, wraps it to every key of the
 * plan, re-encrypts every value with fresh IVs and checks that the result opens with the new key
 * before returning it.
 */
async function rotateOne(
  plan: RotationPlan,
  resolve: KeySourceResolver,
  indent: number | undefined,
  stores: { yamlIndent?: number; jsonIndent?: number } | undefined,
): Promise<Rotated> {
  const { file, change } = plan;
  const { text, encryptedComments } = await reencryptWithNewDataKey(file, plan.groups, plan.threshold, resolve, emitOptionsFor(file.format, indent, stores));
  const encryptedNow = commentsNowEncrypted(encryptedComments);
  const parts = ["new data key", ...change.added.map((k) => `+${k}`), ...change.removed.map((k) => `-${k}`), ...(encryptedNow === undefined ? [] : [encryptedNow])];
  return { file, text, detail: parts.join(", ") };
}

/**
 * Names of the removed keys that no rotated file had, so that a typo in `--rm-*` does not pass
 * unseen. Matched as the removal itself matches (the backend's rule), not by the text of a name.
 */
function unmatchedRemovals(remove: readonly KeyToRemove[], matched: ReadonlySet<KeyToRemove>): string[] {
  return remove.filter((rm) => !matched.has(rm)).map((rm) => `${rm.kind} ${rm.identity}`);
}

/**
 * SOPS's `--output-type` for rotate: hush writes each file in its own format, so another type is
 * refused with the way to convert, never ignored (SOPS would write the file in that format).
 * @throws HushError UNSUPPORTED_OPTION
 */
function refuseConversion(outputType: string | undefined, targets: readonly Target[]): void {
  if (outputType === undefined) return;
  const wanted = parseFormat(outputType);
  const other = targets.find((t) => t.format !== wanted);
  if (other === undefined) return;
  throw new HushError("UNSUPPORTED_OPTION", `--output-type ${wanted}: hush rotates ${other.display} in its own format${other.format === undefined ? "" : ` (${other.format})`} and does not convert it`, {
    located: true,
    hint: `rotate it without --output-type; to convert it, pipe hush decrypt --output-type ${wanted} into hush encrypt --input-type ${wanted}`,
  });
}

/**
 * `hush rotate PATH...`: a new data key for each file, every value re-encrypted, with keys added
 * (`--add-*`, to the first group) or removed (`--rm-*`, from every group). One file without
 * `-i` goes to stdout (or `--output`), as in SOPS; several files or directories are rewritten in
 * place with `-i`, `jobs` at a time; `--dry-run` does everything but write.
 */
export async function runRotate(io: CliIo, paths: readonly string[], flags: RotateFlags): Promise<number> {
  if (flags.inPlace === true && flags.output !== undefined) throw new HushError("CONFLICTING_OPTIONS", "--in-place and --output cannot be used together", { located: true });
  const jobs = parseJobs(flags.jobs);
  const indent = parseIndent(flags.indent);
  const changes = await keyChangesFromFlags(flags);
  const loaded = await loadConfig(io.cwd, flags.config ?? io.env["SOPS_CONFIG"]);
  const stores = loaded?.config.stores;
  const resolve = createKeySourceResolver(io.env, changes.add);
  // SOPS's --filename-override names the format the way the file's own name would.
  const inputType = flags.inputType ?? (flags.filenameOverride === undefined ? undefined : inputFormat(undefined, flags.filenameOverride));
  const targets = expandTargets(paths, io.cwd, inputType);
  refuseConversion(flags.outputType, targets);
  const single = paths.length === 1 && targets.length === 1 && targets[0]!.explicit;

  if (flags.inPlace !== true && flags.dryRun !== true) {
    if (!single) {
      throw new HushError(
        "CONFLICTING_OPTIONS",
        "rotating several files or a directory rewrites them in place: pass -i (or --dry-run to see what would change)",
        { located: true },
      );
    }
    const target = targets[0]!;
    // Refused before a key is asked for a data key whose result could not be written. The file
    // written is locked, as `encrypt --reuse` locks its output, before the input is read: with
    // `--output FILE FILE` a `hush set` finishing meanwhile would otherwise be undone.
    const lock = flags.output === undefined || outputStream(flags.output) !== undefined ? undefined : await acquireFileLock(flags.output, { waitMs: lockWaitMs(io.env) });
    try {
      let plan: RotationPlan;
      try {
        plan = await planRotation(target, changes);
      } catch (err) {
        throw errorForFile(target, err);
      }
      if (!(await confirmUnvouched(io, [await unvouchedRecipients(loaded, io.cwd, target, plan.groups, changes.add, plan.threshold)], flags.yes === true, "rotate"))) return 1;
      try {
        const r = await rotateOne(plan, resolve, indent, stores);
        await emitResult(io, flags, undefined, encodeOutput(r.text, encryptedTextFormat(r.file.format)), { plaintext: false });
      } catch (err) {
        throw errorForFile(target, err);
      }
      return 0;
    } finally {
      lock?.release();
    }
  }
  if (flags.output !== undefined && !single) throw new HushError("CONFLICTING_OPTIONS", "--output takes one file", { located: true });

  // Every file is read and its recipients shown before any is rotated; a file that cannot be
  // read fails in the batch below, alone.
  const plans = await mapLimit(targets, jobs, (target) => planRotation(target, changes, flags.dryRun !== true).then((plan) => ({ plan }), (error: unknown) => ({ error })));
  const found = await Promise.all(targets.flatMap((target, i) => {
    const p = plans[i]!;
    return "plan" in p ? [unvouchedRecipients(loaded, io.cwd, target, p.plan.groups, changes.add, p.plan.threshold)] : [];
  }));
  if (!(await confirmUnvouched(io, found, flags.yes === true || flags.dryRun === true, "rotate"))) return 1;
  const planOf = new Map(targets.map((target, i) => [target, plans[i]!]));
  const matched = new Set<KeyToRemove>();
  const outcomes = await runBatch(io, flags.dryRun === true ? "checking" : "rotating", targets, jobs, async (target) => {
    const p = planOf.get(target)!;
    if ("error" in p) throw p.error;
    const r = await rotateOne(p.plan, resolve, indent, stores);
    if (flags.dryRun !== true) await writeSecretFile(r.file, r.text, io.env);
    for (const rm of p.plan.change.matched) matched.add(rm);
    return { status: "done", detail: r.detail };
  });
  const only = outcomes[0]!;
  if (targets.length === 1 && only.status === "failed") throw errorForFile(only.target, only.error);
  const details = outcomes.flatMap((o) => (o.status === "done" ? [o.detail] : []));
  if (details.length > 0) for (const k of unmatchedRemovals(changes.remove, matched)) io.stderr.write(`hush: warning: no file had the key ${printable(k)} to remove\n`);
  return report(io, "rotate", outcomes, { done: flags.dryRun === true ? "would rotate" : "rotated", unchanged: "unchanged" });
}
