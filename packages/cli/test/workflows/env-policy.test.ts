import { describe, expect, it } from "vitest";
import { checkEnvironmentNames, startupVariableReason } from "../../src/workflows/env-policy.ts";

describe("exec-env's variable policy", () => {
  it("refuses start-up variables by exact name and by family prefix, whatever the case", () => {
    for (const name of ["PATH", "path", "LD_AUDIT", "DYLD_LIBRARY_PATH", "BASH_FUNC_cd%%", "PYTHONHOME", "PERL5LIB", "RUBYLIB", "GIT_EXEC_PATH", "GIT_CONFIG_KEY_0", "npm_config_script_shell", "CORECLR_PROFILER_PATH_64"]) {
      expect(startupVariableReason(name), name).toBeDefined();
    }
  });

  it("lets ordinary secrets and settings through", () => {
    for (const name of ["AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "DATABASE_URL", "GITHUB_TOKEN", "GITLAB_TOKEN", "NPM_TOKEN", "NODE_ENV", "HTTPS_PROXY", "API_KEY", "PORT", "LANG", "TZ", "USER"]) {
      expect(startupVariableReason(name), name).toBeUndefined();
    }
  });

  it("--allow-env names are exact", () => {
    expect(() => checkEnvironmentNames("f.env", ["PATH", "A"], new Set(["PATH"]))).not.toThrow();
    expect(() => checkEnvironmentNames("f.env", ["PATH"], new Set(["path"]))).toThrow(/--allow-env PATH/);
  });
});
