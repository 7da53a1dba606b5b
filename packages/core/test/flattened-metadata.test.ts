import { describe, expect, it } from "vitest";
import { unflattenMetadata } from "@hush/core";

/**
 * Flattened metadata (dotenv `sops_…` lines, INI `[sops]` keys) read as SOPS reads it
 * (stores/flatten.go `tokenize`): every `__map_` and `__list_` is a step, and a list index is what
 * Go's strconv.Atoi makes of the text after `__list_`, 0 when it is no number. An index that is not
 * plain decimal names another entry for SOPS than for a reader of JavaScript numbers, so no such
 * key is read. (The threshold and mac_only_encrypted as text: metadata-scalars.test.ts.)
 */
const entries = (index: string): Array<[string, string]> => [
  ["age__list_0__map_recipient", "age1alice"],
  ["age__list_0__map_enc", "x"],
  [`pgp__list_${index}__map_fp`, "F"],
  [`pgp__list_${index}__map_enc`, "x"],
];

describe("flattened metadata, read as SOPS reads it", () => {
  it("refuses a list index that is not plain decimal, naming the key", () => {
    // SOPS reads each of these as pgp[0] (Atoi: no number, or a sign) or pgp[1] (`+1`).
    for (const index of ["x", "+1", "-0", " 0", "0 ", "", "00", "01", "0.5", "1.5", "1e0", "0x0", "\u0660"]) {
      expect(() => unflattenMetadata(entries(index)), JSON.stringify(index)).toThrow(
        expect.objectContaining({ code: "METADATA_INVALID", message: expect.stringContaining(`pgp__list_${index}__map_`) as unknown }) as Error,
      );
    }
    expect(() => unflattenMetadata(entries("0.5"))).toThrow("invalid sops metadata: the list index in pgp__list_0.5__map_fp is not plain decimal");
  });

  it("takes every `__map_` and `__list_` as a step, as SOPS's tokenizer does", () => {
    // SOPS ends a step's name at the next separator, which starts after the whole of the last one.
    expect(unflattenMetadata([["notes__map__map_x", "v"]])).toEqual({ notes: { _map_x: "v" } });
    expect(unflattenMetadata([["notes__map__list_0", "v"]])).toEqual({ notes: { _list_0: "v" } });
    expect(unflattenMetadata([["a___map_b", "v"]])).toEqual({ a_: { b: "v" } });
    expect(unflattenMetadata([["age__list_0__map_recipient", "r"], ["age__list_1__map_recipient", "s"], ["age__list_10__map_recipient", "t"], ...Array.from({ length: 8 }, (_, i): [string, string] => [`age__list_${i + 2}__map_recipient`, "u"])])).toMatchObject({
      age: expect.arrayContaining([{ recipient: "r" }, { recipient: "s" }, { recipient: "t" }]) as unknown,
    });
    // `__list_` followed by no number is a step too (index 0 for SOPS): refused, not a field named so.
    expect(() => unflattenMetadata([["age__list___map_recipient", "r"]])).toThrow("age__list___map_recipient");
  });
});
