import { HushError, encryptedTextFormat, isHushError, printable, verifyText } from "@hush/core";
import { decodeInput, inputFormat, NOT_ENCRYPTED_NEXT_STEP } from "../formats.ts";
import { readAll, type CliIo } from "../io.ts";
import { createKeySourceResolver } from "../key-sources.ts";
import { errorForFile, report, runBatch } from "../rekey/batch.ts";
import { DEFAULT_READ_JOBS, parseJobs } from "../rekey/pool.ts";
import { notEncryptedOr, readTargetText } from "../rekey/secret-files.ts";
import { expandTargets, type Target } from "../rekey/targets.ts";

export interface VerifyFlags {
  inputType?: string;
  jobs?: string;
}

/**
 * `hush verify PATH...`: decrypts every file in one process (data key, every value, MAC) and
 * prints nothing secret, only `ok` or the reason per file. Files are opened `jobs` at a time and
 * share one set of key sources, so key-service round trips overlap instead of adding up: the
 * check a deploy or CI job runs over a whole repository. `-` verifies standard input (its format
 * from `--input-type`).
 */
export async function runVerify(io: CliIo, paths: readonly string[], flags: VerifyFlags): Promise<number> {
  const jobs = parseJobs(flags.jobs, DEFAULT_READ_JOBS);
  const resolve = createKeySourceResolver(io.env);
  const stdinCount = paths.filter((p) => p === "-").length;
  if (stdinCount > 1) throw new HushError("INVALID_ARGUMENT", "standard input (-) can be read only once", { located: true });
  const files = paths.filter((p) => p !== "-");
  let stdin: { target: Target; text: string } | undefined;
  if (stdinCount === 1) {
    if (flags.inputType === undefined) throw new HushError("CONFLICTING_OPTIONS", "verifying standard input (-) needs --input-type", { located: true });
    const format = inputFormat(flags.inputType, undefined);
    const text = decodeInput(await readAll(io.stdin), encryptedTextFormat(format), "stdin");
    stdin = { target: { display: "stdin", abs: "-", path: "-", format, explicit: true }, text };
  }
  const targets = [...(stdin === undefined ? [] : [stdin.target]), ...(files.length === 0 && stdin !== undefined ? [] : expandTargets(files, io.cwd, flags.inputType))];
  const outcomes = await runBatch(io, "verifying", targets, jobs, async (target) => {
    // One parse per file: verifyText reads the metadata itself.
    const { format, text } = target === stdin?.target ? { format: target.format!, text: stdin.text } : readTargetText(target);
    try {
      await verifyText(text, { format, keySources: resolve });
    } catch (err) {
      // A file named on its own that is not encrypted gets decrypt's next step.
      const named = target.explicit && isHushError(err, "METADATA_MISSING") && err.details === undefined ? err.withDetails([NOT_ENCRYPTED_NEXT_STEP]) : err;
      throw notEncryptedOr(target, text, named);
    }
    return { status: "done", detail: "" };
  });
  const only = outcomes[0]!;
  if (targets.length === 1 && only.status === "failed") throw errorForFile(only.target, only.error);
  const status = await report(io, "verify", outcomes, { done: "ok", unchanged: "unchanged" });
  // A CI job's `hush verify secrets/` over a directory that holds no encrypted file (a path
  // mistyped or moved, files renamed off their extensions) verified nothing, and passed.
  if (status === 0 && !outcomes.some((o) => o.status === "done")) {
    const named = paths.map((p) => printable(p, 4096)).join(", ");
    throw new HushError("NO_FILE", `no encrypted file found to verify in ${named}`, { details: ["next: name the encrypted files, or the directories that hold them (a file's format comes from its name, or from --input-type)"], located: true });
  }
  return status;
}
