import { homedir } from "node:os";
import type { KeySource, KeySourceResolver, MasterKeyRecipient } from "@hush/core";

/**
 * AWS profiles and roles of KMS keys the user named on the command line (`--kms ARN+ROLE`,
 * `--aws-profile`, SOPS_KMS_ARN): chosen by the user, so allowed like HUSH_AWS_PROFILES/ROLES.
 */
export function chosenAws(keys: readonly MasterKeyRecipient[]): { profiles: string[]; roles: string[] } {
  const profiles: string[] = [];
  const roles: string[] = [];
  for (const k of keys) {
    if (k.kind !== "kms") continue;
    if (k.awsProfile !== "") profiles.push(k.awsProfile);
    if (k.role !== "") roles.push(k.role);
  }
  return { profiles, roles };
}

/**
 * Builds key sources from the environment on first need. Each backend package is imported only
 * when a file has entries of its kind: decrypting an age-only file never loads the AWS SDK or
 * spawns gpg (start-up time matters for git's diff driver and deploy scripts).
 */
export function createKeySourceResolver(env: Readonly<Record<string, string | undefined>>, chosen: readonly MasterKeyRecipient[] = []): KeySourceResolver {
  const cache = new Map<string, Promise<KeySource>>();
  const make = async (kind: "age" | "pgp" | "kms"): Promise<KeySource> => {
    switch (kind) {
      case "age": {
        const { AgeKeySource, discoverAgeIdentities } = await import("@hush/key-source-age");
        const { promptPassphrase } = await import("./passphrase.ts");
        return new AgeKeySource({ identities: discoverAgeIdentities({ env, homeDir: env["HOME"] ?? homedir(), passphrase: promptPassphrase }) });
      }
      case "pgp": {
        const { GpgKeySource } = await import("@hush/key-source-pgp");
        return new GpgKeySource({ env });
      }
      case "kms": {
        // The AWS SDK warns about Node 20 on stderr at first use; that line would reach users' logs.
        process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
        const { AwsKmsKeySource } = await import("@hush/key-source-aws-kms");
        return new AwsKmsKeySource({ env, trust: chosenAws(chosen) });
      }
    }
  };
  return (kind) => {
    let p = cache.get(kind);
    if (p === undefined) {
      p = make(kind);
      cache.set(kind, p);
    }
    return p;
  };
}
