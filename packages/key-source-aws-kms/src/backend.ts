import { setForHushOnly, type ConfigContext, type KeyBackend } from "@hush/core";
import { parseEncryptionContext, parseKmsArn, validateProfile, validateRoleArn } from "./arn.ts";
import type { KmsKeyEntry, KmsKeyRecipient } from "./entry.ts";

/**
 * The AWS KMS key backend's descriptor (`@hush/key-source-aws-kms/backend`): metadata entries,
 * `.sops.yaml` keys, flags and identity of KMS keys. Cheap to import: the AWS SDK is loaded by
 * `load`, when a file has KMS keys.
 */

export type { KmsKeyEntry, KmsKeyRecipient };

/** `ARN+ROLE_ARN` → [arn, role] (split at `+arn:`, as SOPS does). */
export function splitArnRole(item: string): [string, string] {
  const i = item.indexOf("+arn:");
  return i === -1 ? [item, ""] : [item.slice(0, i), item.slice(i + 1)];
}

/** What KMS grants access on: the key, the role assumed, the encryption context (sorted pairs). */
function kmsReader(k: KmsKeyRecipient): unknown[] {
  return [k.arn, k.role, Object.keys(k.context).sort().map((c) => [c, k.context[c]])];
}

/** SOPS's identity: `ARN[+ROLE][|ctx_k:v,…][|profile]`. */
function kmsIdentity(key: KmsKeyRecipient): string {
  let id = key.role === "" ? key.arn : `${key.arn}+${key.role}`;
  const ctx = Object.keys(key.context)
    .sort()
    .map((k) => `${k}:${key.context[k] ?? ""}`)
    .join(",");
  if (key.awsProfile !== "") id += `|${ctx}|${key.awsProfile}`;
  else if (ctx !== "") id += `|${ctx}`;
  return id;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** One item of a `.sops.yaml` `kms` list: `ARN[+ROLE]` or a map with `arn`, `role`, `context`, `aws_profile`. */
function configEntry(v: unknown, where: string, profile: string, c: ConfigContext): KmsKeyRecipient {
  if (typeof v === "string") {
    const [arn, role] = splitArnRole(v.replace(/\s/g, ""));
    return { kind: "kms", arn, role, context: {}, awsProfile: profile };
  }
  if (!isMap(v) || typeof v["arn"] !== "string") throw c.fail(`${where} needs an arn`);
  const context: Record<string, string> = {};
  if (v["context"] !== undefined && v["context"] !== null) {
    if (!isMap(v["context"])) throw c.fail(`${where}.context must be a map`);
    for (const [k, val] of Object.entries(v["context"])) {
      if (typeof val !== "string" && typeof val !== "number" && typeof val !== "boolean") throw c.fail(`${where}.context.${k} must be a string`);
      context[k] = String(val);
    }
  }
  const role = v["role"];
  const p = v["aws_profile"];
  return { kind: "kms", arn: v["arn"], role: typeof role === "string" ? role : "", context, awsProfile: typeof p === "string" ? p : profile };
}

function configKeys(value: unknown, key: string, c: ConfigContext): KmsKeyRecipient[] {
  const where = `${c.where}.${key}`;
  const p = c.rule["aws_profile"];
  const profile = typeof p === "string" ? p : "";
  if (typeof value === "string") return c.stringList(value, where).map((item) => configEntry(item, where, profile, c));
  if (Array.isArray(value)) return value.map((k, i) => configEntry(k, `${where}[${i}]`, profile, c));
  throw c.fail(`${where} must be a string or a list`);
}

/** Why a KMS entry's `enc` cannot be a KMS ciphertext of a data key, or undefined. */
function ciphertextFault(entry: KmsKeyEntry): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry.enc)) return "not base64";
  const length = Buffer.from(entry.enc, "base64").length;
  // A KMS ciphertext holds at least the 32-byte key and a 16-byte tag; KMS returns at most 6144 bytes.
  if (length < 48 || length > 6144) return `a KMS ciphertext of ${length} bytes cannot hold a data key`;
  return undefined;
}

const arnAndRole = (k: { arn: string; role: string }): string => (k.role === "" ? k.arn : `${k.arn}+${k.role}`);

/** The AWS KMS backend: register it (the CLI lists it in backends.ts) to read, write and open KMS keys. */
export const awsKmsBackend: KeyBackend<KmsKeyEntry, KmsKeyRecipient> = {
  kind: "kms",
  decodeEntry: (f) => ({
    kind: "kms",
    arn: f.text("arn"),
    role: f.optionalText("role"),
    context: f.textMap("context"),
    awsProfile: f.optionalText("aws_profile"),
    createdAt: f.time("created_at"),
    enc: f.text("enc"),
  }),
  encodeEntry: (e) => {
    const out: Record<string, unknown> = { arn: e.arn, aws_profile: e.awsProfile };
    const ctxKeys = Object.keys(e.context).sort();
    if (ctxKeys.length > 0) out["context"] = Object.fromEntries(ctxKeys.map((k) => [k, e.context[k]]));
    out["created_at"] = e.createdAt;
    out["enc"] = e.enc;
    if (e.role !== "") out["role"] = e.role;
    return out;
  },
  identity: kmsIdentity,
  // SOPS's identity joins context pairs with ":" and "," unescaped, so {a: "b,c:d"} and
  // {a: "b", c: "d"} read the same; a key policy can tell those contexts apart, so comparisons
  // (merges, drift from .sops.yaml) use an encoding that cannot collide.
  comparable: (k) => JSON.stringify([...kmsReader(k), k.awsProfile]),
  // KMS decides on the key, the role assumed and the context; the profile only picks the
  // writer's local credentials, so a change of profile alone removes no reader.
  reader: (k) => JSON.stringify(kmsReader(k)),
  recipientOf: (e) => ({ kind: "kms", arn: e.arn, role: e.role, context: { ...e.context }, awsProfile: e.awsProfile }),
  wrappedKeyForm: /^[A-Za-z0-9+/]+={0,2}$/,
  wrappedKeyFault: ciphertextFault,
  config: {
    ruleKeys: ["kms"],
    groupKeys: ["kms"],
    ruleOptions: ["aws_profile"],
    itemKeys: ["arn", "role", "context", "aws_profile"],
    parse: configKeys,
  },
  flags: {
    name: "kms",
    short: "k",
    valueName: "arns",
    help: "AWS KMS key ARNs (ARN or ARN+ROLE_ARN), comma separated",
    env: "SOPS_KMS_ARN",
    options: [
      { name: "aws-profile", valueName: "name", help: "AWS profile for --kms keys" },
      { name: "encryption-context", valueName: "pairs", help: "KMS encryption context, key:value,key:value", check: parseEncryptionContext },
    ],
    parse: (items, options) => {
      const context = parseEncryptionContext(options["encryption-context"] ?? "");
      return items.map((item) => {
        const [arn, role] = splitArnRole(item.replace(/\s/g, ""));
        return { kind: "kms", arn, role, context, awsProfile: options["aws-profile"] ?? "" };
      });
    },
    validate: async (keys) => {
      for (const k of keys) {
        parseKmsArn(k.arn);
        validateRoleArn(k.role);
        validateProfile(k.awsProfile);
      }
    },
    // `--rm-kms ARN` names the key; SOPS would also demand the exact context and profile, which
    // leaves a key a user meant to revoke in place without a word. Matching ARN (+role) is safer.
    removes: (key, named) =>
      kmsIdentity(key) === kmsIdentity(named) || (Object.keys(named.context).length === 0 && named.awsProfile === "" && arnAndRole(key) === arnAndRole(named)),
  },
  async load(context) {
    // The AWS SDK warns about Node 20 on stderr at first use; that line would reach users' logs.
    if (process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] === undefined) setForHushOnly("AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED", "true");
    const { AwsKmsKeySource } = await import("./source.ts");
    // Profiles and roles of KMS keys the user named (`--kms ARN+ROLE`, `--aws-profile`, SOPS_KMS_ARN)
    // were chosen by the user, so they are allowed like HUSH_AWS_PROFILES/ROLES.
    const chosen = context.chosen.filter((k): k is KmsKeyRecipient => k.kind === "kms");
    const trust = {
      profiles: chosen.flatMap((k) => (k.awsProfile === "" ? [] : [k.awsProfile])),
      roles: chosen.flatMap((k) => (k.role === "" ? [] : [k.role])),
    };
    return new AwsKmsKeySource({ env: context.env, trust });
  },
};
