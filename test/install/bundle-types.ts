/**
 * The hand-written declarations the hush-secrets package ships (packages/hush-secrets/types) must
 * say what `@hush/cli` says of the same exports. Checked by `tsc -p tsconfig.tests.json` (part of
 * `pnpm test`): a declaration that drifts from the source is a type error here.
 */
import type * as Bundle from "../../packages/hush-secrets/types/index.d.ts";
import type { decryptFile, decryptText, defaultKeySources, DEFAULT_ENV_FILE, EXIT, exitCodeFor, isHushError, loadEnv, LoadEnvOptions, LoadEnvResult } from "../../packages/cli/src/index.ts";
import type { DecryptOptions, ErrorCode, FileFormat, FileOptions, HushError, KeySourceResolver } from "../../packages/core/src/index.ts";

/** True when A and B are the same type (not merely assignable). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** An object type with its members spelled out (an intersection and an interface compare equal). */
type Members<T> = { [K in keyof T]: T[K] };
/** The declared options, with key sources as the source declares them. */
type BundleOptionsAsSource = Members<Omit<Bundle.LoadEnvOptions, "keySources"> & { readonly keySources?: KeySourceResolver }>;
/** The same for decryptFile's and decryptText's options, where key sources are required. */
type WithSourceKeys<T> = Members<Omit<T, "keySources"> & { readonly keySources: KeySourceResolver }>;

export const checks: readonly true[] = [
  true satisfies Same<Bundle.FileFormat, FileFormat>,
  true satisfies Same<Bundle.LoadEnvResult, LoadEnvResult>,
  true satisfies Same<BundleOptionsAsSource, Members<LoadEnvOptions>>,
  true satisfies Same<Parameters<typeof Bundle.loadEnv>["length"], Parameters<typeof loadEnv>["length"]>,
  true satisfies Same<ReturnType<typeof Bundle.loadEnv>, ReturnType<typeof loadEnv>>,
  true satisfies Same<typeof Bundle.DEFAULT_ENV_FILE, typeof DEFAULT_ENV_FILE>,
  true satisfies Same<Parameters<typeof Bundle.defaultKeySources>, Parameters<typeof defaultKeySources>>,
  true satisfies Same<WithSourceKeys<Bundle.FileOptions>, Members<FileOptions>>,
  // decryptText's options as declared: those a program uses (not the data key or parser of tests).
  true satisfies Same<WithSourceKeys<Bundle.DecryptOptions>, Members<Pick<DecryptOptions, "format" | "keySources" | "ignoreMac">>>,
  true satisfies Same<Parameters<typeof Bundle.decryptFile>["length"], Parameters<typeof decryptFile>["length"]>,
  true satisfies Same<ReturnType<typeof Bundle.decryptFile>, ReturnType<typeof decryptFile>>,
  true satisfies Same<Parameters<typeof Bundle.decryptText>["length"], Parameters<typeof decryptText>["length"]>,
  true satisfies Same<ReturnType<typeof Bundle.decryptText>, ReturnType<typeof decryptText>>,
  true satisfies Same<Parameters<typeof Bundle.isHushError>["length"], Parameters<typeof isHushError>["length"]>,
  true satisfies Same<typeof Bundle.EXIT, typeof EXIT>,
  true satisfies Same<Parameters<typeof Bundle.exitCodeFor>["length"], Parameters<typeof exitCodeFor>["length"]>,
  true satisfies Same<ReturnType<typeof Bundle.exitCodeFor>, ReturnType<typeof exitCodeFor>>,
];

// Every code the source has is a code the declarations take.
export const codeFits = (code: ErrorCode, declared: typeof Bundle.exitCodeFor): number => declared(code);

// What the source throws is what the declarations describe, and is narrowed to it.
export const errorFits = (real: HushError): Bundle.HushError => real;

// What the source's key discovery returns is accepted where the declarations take key sources.
export const resolverFits = (real: KeySourceResolver): Bundle.KeySourceResolver => real;
