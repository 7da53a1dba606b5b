import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import { jsonStore } from "../../src/stores/json-store.ts";

/**
 * A top-level JSON member that Go's encoding/json takes for `sops` (`SOPS`, `Sops`, `ſops`): SOPS
 * before 3.13 decodes every such member into one metadata struct, in file order, so one after
 * the real `sops` replaces its fields and one before it adds the fields `sops` lacks (hush writes
 * only the lists it uses: a `pgp` or `kms` list of its own). The end-to-end twin with real SOPS is
 * in test/interop/metadata-lookalikes.test.ts.
 */

const sops = '"sops": {"age": [{"recipient": "age1x", "enc": "x"}], "lastmodified": "2025-01-01T00:00:00Z", "mac": "", "version": "3.13.2"}';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isHushError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error("expected a refusal");
}

describe("a top-level JSON member read as sops", () => {
  it.each(["SOPS", "Sops", "\u017Fops"])("%s before or after the real sops is refused, naming its line", (name) => {
    const member = `"${name}": {"pgp": [{"fp": "F", "enc": "x", "created_at": "2025-01-01T00:00:00Z"}]}`;
    expect(refusal(() => jsonStore.parse(`{\n"a": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]",\n${member},\n${sops}\n}\n`))).toMatch(
      /^PARSE_FAILED: invalid JSON: the top-level key \["(SOPS|Sops|\\u017fops|ſops)"\] at line 3 is read by SOPS \(before 3\.13\) as part of the file's sops metadata; remove it$/,
    );
    expect(refusal(() => jsonStore.parse(`{\n"a": 1,\n${sops},\n${member}\n}\n`))).toMatch(/^PARSE_FAILED: invalid JSON: the top-level key .* at line 4 is read by SOPS/);
  });

  it("a plaintext may hold one, but hush encrypt refuses to append sops beside it", () => {
    const plaintext = '{\n  "password": "p",\n  "SOPS": {"user": "x"}\n}\n';
    expect(() => jsonStore.parse(plaintext)).not.toThrow();
    expect(refusal(() => jsonStore.appendMetadata(plaintext, { version: "3.13.2" }, 1, {}))).toMatch(/^PARSE_FAILED: invalid JSON: the top-level key \["SOPS"\] at line 3 is read by SOPS \(before 3\.13\) as part of the file's sops metadata; remove it$/);
  });

  it("a nested member, or a longer key that folds otherwise, is data", () => {
    expect(() => jsonStore.parse(`{\n"a": {"SOPS": 1},\n"SOPS_x": 2,\n${sops}\n}\n`)).not.toThrow();
  });
});
