import { randomBytes } from "node:crypto";
import { checkBytes, checkInteger, describeKind, invalidArgument, isArray } from "../arguments.ts";
import { HushError, isHushError, printable, type ErrorCode } from "../errors.ts";
import type { KeySource, MasterKeyEntry, MasterKeyRecipient } from "../key-source.ts";
import { canUseKind, keyBackend, masterKeyIdentity } from "../keys/registry.ts";
import { combineShares, splitSecret } from "./shamir.ts";
import { keyGroupLimitProblem, shamirThresholdProblem } from "../metadata/limits.ts";

/** A file's data key: 32 random bytes (spec 4). */
export function generateDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

/** Finds the key source for a kind; undefined when there is none. Loaded lazily. */
export type KeySourceResolver = (kind: string) => Promise<KeySource | undefined>;

export type KeyGroupRecipients = ReadonlyArray<readonly MasterKeyRecipient[]>;

/**
 * Wraps the data key for every group: with one group each key wraps the whole key; with
 * several, the key is split with Shamir and group i's keys wrap share i. Wrapping runs
 * concurrently (KMS round trips dominate otherwise).
 */
export async function wrapDataKey(
  dataKey: Uint8Array,
  groups: KeyGroupRecipients,
  threshold: number,
  resolve: KeySourceResolver,
): Promise<MasterKeyEntry[][]> {
  checkBytes(dataKey, "the data key", 32);
  if (!isArray(groups) || groups.some((g) => !isArray(g))) throw invalidArgument("the key groups must be an array of arrays of recipients");
  checkInteger(threshold, "the shamir threshold", 0, 255);
  if (typeof resolve !== "function") throw invalidArgument("the key sources must be a function from a key kind to a key source");
  if (groups.length === 0) throw new HushError("EMPTY_KEY_GROUP", "no key groups provided");
  if (groups.some((g) => g.length === 0)) throw new HushError("EMPTY_KEY_GROUP", "empty key group provided");
  // Never write a file that hush would refuse to read.
  const tooMany = keyGroupLimitProblem(groups.map((g) => g.length));
  if (tooMany !== undefined) throw new HushError("INVALID_ARGUMENT", `too many keys: ${tooMany}`);
  const unmeetable = shamirThresholdProblem(groups.length, threshold);
  if (unmeetable !== undefined) {
    const allowed = groups.length === 2 ? "2" : `from 2 to ${groups.length}`;
    throw new HushError("INVALID_ARGUMENT", unmeetable, { hint: `use a shamir_threshold ${allowed}, or 0 for all groups` });
  }
  // Every recipient checked before any key service is asked: a malformed one is the caller's.
  const identities = groups.map((group, gi) => group.map((recipient, ki) => recipientIdentity(recipient, gi, ki)));
  const secrets =
    groups.length === 1 ? [dataKey] : splitSecret(dataKey, groups.length, threshold === 0 ? groups.length : threshold);
  try {
    return await Promise.all(
      groups.map((group, gi) =>
        Promise.all(
          group.map(async (recipient, ki) => {
            // One line that names the key to fix among many: "group 1: age key age1…: why".
            const where = `group ${gi}: ${recipient.kind} key ${printable(identities[gi]![ki]!)}`;
            const source = await resolve(recipient.kind);
            if (source === undefined) throw new HushError("KEY_WRAP_FAILED", `${where}: no key source for ${recipient.kind} keys`);
            try {
              return await source.wrap(secrets[gi]!, recipient);
            } catch (err) {
              const hint = (err as { hint?: unknown }).hint;
              throw new HushError(wrapFailureCode(err), `${where}: ${err instanceof Error ? err.message : String(err)}`, {
                ...(typeof hint === "string" ? { hint } : {}),
                cause: err,
              });
            }
          }),
        ),
      ),
    );
  } finally {
    // The shares are this function's own; the data key is the caller's.
    if (secrets.length > 1) for (const share of secrets) share.fill(0);
  }
}

/**
 * The identity of the recipient a caller passed (`{ kind: "age", recipient: "age1…" }`), after
 * checking it is one: a JavaScript caller's `null`, a misspelt field (`{ kind: "age", key: … }`)
 * or a number where text belongs would otherwise fail as a TypeError deep in a backend.
 * @throws HushError INVALID_ARGUMENT naming the group and key, never a field's value
 */
function recipientIdentity(recipient: unknown, gi: number, ki: number): string {
  const where = `key group ${gi}, key ${ki}`;
  if (typeof recipient !== "object" || recipient === null || isArray(recipient)) throw invalidArgument(`${where}: a recipient must be an object ({ kind: "age", recipient: "age1…" }), got ${describeKind(recipient)}`);
  const { kind } = recipient as { kind?: unknown };
  if (typeof kind !== "string") throw invalidArgument(`${where}: the key kind must be a string, got ${describeKind(kind)}`);
  let identity: unknown;
  try {
    identity = masterKeyIdentity(recipient as MasterKeyRecipient);
  } catch (err) {
    if (isHushError(err)) throw err;
    identity = undefined;
  }
  if (typeof identity !== "string" || identity === "") throw invalidArgument(`${where}: not a valid ${printable(kind, 40)} recipient: a field its key backend reads is missing or not text`);
  return identity;
}

/**
 * A key source's failure to wrap is `KEY_WRAP_FAILED`: its `KEY_SOURCE_FAILED` means "cannot
 * retrieve the data key" to a caller (SOPS exit 128), which wrapping is not (SOPS exit 1). Other
 * codes (a recipient that is not a key: `INVALID_ARGUMENT`) say more and are kept.
 */
function wrapFailureCode(err: unknown): ErrorCode {
  return isHushError(err) && err.code !== "KEY_SOURCE_FAILED" ? err.code : "KEY_WRAP_FAILED";
}

/** SOPS's default decryption order (age, then pgp, then everything else in file order), from each backend. */
const order = (kind: string): number => keyBackend(kind)?.decryptionOrder ?? 2;

export interface UnwrapReport {
  readonly group: number;
  readonly failures: string[];
}

/** Where each kind of key source looked for identities, reported once however many keys failed. */
type Searched = Map<string, string>;

async function unwrapGroup(group: readonly MasterKeyEntry[], resolve: KeySourceResolver, failures: string[], searched: Searched): Promise<Uint8Array | null> {
  const sorted = [...group].sort((a, b) => order(a.kind) - order(b.kind));
  for (const entry of sorted) {
    // The key's name is for failure messages only: escaping it costs start-up time (its Unicode
    // pattern compiles on first use) that a decrypt whose first key opens need not pay.
    const id = (): string => printable(masterKeyIdentity(entry));
    if (!canUseKind(entry.kind)) {
      failures.push(`${entry.kind} ${id()}: this key type is not supported by hush`);
      continue;
    }
    const source = await resolve(entry.kind);
    if (source === undefined) {
      failures.push(`${entry.kind} ${id()}: no ${entry.kind} key source available`);
      continue;
    }
    try {
      const key = await source.unwrap(entry);
      if (key !== null) return key;
      failures.push(`${entry.kind} ${id()}: no matching identity`);
      searched.set(entry.kind, source.describeSearch().join(", ") || "nowhere");
    } catch (err) {
      const hint = (err as { hint?: unknown }).hint;
      failures.push(`${entry.kind} ${id()}: ${err instanceof Error ? err.message : String(err)}${typeof hint === "string" ? ` (${hint})` : ""}`);
    }
  }
  return null;
}

/**
 * Recovers the data key. Groups are tried in order and decryption stops as soon as the Shamir
 * threshold is met. On failure, the error lists each group, each key and why it failed.
 */
export async function unwrapDataKey(
  groups: ReadonlyArray<readonly MasterKeyEntry[]>,
  threshold: number,
  resolve: KeySourceResolver,
): Promise<Uint8Array> {
  if (!isArray(groups) || groups.some((g) => !isArray(g))) throw invalidArgument("the key groups must be an array of arrays of key entries");
  checkInteger(threshold, "the shamir threshold", 0, 255);
  if (typeof resolve !== "function") throw invalidArgument("the key sources must be a function from a key kind to a key source");
  const problem = keyGroupLimitProblem(groups.map((g) => g.length)) ?? shamirThresholdProblem(groups.length, threshold);
  if (problem !== undefined) throw new HushError("METADATA_INVALID", `invalid sops metadata: ${problem}`);
  const reports: UnwrapReport[] = [];
  const searched: Searched = new Map();
  if (groups.length === 1) {
    const failures: string[] = [];
    const key = await unwrapGroup(groups[0]!, resolve, failures, searched);
    if (key !== null && key.length === 32) return key;
    if (key !== null) failures.push("unwrapped data key has the wrong length");
    reports.push({ group: 0, failures });
  } else {
    const needed = threshold === 0 ? groups.length : threshold;
    const shares: Uint8Array[] = [];
    for (let gi = 0; gi < groups.length && shares.length < needed; gi++) {
      const failures: string[] = [];
      const share = await unwrapGroup(groups[gi]!, resolve, failures, searched);
      if (share !== null) shares.push(share);
      else reports.push({ group: gi, failures });
    }
    if (shares.length >= needed) {
      const key = combineShares(shares);
      if (key.length === 32) return key;
    }
    reports.unshift({ group: -1, failures: [`${shares.length} of ${groups.length} key groups opened, ${needed} needed`] });
  }
  // Short lines: each key once, then once per kind where hush looked, then the next step.
  const lines = reports.flatMap((r) =>
    r.group < 0 ? [r.failures[0]!] : r.failures.length === 0 ? [`group ${r.group}: no keys`] : r.failures.map((f) => `group ${r.group}: ${f}`),
  );
  throw new HushError("NO_MATCHING_KEY", `could not decrypt the data key: ${lines[0] ?? "no key groups"}`, {
    details: [
      ...lines.slice(1),
      ...[...searched].map(([kind, where]) => `${kind} identities: looked in ${where}`),
      "next: give hush an identity for one of the keys above (SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt, GNUPGHOME, or the credentials of the KMS or Vault the key names)",
    ],
  });
}
