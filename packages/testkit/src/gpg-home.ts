import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sopsVector } from "./tmp-dir.ts";

/** Fingerprints of the keys in SOPS's functional-test key file (`sops_functional_tests_key.asc`). */
export const SOPS_TEST_PGP_KEYS = {
  /** RSA-2048, secret key included; opens every PGP fixture. */
  key1: "FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4",
  /** RSA-1024, secret key included; second recipient of `multiple_keys.yaml`. */
  key2: "D7229043384BCC60326C6FB9D8720D957C3D3074",
  /** RSA-2048, public key only: files can be encrypted to it but not opened. */
  publicOnly: "B611A2F9F11D0FF82568805119F9B5DAEA91FF86",
} as const;

/** A temporary GnuPG home with the SOPS test keys. */
export interface GnupgHome {
  /** The GNUPGHOME directory (mode 0700). */
  readonly home: string;
  /** `process.env` with `GNUPGHOME` pointing at `home`, for key sources and child processes. */
  readonly env: Record<string, string | undefined>;
  /** Stops this home's gpg-agent and removes the directory. */
  readonly cleanup: () => void;
}

/** Options of {@link makeGnupgHome}. */
export interface GnupgHomeOptions {
  /**
   * Import only this secret key (with its public key) instead of the whole key file, to prove
   * that one key alone opens a file.
   */
  readonly onlySecretKey?: string;
}

const INSTALL_HINT = "gpg (GnuPG 2.2 or later) is required by the PGP tests: apt-get install -y gnupg";

/**
 * Creates a private GNUPGHOME and imports the SOPS functional-test keys into it
 * (`gpg --batch --import`), or only one secret key with `onlySecretKey`.
 *
 * @throws Error naming the package to install when gpg is missing.
 */
export function makeGnupgHome(options: GnupgHomeOptions = {}): GnupgHome {
  if (options.onlySecretKey !== undefined) {
    const full = makeGnupgHome();
    let exported: Buffer;
    try {
      exported = gpg(full.env, ["--batch", "--armor", "--export-secret-keys", options.onlySecretKey]);
    } finally {
      full.cleanup();
    }
    if (exported.length === 0) throw new Error(`no secret key ${options.onlySecretKey} in ${sopsVector("sops_functional_tests_key.asc")}`);
    const single = emptyHome();
    try {
      gpg(single.env, ["--batch", "--import"], exported);
    } catch (error) {
      single.cleanup();
      throw error;
    }
    return single;
  }
  const home = emptyHome();
  try {
    gpg(home.env, ["--batch", "--import", sopsVector("sops_functional_tests_key.asc")]);
  } catch (error) {
    home.cleanup();
    throw error;
  }
  return home;
}

function emptyHome(): GnupgHome {
  const home = mkdtempSync(join(tmpdir(), "hush-gnupg-"));
  // gpg warns about (and gpg-agent may refuse) a home readable by others.
  chmodSync(home, 0o700);
  const env: Record<string, string | undefined> = { ...process.env, GNUPGHOME: home };
  const cleanup = (): void => {
    // gpg starts a gpg-agent per home on first use of a secret key; do not leave it running.
    spawnSync("gpgconf", ["--kill", "gpg-agent"], { env, stdio: "ignore" });
    spawnSync("gpgconf", ["--remove-socketdir"], { env, stdio: "ignore" });
    rmSync(home, { recursive: true, force: true });
  };
  return { home, env, cleanup };
}

/** Runs gpg synchronously and returns its stdout; throws with gpg's stderr when it fails. */
function gpg(env: Record<string, string | undefined>, args: readonly string[], input?: Buffer): Buffer {
  const result = spawnSync("gpg", args, { env, input: input ?? Buffer.alloc(0), maxBuffer: 16 * 1024 * 1024 });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `gpg not found on PATH. ${INSTALL_HINT}` : `cannot run gpg: ${result.error.message}. ${INSTALL_HINT}`);
  }
  if (result.status !== 0) throw new Error(`gpg ${args.join(" ")} failed (exit ${String(result.status)}): ${result.stderr.toString("utf8").trim()}`);
  return result.stdout;
}
