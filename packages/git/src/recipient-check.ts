import { masterKeyIdentity, printable, type CreationRule, type FileMetadata, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";

/**
 * Keyless checks of a file's recipients: entries whose wrapped key cannot be one (checked per
 * kind, only what is cheap and certain), and recipients the file's creation rule does not name.
 * Anyone can add a recipient entry to a file without a key; the next `hush rotate` or
 * `updatekeys` by a key holder would then wrap the real data key for it.
 */

export interface RecipientFinding {
  readonly code: "wrapped-key-invalid" | "unexpected-recipient";
  readonly message: string;
}

const ENC_ARMOR: Record<string, RegExp> = {
  age: /^-----BEGIN AGE ENCRYPTED FILE-----\r?\n[\s\S]*-----END AGE ENCRYPTED FILE-----\s*$/,
  pgp: /^-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*-----END PGP MESSAGE-----\s*$/,
  kms: /^[A-Za-z0-9+/]+={0,2}$/,
};

/** Whether an entry's wrapped key has at least the outer form of its kind (armor, base64); kinds hush does not implement pass. */
export function hasWrappedKeyArmor(entry: MasterKeyEntry): boolean {
  if (!("enc" in entry)) return true;
  const re = ENC_ARMOR[entry.kind];
  return entry.enc !== "" && (re === undefined || re.test(entry.enc));
}

/** Decoded base64 body of an ASCII-armored block (armor headers and the CRC line skipped), or undefined. */
function armorBody(text: string, label: string): Buffer | undefined {
  const lines = text.replace(/\r\n/g, "\n").trim().split("\n");
  if (lines[0] !== `-----BEGIN ${label}-----` || lines.at(-1) !== `-----END ${label}-----`) return undefined;
  const body = lines.slice(1, -1).filter((l) => !/^[A-Za-z-]+: /.test(l) && !l.startsWith("=") && l.trim() !== "");
  const joined = body.join("").trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(joined) || joined.length === 0) return undefined;
  return Buffer.from(joined, "base64");
}

/** Why `entry` cannot be a wrapped data key, or undefined when it looks like one. */
function wrappedKeyFault(entry: MasterKeyEntry): string | undefined {
  switch (entry.kind) {
    case "age": {
      // age v1: "age-encryption.org/v1\n", one or more "-> type args" stanzas, "--- mac", payload.
      const bytes = armorBody(entry.enc, "AGE ENCRYPTED FILE");
      if (bytes === undefined) return "not an armored age file";
      const head = bytes.subarray(0, Math.min(bytes.length, 4096)).toString("latin1");
      if (!head.startsWith("age-encryption.org/v1\n-> ")) return "no age v1 header with a recipient stanza";
      if (!/\n--- [A-Za-z0-9+/]{43}\n/.test(head)) return "the age header has no MAC line";
      return undefined;
    }
    case "pgp": {
      const bytes = armorBody(entry.enc, "PGP MESSAGE");
      if (bytes === undefined || bytes.length === 0) return "not an armored PGP message";
      // The first packet of an encrypted message is a public-key or symmetric-key encrypted session key (tag 1 or 3).
      const first = bytes[0]!;
      const tag = (first & 0x40) !== 0 ? first & 0x3f : (first >> 2) & 0x0f;
      if ((first & 0x80) === 0 || (tag !== 1 && tag !== 3)) return "the PGP message does not start with an encrypted session key";
      return undefined;
    }
    case "kms": {
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry.enc)) return "not base64";
      const length = Buffer.from(entry.enc, "base64").length;
      // A KMS ciphertext holds at least the 32-byte key and a 16-byte tag; KMS returns at most 6144 bytes.
      if (length < 48 || length > 6144) return `a KMS ciphertext of ${length} bytes cannot hold a data key`;
      return undefined;
    }
    default:
      return undefined;
  }
}

function identityKey(key: MasterKeyEntry | MasterKeyRecipient): string {
  // PGP fingerprints are written in either case.
  return `${key.kind} ${key.kind === "pgp" ? masterKeyIdentity(key).toUpperCase() : masterKeyIdentity(key)}`;
}

/** Findings for every recipient of `metadata`, checked against `rule` when one covers the file. */
export function recipientFindings(metadata: FileMetadata, rule: CreationRule | undefined): RecipientFinding[] {
  const out: RecipientFinding[] = [];
  const named = new Set((rule?.keyGroups ?? []).flat().map(identityKey));
  metadata.keyGroups.forEach((group, gi) => {
    for (const entry of group) {
      const who = `${entry.kind} recipient ${printable(masterKeyIdentity(entry))} in key group ${gi}`;
      // An entry without the outer form is already a metadata error; the deeper checks add nothing.
      const fault = hasWrappedKeyArmor(entry) ? wrappedKeyFault(entry) : undefined;
      if (fault !== undefined) out.push({ code: "wrapped-key-invalid", message: `the wrapped data key of ${who} cannot be a wrapped key: ${fault}` });
      // Kinds hush does not implement are never in a parsed creation rule; they cannot be compared.
      if (rule !== undefined && named.size > 0 && "enc" in entry && !named.has(identityKey(entry))) {
        out.push({ code: "unexpected-recipient", message: `${who} is not named by the creation rule for this file (path_regex ${printable(JSON.stringify(rule.pathRegex))}); remove it with \`hush updatekeys\` unless it belongs there` });
      }
    }
  });
  return out;
}
