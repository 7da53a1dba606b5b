import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { notJsonText, readSettingFile, statusReason, urlFromSetting } from "../src/index.ts";

describe("the words of a failure before any request", () => {
  const dir = mkdtempSync(join(tmpdir(), "hush-key-http-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a file a setting names that cannot be read: the setting, the path, the error in words; never the content", () => {
    const missing = join(dir, "absent");
    expect(() => readSettingFile(missing, "AZURE_FEDERATED_TOKEN_FILE", "CredentialsUnloadable", "correct or unset AZURE_FEDERATED_TOKEN_FILE")).toThrow(
      `CredentialsUnloadable (cannot read AZURE_FEDERATED_TOKEN_FILE ${missing}: ENOENT, no such file): no request was sent; correct or unset AZURE_FEDERATED_TOKEN_FILE`,
    );
    expect(() => readSettingFile(dir, "VAULT_CACERT", "BadConfiguration", "correct or unset VAULT_CACERT")).toThrow(`BadConfiguration (cannot read VAULT_CACERT ${dir}: EISDIR, a directory, not a file)`);
    expect(() => readSettingFile("/dev/zero", "AZURE_FEDERATED_TOKEN_FILE", "CredentialsUnloadable", "next")).toThrow("cannot read AZURE_FEDERATED_TOKEN_FILE /dev/zero: not a regular file (a device or socket)");
    const large = join(dir, "large");
    writeFileSync(large, Buffer.alloc(4 * 1024 * 1024 + 1));
    expect(() => readSettingFile(large, "VAULT_CACERT", "BadConfiguration", "next")).toThrow(`cannot read VAULT_CACERT ${large}: larger than 4194304 bytes`);
    const readable = join(dir, "token");
    writeFileSync(readable, "the-token");
    expect(readSettingFile(readable, "X", "CredentialsUnloadable", "next").toString()).toBe("the-token");
  });

  it("a setting that is not a URL is named, its value (which may hold a password) is not shown", () => {
    expect(() => urlFromSetting("http//user:pw-secret@host", "IDENTITY_ENDPOINT")).toThrow(/^BadConfiguration \(IDENTITY_ENDPOINT is not an absolute URL\): no request was sent; correct or unset IDENTITY_ENDPOINT$/);
    expect(urlFromSetting("http://127.0.0.1:4/msi", "IDENTITY_ENDPOINT").pathname).toBe("/msi");
  });

  it("one reason per status for every key service, and a page that is not JSON named by its media type only", () => {
    expect([401, 403, 404, 429, 400, 409, 500, 502, 503].map(statusReason)).toEqual(["Unauthorized", "AccessDenied", "KeyNotFound", "Throttled", "Refused", "Refused", "ServerError", "ServerError", "ServerError"]);
    expect(notJsonText({ status: 502, headers: { "content-type": "Text/HTML; charset=utf-8" }, body: undefined })).toBe("the answer is not JSON (text/html): not the service's own; is a proxy or gateway in between?");
    expect(notJsonText({ status: 502, headers: { "content-type": "\u001b[31mevil" }, body: undefined })).toBe("the answer is not JSON: not the service's own; is a proxy or gateway in between?");
    expect(notJsonText({ status: 502, headers: {}, body: { errors: [] } })).toBeUndefined();
  });
});
