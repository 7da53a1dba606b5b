import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { sopsVector } from "@hush/testkit";

/** Absolute path of a program on PATH; fails the test with an install hint when it is missing. */
export function requireTool(name: string, aptPackage: string): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(`${name} is required for this test: install it with \`apt-get install -y ${aptPackage}\``);
}

/** Generates an unencrypted SSH key pair with ssh-keygen; returns the private key path and the public key line. */
export function sshKeygen(dir: string, name: string, args: readonly string[]): { path: string; publicKey: string } {
  const tool = requireTool("ssh-keygen", "openssh-client");
  const path = join(dir, name);
  execFileSync(tool, ["-q", "-N", "", "-C", `${name}@test`, "-f", path, ...args], { stdio: ["ignore", "ignore", "inherit"] });
  return { path, publicKey: readFileSync(`${path}.pub`, "utf8").trim() };
}

export interface AgeMockVectors {
  mockRecipient: string;
  mockIdentity: string;
  mockHybridIdentity: string;
  mockOtherIdentity: string;
  mockEncryptedKey: string;
  mockEncryptedKeyPlain: string;
  mockIdentityPassphrase: string;
  mockEncryptedIdentity: string;
  mockSshRecipient: string;
  mockSshIdentity: string;
  mockEncryptedSshKey: string;
}

/** SOPS's own age test vectors (testdata/sops/age-mock-vectors.json; see its README). */
export function ageVectors(): AgeMockVectors {
  return JSON.parse(readFileSync(sopsVector("age-mock-vectors.json"), "utf8")) as AgeMockVectors;
}

/** A random 32-byte data key. */
export function randomKey(): Uint8Array {
  return new Uint8Array(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}
