import { relative } from "node:path";
import { compileRe2, globAsRegex, printable, type CreationRule, type SopsConfig } from "@hush/core";
import type { CheckProblem } from "@hush/git";
import type { CoveringRule } from "./check-rules.ts";

/**
 * A `path_regex` written as a glob: `*.yaml` does not compile (an error of its own), but
 * `secrets/*.yaml` does, and covers no file in `secrets/` (`/*` repeats the slash). Such a rule
 * leaves every file it was written for outside "must be encrypted", so a plaintext secret there
 * passes `hush check`. It is told from the files one check asks about: a rule that reads as a
 * glob, covers none of them, and read as a glob would cover some.
 */

/** How many of the files a rule would cover are named in the message. */
const NAMED_FILES = 5;

interface Asked {
  readonly config: SopsConfig;
  /** Each path asked about (relative to the config's directory) and the rule that covered it. */
  readonly answers: Map<string, CreationRule | undefined>;
}

/** Watches which files one check's creation rules cover, to find a rule written as a glob. */
export class GlobRuleWatch {
  /** By the config file's path. */
  readonly #asked = new Map<string, Asked>();

  /** `covering`, remembering each question and its answer. */
  watch(covering: CoveringRule): CoveringRule {
    return async (config, configName, relativePath) => {
      const rule = await covering(config, configName, relativePath);
      let asked = this.#asked.get(configName);
      if (asked === undefined) this.#asked.set(configName, (asked = { config, answers: new Map() }));
      asked.answers.set(relativePath, rule);
      return rule;
    };
  }

  /**
   * A `rule-written-as-glob` error for each config file (by its path, shown relative to `cwd`)
   * with such a rule among the files asked about; the first such rule of each is named.
   */
  async problems(cwd: string): Promise<Array<{ path: string; display: string; problem: CheckProblem }>> {
    const out: Array<{ path: string; display: string; problem: CheckProblem }> = [];
    for (const [configPath, { config, answers }] of this.#asked) {
      for (const [i, rule] of config.creationRules.entries()) {
        const glob = globAsRegex(rule.pathRegex);
        if (glob === undefined || [...answers.values()].includes(rule)) continue;
        const asGlob = await compileRe2(glob, `creation_rules[${i}].path_regex as a glob`);
        const meant = [...answers.keys()].filter((p) => asGlob(p)).sort();
        if (meant.length === 0) continue;
        const named = meant.slice(0, NAMED_FILES).map((p) => printable(p, 1000)).join(", ") + (meant.length > NAMED_FILES ? ", …" : "");
        out.push({
          path: configPath,
          display: relative(cwd, configPath) || configPath,
          problem: {
            severity: "error",
            code: "rule-written-as-glob",
            message: `creation_rules[${i}].path_regex ${printable(JSON.stringify(rule.pathRegex), 1000)} is RE2 syntax, not a glob: it covers none of the files checked, and as a glob it would cover ${meant.length} of them (${named}), which are not checked as secrets; next: write path_regex: ${printable(JSON.stringify(glob), 1000)}`,
          },
        });
        break;
      }
    }
    return out;
  }
}
