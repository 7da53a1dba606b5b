/**
 * The key side of the KMS test server: symmetric keys and aliases, key-id resolution as real KMS
 * does it (bare id, alias, key ARN, alias ARN, all bound to the signing region), explicit denies,
 * and Encrypt/Decrypt that bind the key ARN and the encryption context into the ciphertext with
 * AES-GCM, so a key source that sends the wrong context or key fails here as it would on AWS.
 * The HTTP and protocol side is kms-test-server.ts.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";

/** An AWS error answer: its `__type` (or STS error code) and HTTP status. */
export class ApiError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/** One symmetric key. */
export interface KeyRecord {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  readonly description: string;
  readonly created: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Ciphertext blobs start with this, then the 36-character key id, the IV, the data and the tag. */
const BLOB_MAGIC = Buffer.from([0x48, 0x4b, 0x01]);

function parseContext(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new ApiError("SerializationException", "EncryptionContext must be a map");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== "string") throw new ApiError("SerializationException", "EncryptionContext values must be strings");
    out[k] = v;
  }
  return out;
}

function aad(arn: string, context: Record<string, string>): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify([arn, entries]), "utf8");
}

function blobField(value: unknown, name: string): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new ApiError("SerializationException", `${name} must be base64`);
  }
  return Buffer.from(value, "base64");
}

/** The keys, aliases and denies of one test server, and the cryptography of its answers. */
export class KmsTestKeyring {
  readonly #serverSecret = randomBytes(32);
  readonly keys = new Map<string, KeyRecord>();
  /** Alias ARN to key id. */
  readonly aliases = new Map<string, string>();
  readonly denied: Set<string>;
  readonly partition: string;
  readonly account: string;
  /** Where `createKey` puts keys unless told otherwise. */
  readonly region: string;

  constructor(options: { partition: string; account: string; region: string; deny: readonly string[] }) {
    this.partition = options.partition;
    this.account = options.account;
    this.region = options.region;
    this.denied = new Set(options.deny);
  }

  keyArn(id: string, region: string): string {
    return `arn:${this.partition}:kms:${region}:${this.account}:key/${id}`;
  }

  aliasArn(name: string, region: string): string {
    return `arn:${this.partition}:kms:${region}:${this.account}:${name}`;
  }

  createKey(opts: { region?: string; description?: string } = {}): KeyRecord {
    const id = randomUUID();
    const r = opts.region ?? this.region;
    const rec: KeyRecord = { id, arn: this.keyArn(id, r), region: r, description: opts.description ?? "", created: Date.now() / 1000 };
    this.keys.set(id, rec);
    return rec;
  }

  /** KeyId as a real KMS accepts it; ARNs must name the region the request was signed for. */
  resolveKey(keyId: unknown, signingRegion: string): KeyRecord {
    if (typeof keyId !== "string" || keyId === "") throw new ApiError("ValidationException", "KeyId is required");
    let rec: KeyRecord | undefined;
    if (UUID.test(keyId)) rec = this.keys.get(keyId);
    else if (keyId.startsWith("alias/")) {
      const id = this.aliases.get(this.aliasArn(keyId, signingRegion));
      rec = id === undefined ? undefined : this.keys.get(id);
    } else if (keyId.startsWith("arn:")) {
      const m = /^arn:([^:]+):kms:([^:]+):(\d{12}):(key\/.+|alias\/.+)$/.exec(keyId);
      if (m !== null && m[1] === this.partition && m[2] === signingRegion && m[3] === this.account) {
        const res = m[4] ?? "";
        if (res.startsWith("key/")) rec = this.keys.get(res.slice(4));
        else {
          const id = this.aliases.get(keyId);
          rec = id === undefined ? undefined : this.keys.get(id);
        }
      }
    }
    if (rec === undefined || rec.region !== signingRegion) {
      throw new ApiError("NotFoundException", `Invalid keyId '${keyId}'`);
    }
    return rec;
  }

  checkAccess(rec: KeyRecord, requested: string, action: string, caller: string): void {
    const aliasIds = [...this.aliases.entries()].filter(([, id]) => id === rec.id).map(([a]) => a);
    if ([rec.id, rec.arn, requested, ...aliasIds].some((k) => this.denied.has(k))) {
      throw new ApiError(
        "AccessDeniedException",
        `User: arn:${this.partition}:iam::${this.account}:user/${caller} is not authorized to perform: kms:${action} on resource: ${rec.arn} with an explicit deny`,
      );
    }
  }

  encrypt(input: Record<string, unknown>, signingRegion: string, caller: string): { rec: KeyRecord; out: Record<string, unknown> } {
    const rec = this.resolveKey(input["KeyId"], signingRegion);
    this.checkAccess(rec, String(input["KeyId"]), "Encrypt", caller);
    const plaintext = blobField(input["Plaintext"], "Plaintext");
    if (plaintext.length < 1 || plaintext.length > 4096) {
      throw new ApiError("ValidationException", "Plaintext must be 1 to 4096 bytes");
    }
    const context = parseContext(input["EncryptionContext"]);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#serverSecret, iv);
    cipher.setAAD(aad(rec.arn, context));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const blob = Buffer.concat([BLOB_MAGIC, Buffer.from(rec.id, "ascii"), iv, ct, cipher.getAuthTag()]);
    return { rec, out: { CiphertextBlob: blob.toString("base64"), KeyId: rec.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" } };
  }

  decrypt(input: Record<string, unknown>, signingRegion: string, caller: string): { rec: KeyRecord; out: Record<string, unknown> } {
    const blob = blobField(input["CiphertextBlob"], "CiphertextBlob");
    const headerLen = BLOB_MAGIC.length + 36 + 12;
    if (blob.length < headerLen + 16 || !blob.subarray(0, BLOB_MAGIC.length).equals(BLOB_MAGIC)) {
      throw new ApiError("InvalidCiphertextException", "");
    }
    const blobKeyId = blob.subarray(BLOB_MAGIC.length, BLOB_MAGIC.length + 36).toString("latin1");
    const rec = this.keys.get(blobKeyId);
    if (rec === undefined || rec.region !== signingRegion) throw new ApiError("InvalidCiphertextException", "");
    if (input["KeyId"] !== undefined) {
      const named = this.resolveKey(input["KeyId"], signingRegion);
      if (named.id !== rec.id) {
        throw new ApiError("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.");
      }
    }
    this.checkAccess(rec, typeof input["KeyId"] === "string" ? input["KeyId"] : rec.arn, "Decrypt", caller);
    const context = parseContext(input["EncryptionContext"]);
    const iv = blob.subarray(BLOB_MAGIC.length + 36, headerLen);
    const ct = blob.subarray(headerLen, blob.length - 16);
    const tag = blob.subarray(blob.length - 16);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#serverSecret, iv);
      decipher.setAAD(aad(rec.arn, context));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ct), decipher.final()]);
    } catch {
      // Real KMS gives no detail either: a wrong context and a corrupt blob look the same.
      throw new ApiError("InvalidCiphertextException", "");
    }
    return { rec, out: { KeyId: rec.arn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" } };
  }

  /** The KeyMetadata of DescribeKey and CreateKey answers. */
  keyMetadata(rec: KeyRecord): Record<string, unknown> {
    return {
      AWSAccountId: this.account,
      KeyId: rec.id,
      Arn: rec.arn,
      CreationDate: rec.created,
      Enabled: true,
      Description: rec.description,
      KeyUsage: "ENCRYPT_DECRYPT",
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      KeySpec: "SYMMETRIC_DEFAULT",
      CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    };
  }
}
