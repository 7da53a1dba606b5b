import { describe, expect, it } from "vitest";
import { CheckAttrAnswers } from "../../src/commands/git/attribute-reader.ts";

const answer = (path: string, value: string): string => `${path}\0diff\0${value}\0`;

describe("CheckAttrAnswers", () => {
  it("gives each answer's value once it is complete, across any split of the output", () => {
    const output = Buffer.from(answer("a.enc.yaml", "hush") + answer("dir/ü.txt", "unspecified") + answer("b", "hüsh"));
    for (let cut = 0; cut <= output.length; cut++) {
      const answers = new CheckAttrAnswers();
      const values = [...answers.push(output.subarray(0, cut)), ...answers.push(output.subarray(cut))];
      expect(values, `cut at byte ${cut}`).toEqual(["hush", "unspecified", "hüsh"]);
    }
  });

  it("reads a chunk of many answers in one pass", () => {
    const many = 20_000;
    const output = Buffer.from(Array.from({ length: many }, (_, i) => answer(`secrets/file-${i}.enc.yaml`, i % 2 === 0 ? "hush" : "unset")).join(""));
    const values = new CheckAttrAnswers().push(output);
    expect(values).toHaveLength(many);
    expect(values[0]).toBe("hush");
    expect(values[many - 1]).toBe("unset");
  });
});
