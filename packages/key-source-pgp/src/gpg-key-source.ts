import { homedir } from "node:os";
import { join } from "node:path";
import { HushError, quoted, userEnvironment } from "@hush/core";
import type { KeySource, MasterKeyEntry, MasterKeyRecipient } from "@hush/core";
import type { PgpKeyEntry, PgpRecipient } from "./entry.ts";
import { readMessageRecipients } from "./armor.ts";
import { comparablePgpFingerprint, longKeyId, normalizePgpFingerprint } from "./fingerprint.ts";
import { gpgErrorLine, gpgTimeoutMs, runGpg, type GpgRun } from "./run-gpg.ts";

/** Options of {@link GpgKeySource}. */
export interface GpgKeySourceOptions {
  /**
   * The environment gpg runs with, usually `process.env`. `SOPS_GPG_EXEC` names the gpg binary
   * (default `gpg`, looked up on this environment's `PATH`); `GNUPGHOME` the keyring directory
   * (default `~/.gnupg`). Passed explicitly so that callers and tests control it.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The user's home directory as the caller found it, "" when none is known (HOME unset with no
   * user database entry, or relative); when absent, HOME or the user database's.
   */
  readonly homeDir?: string;
}

/** Secret keys of the keyring: upper-case long key IDs of primary keys and subkeys. */
interface SecretKeyring {
  readonly keyIds: ReadonlySet<string>;
  readonly fingerprints: ReadonlySet<string>;
}

const HIDDEN_RECIPIENT = "0000000000000000";

/** `gpg` arguments that decrypt a message from stdin to stdout and do nothing else with it. */
const DECRYPT_ARGS: readonly string[] = ["--batch", "--quiet", "--no-use-embedded-filename", "--skip-verify", "--no-auto-key-retrieve", "--status-fd", "3", "--decrypt"];

/**
 * Most bytes accepted from `gpg --decrypt` of a data key (32 bytes, 33 for a key share). Only the
 * recipient's public key is needed to write a message that decompresses to gigabytes.
 */
const MAX_DATA_KEY_OUTPUT = 1024;

/**
 * Passphrase dialogs that opened nothing after which no further entry goes to gpg. A file may
 * list 128 entries to the reader's key or to hidden recipients (which gpg tries with every
 * secret key), and each brought the dialog back once cancelled, or waited for the timeout when
 * no one answered. Two, not one: a passphrase given for a hidden recipient that is not the
 * reader also opens nothing, and gpg-agent keeps it, so the next entry asks for nothing.
 */
const MAX_UNANSWERED_DIALOGS = 2;

const UNLOCK_HINT = "the secret key is in the keyring but gpg-agent could not get its passphrase; run in a terminal with GPG_TTY=$(tty) exported, or unlock the key in gpg-agent first";

/**
 * Wraps and unwraps data keys with OpenPGP through the system `gpg`, the way SOPS's gpg fallback
 * does, so that keys on smart cards and passphrase-protected keys (through gpg-agent) work.
 *
 * The secret keyring is listed once per instance, on the first `unwrap`; keys added to the
 * keyring afterwards are seen by a new instance.
 */
export class GpgKeySource implements KeySource {
  readonly kind = "pgp" as const;
  readonly #env: Readonly<Record<string, string>>;
  readonly #binary: string;
  readonly #timeoutMs: number;
  readonly #homeDir: string | undefined;
  #keyring: Promise<SecretKeyring | null> | undefined;
  /** Decryptions that showed a passphrase dialog (or ran out of time) and opened nothing, since the last that opened. */
  #unansweredDialogs = 0;

  constructor(options: GpgKeySourceOptions) {
    const env = userEnvironment(options.env);
    this.#env = env;
    const exec = env["SOPS_GPG_EXEC"];
    this.#binary = exec !== undefined && exec !== "" ? exec : "gpg";
    this.#timeoutMs = gpgTimeoutMs(env);
    this.#homeDir = options.homeDir;
  }

  /**
   * Encrypts `dataKey` to the PGP key `recipient.fp` with
   * `gpg --encrypt -a -r <fp> --trusted-key <key id> --no-encrypt-to` (data key on stdin).
   * `--trusted-key` makes an imported but uncertified key usable, as in SOPS.
   *
   * @throws HushError `INVALID_ARGUMENT` for a malformed fingerprint or data key length;
   *   `KEY_SOURCE_FAILED` when gpg cannot encrypt (unknown, expired or unusable key, no gpg).
   */
  async wrap(dataKey: Uint8Array, recipient: MasterKeyRecipient): Promise<PgpKeyEntry> {
    if (recipient.kind !== "pgp") {
      throw new HushError("INVALID_ARGUMENT", `the gpg key source cannot wrap to a ${recipient.kind} key`);
    }
    const fp = normalizePgpFingerprint((recipient as PgpRecipient).fp);
    if (dataKey.length !== 32 && dataKey.length !== 33) {
      throw new HushError("INVALID_ARGUMENT", `a data key to wrap must be 32 bytes (or a 33-byte key share), got ${dataKey.length}`);
    }
    // Taken before encrypting, like SOPS, which stamps the master key when it is created.
    const createdAt = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const args = ["--batch", "--quiet", "--no-default-recipient", "--yes", "--encrypt", "-a", "-r", fp, "--trusted-key", longKeyId(fp), "--no-encrypt-to"];
    const run = await this.#gpg(args, dataKey, { timeoutMs: this.#timeoutMs });
    // Killed at the deadline, gpg "exited with a signal": say it ran out of time, and how to give it more.
    if (run.stopped !== undefined) throw this.#stoppedError(run.stopped, `encrypting the data key to PGP key ${fp}`);
    const enc = run.stdout.toString("utf8").trim();
    if (run.code !== 0 || !enc.startsWith("-----BEGIN PGP MESSAGE-----")) {
      throw new HushError("KEY_SOURCE_FAILED", `gpg could not encrypt to PGP key ${fp}: ${gpgErrorLine(run)}`, {
        hint: `check that the public key ${fp} is in the gpg keyring at ${this.#home() ?? "GNUPGHOME"} and usable for encryption (gpg --list-keys ${fp})`,
      });
    }
    return { kind: "pgp", fp, createdAt, enc };
  }

  /**
   * Decrypts a PGP entry with `gpg --decrypt`, the armored message on stdin.
   *
   * Returns null, without running gpg, for entries of other kinds and for messages whose
   * recipients are not among the keyring's secret keys; also null when gpg reports that it has
   * no secret key for the message.
   *
   * @throws HushError `KEY_SOURCE_FAILED` when gpg fails for another reason (passphrase not given,
   *   corrupt message, no gpg) or returns something that is not a 32/33-byte key.
   */
  async unwrap(entry: MasterKeyEntry): Promise<Uint8Array | null> {
    if (entry.kind !== "pgp") return null;
    return this.#unwrapPgp(entry as PgpKeyEntry);
  }

  async #unwrapPgp(entry: PgpKeyEntry): Promise<Uint8Array | null> {
    const keyring = await this.#secretKeyring();
    const recipients = readMessageRecipients(entry.enc);
    if (keyring !== null && keyring.keyIds.size === 0) return null;
    if (recipients === null) {
      // Not a message hush can read: it cannot be ours unless the entry claims one of our keys.
      // gpg never sees it either: gpg reads armor more leniently, so it could find what the
      // checks below refuse (a passphrase packet) in a message hush cannot read.
      if (keyring !== null && !fingerprintInKeyring(entry.fp, keyring)) return null;
      throw new HushError("KEY_SOURCE_FAILED", `the PGP entry for ${describeFp(entry.fp)} is not an armored OpenPGP message encrypted to a public key`);
    }
    if (keyring !== null && !recipients.anonymous && !recipients.keyIds.some((id) => keyring.keyIds.has(id))) return null;
    if (recipients.passphrase === true) {
      // gpg would ask the reader, through gpg-agent's pinentry, for a passphrase the file's
      // writer chose, in decrypt and in git diff alike, whenever no key of the reader opens it.
      throw new HushError(
        "KEY_SOURCE_FAILED",
        `the PGP entry for ${describeFp(entry.fp)} can also be opened with a passphrase, which SOPS and hush never write; it is not opened, so that gpg does not ask you for one`,
      );
    }
    // The message goes on stdin: file metadata never reaches gpg's command line. The message is
    // the file writer's, so the reader's gpg.conf must not let it act (DECRYPT_ARGS): it goes to
    // stdout only (use-embedded-filename would create the file it names in the working directory,
    // a .sops.yaml or an .npmrc of the writer's), and its signature, which hush does not need, is
    // not checked (auto-key-retrieve would fetch the signer's key from the keyserver the signature
    // names, or by WKD from the signer's domain; an unknown signer would fail the entry).
    if (this.#unansweredDialogs >= MAX_UNANSWERED_DIALOGS) {
      throw new HushError(
        "KEY_SOURCE_FAILED",
        `gpg was not run for the PGP entry for ${describeFp(entry.fp)}: gpg-agent asked for a passphrase ${MAX_UNANSWERED_DIALOGS} times without opening an entry, and would ask again`,
        { hint: UNLOCK_HINT },
      );
    }
    const run = await this.#gpg(DECRYPT_ARGS, entry.enc, {
      maxStdout: MAX_DATA_KEY_OUTPUT,
      timeoutMs: this.#timeoutMs,
    });
    if (run.stopped === "timeout") this.#unansweredDialogs++;
    if (run.stopped !== undefined) throw this.#stoppedError(run.stopped, `decrypting the data key for PGP key ${describeFp(entry.fp)}`);
    const ok = run.code === 0 && run.status.some((line) => line === "DECRYPTION_OKAY");
    const pinentry = run.status.some((line) => line.startsWith("PINENTRY_LAUNCHED"));
    if (ok) this.#unansweredDialogs = 0;
    else if (pinentry) this.#unansweredDialogs++;
    if (!ok) {
      run.stdout.fill(0);
      if (lacksSecretKey(run)) return null;
      const message = `gpg could not decrypt the data key for PGP key ${describeFp(entry.fp)}: ${gpgErrorLine(run)}`;
      throw new HushError("KEY_SOURCE_FAILED", message, pinentry ? { hint: UNLOCK_HINT } : undefined);
    }
    const key = new Uint8Array(run.stdout);
    run.stdout.fill(0);
    if (key.length !== 32 && key.length !== 33) {
      const length = key.length;
      key.fill(0);
      throw new HushError("KEY_SOURCE_FAILED", `the PGP entry for ${describeFp(entry.fp)} decrypted to ${length} bytes, expected a 32-byte data key (or a 33-byte key share)`);
    }
    return key;
  }

  /** The error for a gpg run hush stopped; `what` says what gpg was doing. */
  #stoppedError(why: NonNullable<GpgRun["stopped"]>, what: string): HushError {
    if (why === "output-limit") {
      return new HushError("KEY_SOURCE_FAILED", `gpg stopped while ${what}: it wrote more than ${MAX_DATA_KEY_OUTPUT} bytes, and a data key is 32`, {
        hint: "the file's PGP entry is not a data key hush or SOPS wrote; anyone with the public key can write such an entry: re-create it with `hush updatekeys` or `hush rotate` from a good copy",
      });
    }
    return new HushError("KEY_SOURCE_FAILED", `gpg stopped while ${what}: it did not finish within ${this.#timeoutMs / 1000} s`, {
      hint: "if gpg-agent was waiting for a passphrase, unlock the key first or raise HUSH_GPG_TIMEOUT (seconds, 0 for no limit)",
    });
  }

  /** Where this source looks for secret keys. */
  describeSearch(): readonly string[] {
    const binary = this.#binary === "gpg" ? "" : ` (gpg binary ${this.#binary})`;
    return [`gpg keyring at ${this.#home() ?? "none (no home directory)"}${binary}`];
  }

  /** The keyring directory gpg uses; undefined when there is no home directory to find it in. */
  #home(): string | undefined {
    const home = this.#env["GNUPGHOME"];
    if (home !== undefined && home !== "") return home;
    if (this.#homeDir === "") return undefined;
    return join(this.#homeDir ?? this.#env["HOME"] ?? homedir(), ".gnupg");
  }

  /**
   * Runs gpg, unless it has no keyring to use: without a home directory gpg takes `~/.gnupg`
   * literally, relative to the working directory (a clone can hold a `~/.gnupg` with a
   * gpg-agent.conf naming a pinentry-program of its own), or relative to a relative HOME.
   */
  #gpg(args: readonly string[], input: Uint8Array | string, limits: Parameters<typeof runGpg>[4]): Promise<GpgRun> {
    if (this.#home() === undefined) {
      return Promise.reject(
        new HushError("KEY_SOURCE_FAILED", "gpg was not run: no home directory to find its keyring in (HOME is unset with no user database entry, or not an absolute path)", {
          hint: "set GNUPGHOME to the keyring directory, or HOME to an absolute path",
        }),
      );
    }
    return runGpg(this.#binary, args, this.#env, input, limits);
  }

  /** Lists the secret keys once; null when the listing failed (then every entry is tried). */
  #secretKeyring(): Promise<SecretKeyring | null> {
    this.#keyring ??= this.#listSecretKeys();
    return this.#keyring;
  }

  async #listSecretKeys(): Promise<SecretKeyring | null> {
    const run = await this.#gpg(["--batch", "--with-colons", "--list-secret-keys"], "", { timeoutMs: this.#timeoutMs });
    if (run.stopped !== undefined) throw this.#stoppedError(run.stopped, "listing the secret keys");
    if (run.code !== 0) return null;
    return parseSecretKeys(run.stdout.toString("utf8"));
  }
}

/**
 * Reads `--with-colons` output: each `sec`/`ssb` record is followed by its `fpr` record. Stubs
 * (field 15 = `#`, the secret part is not in this keyring) cannot decrypt and are left out;
 * keys on a smart card (field 15 = card serial number) can and are kept.
 */
function parseSecretKeys(listing: string): SecretKeyring {
  const keyIds = new Set<string>();
  const fingerprints = new Set<string>();
  let available = false;
  for (const line of listing.split("\n")) {
    const fields = line.split(":");
    const type = fields[0];
    if (type === "sec" || type === "ssb") {
      available = fields[14] !== "#";
      if (available && fields[4] !== undefined && fields[4] !== "") keyIds.add(fields[4].toUpperCase());
    } else if (type === "fpr" && available) {
      const fpr = (fields[9] ?? "").toUpperCase();
      if (fpr !== "") {
        fingerprints.add(fpr);
        keyIds.add(fpr.slice(-16));
      }
      available = false;
    } else if (type === "pub" || type === "sub" || type === "uid") {
      available = false;
    }
  }
  return { keyIds, fingerprints };
}

function fingerprintInKeyring(fp: string, keyring: SecretKeyring): boolean {
  const hex = comparablePgpFingerprint(fp).replace(/!$/, "");
  if (!/^[0-9A-F]{16,40}$/.test(hex)) return false;
  for (const fingerprint of keyring.fingerprints) if (fingerprint.endsWith(hex)) return true;
  return false;
}

/**
 * gpg 2.2 reports "No secret key" both when it has none and when the agent could not unlock one,
 * so the status lines decide: no key was considered for a named recipient (or only hidden
 * recipients were tried), and no pinentry was involved.
 */
function lacksSecretKey(run: GpgRun): boolean {
  const status = run.status;
  if (!status.includes("DECRYPTION_FAILED")) return false;
  if (status.some((line) => line.startsWith("PINENTRY_LAUNCHED") || line.startsWith("DECRYPTION_KEY "))) return false;
  const recipients = status.filter((line) => line.startsWith("ENC_TO ")).map((line) => line.split(" ")[1] ?? "");
  if (recipients.length === 0) return false;
  const considered = status.some((line) => line.startsWith("KEY_CONSIDERED "));
  return !considered || recipients.every((id) => id === HIDDEN_RECIPIENT);
}

/** The entry's fingerprint for a message; it comes from the file, so it is quoted if odd. */
function describeFp(fp: string): string {
  return /^(?:0x)?[0-9A-Fa-f]{16,40}!?$/.test(fp) ? fp : quoted(fp, 64);
}
