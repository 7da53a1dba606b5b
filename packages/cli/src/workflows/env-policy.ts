import { HushError, printable } from "@hush/core";
import { REFUSED_ENV_FAMILIES, type EnvFamily } from "./env-families.ts";

/**
 * Which variables `exec-env` refuses to take from a file. Anyone can encrypt a file to a public
 * recipient, and empty values are outside SOPS's MAC, so the key names in a file are untrusted;
 * a variable that changes how a program starts, which program runs or what code it loads turns
 * "run this command with my secrets" into "run the file author's code", and one that changes
 * where traffic goes (a proxy, an endpoint) or records it hands the file's author what the command
 * sends, credentials included. Such keys are refused
 * unless the user names them with `--allow-env NAME`. Names are compared case-insensitively
 * (Windows environments are, and some programs read variables that way).
 *
 * The list (env-families.ts) cannot be complete; it covers the run-time families that load code
 * or trust from the environment, or redirect traffic. Documented in docs/workflows.md.
 */

/** Why `name` may not come from a file, or `undefined` when it may: the first family (in list order) that lists it, one of its prefixes or suffixes. */
export function startupVariableReason(name: string): string | undefined {
  const upper = name.toUpperCase();
  return REFUSED_ENV_FAMILIES.find((f) => f.names.includes(upper) || f.prefixes.some((p) => upper.startsWith(p)) || (f.suffixes ?? []).some((s) => upper.endsWith(s)))?.why;
}

/**
 * {@link startupVariableReason} for `count` names. A file can hold thousands of variables, and
 * scanning every family for each (7.5 ms for 5,000) cost more than the rest of the check; from
 * {@link INDEX_FROM} names on, the families are read into lookups first (0.9 ms for 5,000). A few
 * names, the common case and the Node loader's, are cheaper to scan than to build lookups for
 * (0.1 ms against 0.7 ms in a fresh process).
 */
export function startupVariableReasonOf(count: number): (name: string) => string | undefined {
  if (count < INDEX_FROM) return startupVariableReason;
  const index = (familyIndex ??= indexFamilies(REFUSED_ENV_FAMILIES));
  return (name) => {
    const upper = name.toUpperCase();
    let first = index.firstByName.get(upper) ?? Infinity;
    const prefix = index.prefixPattern.exec(upper);
    if (prefix !== null) first = Math.min(first, index.prefixGroupFamily[prefix.findIndex((g, k) => k > 0 && g !== undefined) - 1]!);
    for (const [suffix, i] of index.suffixes) if (i < first && upper.endsWith(suffix)) first = i;
    return REFUSED_ENV_FAMILIES[first]?.why;
  };
}

/** How many names make {@link startupVariableReasonOf} build lookups. */
export const INDEX_FROM = 200;

/**
 * The families as lookups: the first family listing each exact name; one anchored pattern with a
 * group per family for the prefixes (alternatives are tried in order, so the first group that
 * matches is the earliest family); the suffixes, which are few, with their family's place.
 */
interface FamilyIndex {
  readonly firstByName: ReadonlyMap<string, number>;
  readonly prefixPattern: RegExp;
  /** The family of each of `prefixPattern`'s groups (group k is at k - 1). */
  readonly prefixGroupFamily: readonly number[];
  readonly suffixes: readonly (readonly [string, number])[];
}

let familyIndex: FamilyIndex | undefined;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function indexFamilies(families: readonly EnvFamily[]): FamilyIndex {
  const firstByName = new Map<string, number>();
  const prefixGroups: string[] = [];
  const prefixGroupFamily: number[] = [];
  const suffixes: [string, number][] = [];
  families.forEach((f, i) => {
    for (const n of f.names) if (!firstByName.has(n)) firstByName.set(n, i);
    if (f.prefixes.length > 0) {
      prefixGroups.push(`(${f.prefixes.map(escapeRegExp).join("|")})`);
      prefixGroupFamily.push(i);
    }
    for (const s of f.suffixes ?? []) suffixes.push([s, i]);
  });
  return { firstByName, prefixPattern: new RegExp(`^(?:${prefixGroups.join("|")})`), prefixGroupFamily, suffixes };
}

/** What the command would get without the file: the variables a file's value would replace. */
export interface InheritedEnvironment {
  /** The environment the command gets from hush (empty with `--pristine`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Top-level keys whose values are not bound to them: empty strings, nulls and values left in clear (only encrypted values are). */
  readonly unauthenticated: ReadonlySet<string>;
}

/** Why a value not bound to its key may not replace the caller's variable (shown to the user). */
const UNAUTHENTICATED_REASON = "would replace your own value with one that is not encrypted: anyone can add it, or move it to this key, without the file's key";

function inherits(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  // Own variables only: an ordinary object answers `constructor` and `toString` from its prototype.
  if (Object.hasOwn(env, name) && env[name] !== undefined) return true;
  // Windows compares environment names without case.
  return process.platform === "win32" && Object.keys(env).some((k) => k.toUpperCase() === name.toUpperCase() && env[k] !== undefined);
}

/** A variable a file may not set, and why (names escaped for display). */
export interface RefusedVariable {
  readonly name: string;
  readonly why: string;
}

/**
 * The variables among `names` that a file may not set: those of the families above, and values
 * not bound to their key (empty, null, left in clear) that would replace a variable the program
 * gets anyway (an empty `AWS_PROFILE` or `SSH_AUTH_SOCK` added next to real secrets blanks the
 * caller's own), unless the user allowed them by name (compared exactly).
 */
export function refusedEnvironmentNames(names: readonly string[], allowed: ReadonlySet<string>, inherited?: InheritedEnvironment): RefusedVariable[] {
  const reasonOf = startupVariableReasonOf(names.length);
  return names.flatMap((name) => {
    if (allowed.has(name)) return [];
    const why = reasonOf(name) ?? (inherited !== undefined && inherited.unauthenticated.has(name) && inherits(inherited.env, name) ? UNAUTHENTICATED_REASON : undefined);
    return why === undefined ? [] : [{ name: printable(name, 80), why }];
  });
}

/** `PATH (decides where programs are found), …`: the refused variables for a message. */
export function describeRefused(refused: readonly RefusedVariable[]): string {
  return refused.map((r) => `${r.name} (${r.why})`).join(", ");
}

/**
 * The error for a file that sets variables {@link refusedEnvironmentNames} lists and the user
 * did not name with `--allow-env`: one line naming the file, the keys (escaped) and the reasons,
 * never a value. Exit 1.
 */
export function refusedEnvironmentError(file: string, refused: readonly RefusedVariable[]): HushError {
  const flags = refused.map((r) => `--allow-env ${r.name}`).join(" ");
  return new HushError(
    "ENV_REFUSED",
    `${file}: not running the command: the file sets ${describeRefused(refused)}; anyone who can encrypt to this file can add such keys. If they are meant to be there, pass ${flags}`,
    { located: true },
  );
}

/** Refuses, before anything runs, a file that sets refused variables (see {@link refusedEnvironmentError}). */
export function checkEnvironmentNames(file: string, names: readonly string[], allowed: ReadonlySet<string>, inherited?: InheritedEnvironment): void {
  const refused = refusedEnvironmentNames(names, allowed, inherited);
  if (refused.length > 0) throw refusedEnvironmentError(file, refused);
}
