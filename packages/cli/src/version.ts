import { SOPS_FORMAT_VERSION } from "@hush/core";
import { installedVersion } from "./installation.ts";

/** The CLI package's version. */
export function hushVersion(): string {
  return installedVersion();
}

/** `sops --version`'s answer when hush runs as `sops`: tools parse SOPS's form. */
export function sopsStyleVersion(): string {
  return `sops ${SOPS_FORMAT_VERSION} (hush ${hushVersion()})`;
}
