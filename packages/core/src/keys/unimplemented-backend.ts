import { checkObject } from "../arguments.ts";
import { HushError } from "../errors.ts";
import type { OpaqueKeyEntry } from "../key-source.ts";
import type { KeyBackend } from "./key-backend.ts";

/** What hush knows of a kind it does not implement: its names in the metadata, `.sops.yaml` and SOPS's flags. */
export interface UnimplementedKindSpec {
  /** The key list's name in the `sops` section (`gcp_kms`). */
  readonly kind: string;
  readonly ruleKeys: readonly string[];
  readonly groupKeys: readonly string[];
  /** SOPS's flag name (`gcp-kms` for `--gcp-kms`, `--add-gcp-kms`, `--rm-gcp-kms`). */
  readonly flag: string;
  readonly listedWhenEmpty?: boolean;
}

/**
 * A backend for a SOPS key kind hush does not implement yet: its entries are kept verbatim (and
 * written back byte for byte, fields in sorted order as SOPS writes them), decrypting reports
 * "not supported" for them, and naming such keys in `.sops.yaml` or on the command line is an
 * error rather than a silent no-op. Replacing it with a real backend changes one line.
 */
export function unimplementedKeyBackend(spec: UnimplementedKindSpec): KeyBackend<OpaqueKeyEntry> {
  checkObject(spec, "the kind's description");
  const notSupported = `${spec.kind} keys are not supported by hush`;
  return {
    kind: spec.kind,
    ...(spec.listedWhenEmpty === true ? { listedWhenEmpty: true } : {}),
    decodeEntry: (fields) => ({ kind: spec.kind, fields: fields.all() }),
    encodeEntry: (entry) => Object.fromEntries(Object.keys(entry.fields).sort().map((k) => [k, entry.fields[k]])),
    identity: (key) => `${key.kind}:${JSON.stringify((key as OpaqueKeyEntry).fields ?? {})}`,
    config: {
      ruleKeys: spec.ruleKeys,
      groupKeys: spec.groupKeys,
      parse: (_value, key, context) => {
        throw context.fail(`${context.where}.${key}: this key type is not supported by hush`);
      },
    },
    flags: {
      name: spec.flag,
      valueName: "keys",
      help: notSupported,
      parse: () => {
        throw new HushError("INVALID_ARGUMENT", notSupported);
      },
    },
  };
}
