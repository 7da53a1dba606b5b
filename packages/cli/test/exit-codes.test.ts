import { describe, expect, it } from "vitest";
import { HushError, type ErrorCode } from "@hush/core";
import { EXIT, exitCodeFor, exitCodeOfError } from "../src/exit-codes.ts";

/** The statuses scripts written for sops depend on (cmd/sops/codes/codes.go), one code each at least. */
const SOPS_STATUS: ReadonlyArray<readonly [ErrorCode, number]> = [
  ["READ_FAILED", 2],
  ["NOT_UTF8", 2],
  ["WRITE_FAILED", 3],
  ["WRITE_REFUSED", 3],
  ["EMIT_FAILED", 4],
  ["INVALID_ENCRYPTION_CONTEXT", 6],
  ["INVALID_SET_VALUE", 7],
  ["INVALID_SET_PATH", 7],
  ["CONFLICTING_OPTIONS", 8],
  ["NOTHING_ENCRYPTED", 23],
  ["VALUE_TAMPERED", 25],
  ["REKEY_MISSING_FILE", 49],
  ["MAC_MISMATCH", 51],
  ["INVALID_TREE_PATH", 91],
  ["NO_DOCUMENT", 92],
  ["NO_FILE", 100],
  ["FILE_NOT_FOUND", 100],
  ["MISSING_ARGUMENT", 100],
  ["NO_MATCHING_KEY", 128],
  ["KEY_SOURCE_FAILED", 128],
  // SOPS's encrypt, rotate and updatekeys return their "Could not generate data key" as status 1.
  ["KEY_WRAP_FAILED", 1],
  ["NOT_MODIFIED", 200],
  ["NO_EDITOR", 201],
  ["EDITOR_FAILED", 201],
  ["ALREADY_ENCRYPTED", 203],
  ["RESOLUTION_ABANDONED", 1],
  ["UNCLASSIFIED", 1],
];

describe("exit statuses", () => {
  it.each(SOPS_STATUS)("%s exits %i", (code, status) => {
    expect(exitCodeFor(code)).toBe(status);
    expect(exitCodeOfError(new HushError(code, "x"))).toBe(status);
  });

  it("gives 1 for anything that is not a HushError, and for a code this table does not know", () => {
    expect(exitCodeOfError(new RangeError("x"))).toBe(EXIT.generic);
    expect(exitCodeOfError("text")).toBe(EXIT.generic);
    expect(exitCodeFor("NEWER_CODE" as ErrorCode)).toBe(EXIT.generic);
  });

  it("gives 1 for a name every object has, and for what is not a code (exitCodeFor is exported to JavaScript)", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) expect(exitCodeFor(name as ErrorCode), name).toBe(EXIT.generic);
    expect(exitCodeFor(new HushError("MAC_MISMATCH", "x") as unknown as ErrorCode)).toBe(EXIT.generic);
  });
});
