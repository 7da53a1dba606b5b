/**
 * Which AWS profiles and IAM roles named in a file (or a repository's `.sops.yaml`) hush may use.
 *
 * A file's `aws_profile` selects a profile from the reader's own AWS config, and that profile
 * may run a `credential_process` command (or an SSO login, or a chain of roles): without a
 * check, a cloned repository's file would make `git diff` (textconv) run commands from the
 * user's config. A file's `role` makes hush call STS AssumeRole with the user's credentials on
 * a role the file chose, which tells that role's account who the user is and acts as a
 * principal the user did not pick. Both are therefore used only when the user allows them:
 * `HUSH_AWS_PROFILES` / `HUSH_AWS_ROLES` (comma-separated names / role ARNs, `*` for any), the
 * profile in `AWS_PROFILE`, or the `--aws-profile` / `--kms ARN+ROLE` flags of the command.
 */
import { HushError } from "@hush/core";
import { describeUntrusted } from "./arn.ts";

/** Profiles and roles the user allows files to select. */
export interface AwsTrust {
  readonly profiles: readonly string[];
  readonly roles: readonly string[];
}

function list(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
}

/**
 * The allowance from the environment: `HUSH_AWS_PROFILES`, `HUSH_AWS_ROLES`, and the profile the
 * user selected for every AWS tool with `AWS_PROFILE`.
 */
export function awsTrustFromEnv(env: Readonly<Record<string, string | undefined>>): AwsTrust {
  const profiles = list(env["HUSH_AWS_PROFILES"]);
  const selected = env["AWS_PROFILE"];
  if (selected !== undefined && selected !== "") profiles.push(selected);
  return { profiles, roles: list(env["HUSH_AWS_ROLES"]) };
}

/** Both allowances together. */
export function mergeAwsTrust(a: AwsTrust, b: Partial<AwsTrust>): AwsTrust {
  return { profiles: [...a.profiles, ...(b.profiles ?? [])], roles: [...a.roles, ...(b.roles ?? [])] };
}

/** Throws unless the profile and role of a KMS key are "" or allowed. Runs before any AWS call. */
export function checkAwsTrust(trust: AwsTrust, arn: string, profile: string, role: string): void {
  if (profile !== "" && !trust.profiles.includes(profile) && !trust.profiles.includes("*")) {
    throw new HushError(
      "KEY_SOURCE_FAILED",
      `AWS KMS key ${arn}: the file asks for the AWS profile ${describeUntrusted(profile)} of your AWS config; hush uses a profile named by a file only when you allow it: set HUSH_AWS_PROFILES=${profile} (or AWS_PROFILE)`,
    );
  }
  if (role !== "" && !trust.roles.includes(role) && !trust.roles.includes("*")) {
    throw new HushError(
      "KEY_SOURCE_FAILED",
      `AWS KMS key ${arn}: the file asks to assume the IAM role ${describeUntrusted(role)}; hush assumes a role named by a file only when you allow it: set HUSH_AWS_ROLES=${role}`,
    );
  }
}
