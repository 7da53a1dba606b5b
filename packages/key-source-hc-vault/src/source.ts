/**
 * The Vault transit key source (HashiCorp Vault and OpenBao): wraps a data key with
 * `PUT /v1/ENGINE/encrypt/KEY` and unwraps it with `PUT /v1/ENGINE/decrypt/KEY`, as SOPS does,
 * over node:http/node:https. The token goes only to servers the user allows (trust.ts), checked
 * before any network call.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HushError, printable, type KeySource, type MasterKeyEntry, type MasterKeyRecipient } from "@hush/core";
import { headerValueFromSetting, readSettingFile, statusReason } from "@hush/key-http";
import type { VaultKeyEntry, VaultKeyRecipient } from "./entry.ts";
import { vaultErrorText, vaultRequest, type VaultAnswer } from "./transport.ts";
import { checkVaultAddress, checkVaultScheme, vaultTrustFromEnv, type VaultTrust } from "./trust.ts";
import { checkVaultPath, normaliseVaultAddress, vaultIdentity } from "./uri.ts";

/** Options of {@link VaultTransitKeySource}. */
export interface VaultTransitKeySourceOptions {
  /** VAULT_TOKEN, VAULT_ADDR, HUSH_VAULT_ADDRS, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CLIENT_CERT/KEY, VAULT_CLIENT_TIMEOUT. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `~/.vault-token` is looked for. */
  readonly homeDir: string;
  /**
   * Keys the user named on the command line for encryption: their servers may receive the token
   * when wrapping, and they are wrapped to without a test encryption (the user chose the engine).
   */
  readonly chosen?: readonly VaultKeyRecipient[];
}

/** A transit ciphertext: `vault:vN:` and base64. */
export const TRANSIT_CIPHERTEXT = /^vault:v\d{1,9}:[A-Za-z0-9+/]+={0,2}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** How messages name this backend (the CLI already names the key and its group before them). */
const WHAT = "Vault transit";
/**
 * Mount lookups one server is asked in a run. A path that may start with child namespaces is
 * asked once per way of splitting it, and a file chooses its entries' paths (up to 128 entries):
 * without a bound, one hostile file would send the reader's token hundreds of times. Real
 * repositories use a few engine paths, each looked up once per run.
 */
const MAX_MOUNT_LOOKUPS_PER_SERVER = 64;

/** RFC 3339 in whole seconds, UTC, as SOPS writes `created_at`. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Vault transit key source (kind "hc_vault"). */
export class VaultTransitKeySource implements KeySource {
  readonly kind = "hc_vault" as const;
  readonly #env: Readonly<Record<string, string | undefined>>;
  readonly #homeDir: string;
  readonly #trust: VaultTrust;
  /** Normalised addresses of {@link VaultTransitKeySourceOptions.chosen}. */
  readonly #chosenAddresses: readonly string[];
  /** Identities (normalised address) of {@link VaultTransitKeySourceOptions.chosen}. */
  readonly #chosenKeys: ReadonlySet<string>;
  readonly #timeoutMs: number;
  /** Keys of `.sops.yaml` or a file that answered a test encryption (see #proveTransit), by identity. */
  readonly #proven = new Map<string, Promise<void>>();
  /** Engine paths asked what they are mounted as (see #refuseOtherMount), by address and path. */
  readonly #mounts = new Map<string, Promise<void>>();
  /** Mount lookups sent, by address (see MAX_MOUNT_LOOKUPS_PER_SERVER). */
  readonly #lookups = new Map<string, number>();

  constructor(options: VaultTransitKeySourceOptions) {
    this.#env = options.env;
    this.#homeDir = options.homeDir;
    this.#trust = vaultTrustFromEnv(options.env);
    const chosen = (options.chosen ?? []).flatMap((k) => {
      try {
        return [{ ...k, vaultAddress: normaliseVaultAddress(k.vaultAddress) }];
      } catch {
        return [];
      }
    });
    this.#chosenAddresses = chosen.map((k) => k.vaultAddress);
    this.#chosenKeys = new Set(chosen.map(vaultIdentity));
    const seconds = Number(options.env["VAULT_CLIENT_TIMEOUT"] ?? "30");
    this.#timeoutMs = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 30_000;
  }

  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<VaultKeyEntry> {
    if (recipient.kind !== "hc_vault") throw new HushError("INVALID_ARGUMENT", `The Vault transit key source cannot wrap to a ${recipient.kind} key`);
    if (dataKey.length !== 32 && dataKey.length !== 33) {
      throw new HushError("INTERNAL", `A data key to wrap must be 32 bytes (or a 33-byte share), got ${dataKey.length}`);
    }
    const key = recipient as VaultKeyRecipient;
    checkVaultPath(key.enginePath, key.keyName, "INVALID_ARGUMENT");
    const address = normaliseVaultAddress(key.vaultAddress);
    // Named on this command line: the https rule still holds. Otherwise (a `.sops.yaml` rule, or
    // the keys a file lists when rotating) the address must be allowed as for unwrapping (or be
    // the server of a key named on the command line), and the key must prove to be a transit key
    // before a data key goes to it: naming one key of a server vouches for no other engine path.
    if (this.#chosenKeys.has(vaultIdentity({ ...key, vaultAddress: address }))) checkVaultScheme(address, WHAT);
    else {
      if (this.#chosenAddresses.includes(address)) checkVaultScheme(address, WHAT);
      else checkVaultAddress(this.#trust, address, WHAT, "the key to encrypt for (from .sops.yaml or the file) names");
      await this.#refuseOtherMount(address, key, "encrypt");
      await this.#proveTransit(address, key);
    }
    const { ciphertext } = await this.#encrypt(address, key, dataKey);
    if (ciphertext === undefined) throw new HushError("KEY_SOURCE_FAILED", `Vault transit encrypt failed: MalformedResponse (no vault:vN ciphertext in the answer)`);
    return { kind: "hc_vault", vaultAddress: address, enginePath: key.enginePath, keyName: key.keyName, createdAt: nowRfc3339(), enc: ciphertext };
  }

  /**
   * Throws unless a test encryption of 32 zero bytes with `key` comes back as a transit
   * ciphertext; once per key and run (a failure is not remembered: it may pass on the next
   * try). The engine path of a key from `.sops.yaml` or a file is the writer's to choose, and any
   * mount of an allowed server can sit there: a KV version 1 mount stores the body of
   * `PUT /v1/MOUNT/…/encrypt/NAME` (answering 204) for whoever can read that mount, and
   * `updatekeys` would send each file's existing data key there. Only an answer that succeeded
   * without a ciphertext says so; a refusal, a server error or no token is passed on as it is.
   */
  #proveTransit(address: string, key: VaultKeyRecipient): Promise<void> {
    const id = vaultIdentity({ ...key, vaultAddress: address });
    let proof = this.#proven.get(id);
    if (proof === undefined) {
      proof = this.#encrypt(address, key, new Uint8Array(32)).then(({ ciphertext, status }) => {
        if (ciphertext !== undefined) return;
        throw new HushError("KEY_SOURCE_FAILED", `${WHAT}: the key did not answer a test encryption as a transit key does (HTTP ${status}), so its engine path may be another engine's (a KV mount keeps what it is sent); no data key was sent to it`);
      });
      proof.catch(() => this.#proven.delete(id));
      this.#proven.set(id, proof);
    }
    return proof;
  }

  /**
   * Throws when Vault says the engine path of a key from a file or `.sops.yaml` is mounted as
   * another engine than transit, before anything is sent there: the path is the file writer's to
   * choose, and on a KV version 1 mount `PUT /v1/team-kv/decrypt/app` stores its body with the
   * reader's token, replacing the secret at `team-kv/decrypt/app` (`git diff` of a pull request
   * would do it through textconv). Vault answers `GET sys/internal/ui/mounts/PATH` to a token with
   * any capability on the mount (`vault kv` asks it the same way); an answer that does not say
   * (refused, not found, redirected, an older server) lets the call go ahead, whose own answer
   * then counts. The engine path may begin with child namespaces (Vault Enterprise, HCP:
   * `team/kv` is mount `kv` of namespace `team`), which a lookup from the namespace above does
   * not see: each way of splitting it is asked, outermost first, until one says.
   * Asked once per engine path and run; a failed exchange is reported as the `op` it precedes.
   */
  #refuseOtherMount(address: string, key: VaultKeyRecipient, op: "encrypt" | "decrypt"): Promise<void> {
    const id = `${address}/v1/${key.enginePath}`;
    let asked = this.#mounts.get(id);
    if (asked === undefined) {
      asked = (async () => {
        const segments = key.enginePath.split("/");
        for (let split = 0; split < segments.length; split++) {
          const namespace = segments.slice(0, split).map((s) => `${s}/`).join("");
          const sent = this.#lookups.get(address) ?? 0;
          if (sent >= MAX_MOUNT_LOOKUPS_PER_SERVER) {
            throw new HushError(
              "KEY_SOURCE_FAILED",
              `${WHAT}: not asked: ${printable(address)} was already asked ${MAX_MOUNT_LOOKUPS_PER_SERVER} times in this run what engine paths are mounted as, and the engine path ${printable(key.enginePath, 80)} is not known to be transit; nothing was sent to it (a file may list many keys under made-up engine paths: check who wrote it)`,
            );
          }
          this.#lookups.set(address, sent + 1);
          const answer = await this.#send(address, `${namespace}sys/internal/ui/mounts/${segments.slice(split).join("/")}`, undefined, op);
          const type = answer.status === 200 ? (answer.body as { data?: { type?: unknown } } | undefined)?.data?.type : undefined;
          if (typeof type !== "string") continue;
          if (type === "transit") return;
          throw new HushError(
            "KEY_SOURCE_FAILED",
            `${WHAT}: the engine path ${printable(key.enginePath)} is a ${printable(type, 40)} mount on ${printable(address)}, not a transit engine; nothing was sent to it (a file names the engine path: check who changed it)`,
          );
        }
      })();
      asked.catch(() => this.#mounts.delete(id));
      this.#mounts.set(id, asked);
    }
    return asked;
  }

  /** `PUT ENGINE/encrypt/KEY`: the transit ciphertext of `plaintext`; none when a successful answer holds none. */
  async #encrypt(address: string, key: VaultKeyRecipient, plaintext: Uint8Array): Promise<{ ciphertext: string | undefined; status: number }> {
    const answer = await this.#call(address, key, "encrypt", { plaintext: Buffer.from(plaintext).toString("base64") });
    const ciphertext = (answer.body as { data?: { ciphertext?: unknown } } | undefined)?.data?.ciphertext;
    return { ciphertext: typeof ciphertext === "string" && TRANSIT_CIPHERTEXT.test(ciphertext) ? ciphertext : undefined, status: answer.status };
  }

  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "hc_vault") return null;
    const key = entry as VaultKeyEntry;
    // Everything from the file is checked before any network call or token read.
    checkVaultPath(key.enginePath, key.keyName, "METADATA_INVALID");
    if (!TRANSIT_CIPHERTEXT.test(key.enc)) throw new HushError("METADATA_INVALID", `The wrapped key (enc) of Vault transit key ${printable(vaultIdentity(key))} is not a vault:vN ciphertext`);
    const address = checkVaultAddress(this.#trust, key.vaultAddress, WHAT);
    await this.#refuseOtherMount(address, key, "decrypt");
    const answer = await this.#call(address, key, "decrypt", { ciphertext: key.enc });
    const plaintext = (answer.body as { data?: { plaintext?: unknown } } | undefined)?.data?.plaintext;
    if (typeof plaintext !== "string" || !BASE64.test(plaintext)) {
      throw new HushError("KEY_SOURCE_FAILED", `Vault transit decrypt failed: MalformedResponse (no base64 plaintext in the answer)`);
    }
    const bytes = Buffer.from(plaintext, "base64");
    if (bytes.length !== 32 && bytes.length !== 33) {
      bytes.fill(0);
      throw new HushError("KEY_SOURCE_FAILED", `Vault transit decrypt returned ${bytes.length} bytes, not a data key`);
    }
    return new Uint8Array(bytes);
  }

  describeSearch(): readonly string[] {
    return [`Vault token: ${this.#env["VAULT_TOKEN"] ? "VAULT_TOKEN" : this.#homeDir === "" ? "VAULT_TOKEN not set, no home directory for ~/.vault-token" : join(this.#homeDir, ".vault-token")}`];
  }

  /** VAULT_TOKEN, else `~/.vault-token` (as the Vault CLI and SOPS read it). */
  #token(): string {
    const fromEnv = this.#env["VAULT_TOKEN"];
    if (fromEnv !== undefined && fromEnv.trim() !== "") return headerValueFromSetting(fromEnv.trim(), "VAULT_TOKEN", "CredentialsUnloadable");
    // No home directory known: `.vault-token` would be read from the working directory.
    if (this.#homeDir !== "") {
      const path = join(this.#homeDir, ".vault-token");
      // A token file that is there but cannot be read (a directory, another user's) is named as
      // such: "no Vault token" sent the user to log in again, which writes the same file.
      if (existsSync(path)) {
        const fromFile = readSettingFile(path, "the Vault token file", "CredentialsUnloadable", `make it a file you can read (\`vault login\` writes it) or set VAULT_TOKEN`)
          .toString("utf8")
          .trim();
        if (fromFile !== "") return headerValueFromSetting(fromFile, `the Vault token file ${printable(path, 160)}`, "CredentialsUnloadable");
      }
    }
    throw new HushError("KEY_SOURCE_FAILED", `no Vault token: set VAULT_TOKEN or log in with \`vault login\` (~/.vault-token)`);
  }

  async #call(address: string, key: VaultKeyRecipient, op: "encrypt" | "decrypt", body: unknown): Promise<VaultAnswer> {
    const answer = await this.#send(address, `${key.enginePath}/${op}/${key.keyName}`, body, op);
    if (answer.status >= 300 && answer.status < 400) {
      throw new HushError("KEY_SOURCE_FAILED", `Vault transit ${op} failed: HTTP ${answer.status} redirect not followed (set VAULT_ADDR to the server that answers)`);
    }
    // Other successes (a KV mount's 204) are the callers' to judge: they hold no ciphertext or plaintext.
    if (answer.status < 200 || answer.status >= 300) {
      throw new HushError("KEY_SOURCE_FAILED", `Vault transit ${op} failed: ${statusReason(answer.status)} (HTTP ${answer.status}: ${vaultErrorText(answer)})`);
    }
    return answer;
  }

  /**
   * `PUT /v1/PATH` with `body` (`GET` without one); a failed exchange throws, naming `op`. A
   * redirect is never followed, only returned: it fails a transit call, and tells nothing of a
   * mount (a proxy may send paths it does not pass to a login page).
   */
  async #send(address: string, path: string, body: unknown, op: string): Promise<VaultAnswer> {
    const namespace = headerValueFromSetting(this.#env["VAULT_NAMESPACE"] ?? "", "VAULT_NAMESPACE", "BadConfiguration");
    const options = { token: this.#token(), namespace, timeoutMs: this.#timeoutMs, env: this.#env };
    let answer: VaultAnswer;
    try {
      answer = await vaultRequest(new URL(`${address}/v1/${path}`), body, options);
    } catch (err) {
      throw new HushError("KEY_SOURCE_FAILED", `Vault transit ${op} failed: ${(err as Error).message}`);
    }
    return answer;
  }
}
