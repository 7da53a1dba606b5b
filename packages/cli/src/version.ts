import { readFileSync } from "node:fs";
import { SOPS_FORMAT_VERSION } from "@hush/core";

/** The CLI package's version, read from its package.json. */
export function hushVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** `sops --version`'s answer when hush runs as `sops`: tools parse SOPS's form. */
export function sopsStyleVersion(): string {
  return `sops ${SOPS_FORMAT_VERSION} (hush ${hushVersion()})`;
}
