import { describe, expect, it } from "vitest";
import { isHushError } from "@hush/core";
import {
  parseEncryptionContext,
  parseKmsArn,
  parseKmsArnList,
  roleSessionName,
  validateContext,
  validateProfile,
  validateRoleArn,
} from "@hush/key-source-aws-kms";

const KEY = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE = "arn:aws:iam::111122223333:role/hush-ci";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isHushError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("parseKmsArn", () => {
  it("accepts key and alias ARNs of every known partition", () => {
    expect(parseKmsArn(KEY)).toEqual({
      partition: "aws",
      region: "eu-west-1",
      account: "111122223333",
      resourceType: "key",
      resource: "1234abcd-12ab-34cd-56ef-1234567890ab",
    });
    expect(parseKmsArn("arn:aws-cn:kms:cn-north-1:111122223333:alias/prod/app").region).toBe("cn-north-1");
    expect(parseKmsArn("arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab").partition).toBe(
      "aws-us-gov",
    );
    expect(parseKmsArn("arn:aws-iso-b:kms:us-isob-east-1:111122223333:alias/x_y-z").resourceType).toBe("alias");
    // The European Sovereign Cloud's regions have a four-letter prefix.
    expect(parseKmsArn("arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab").region).toBe("eusc-de-east-1");
  });

  it.each([
    ["bare traversal", "arn:aws:kms:../.."],
    ["path traversal", "arn:aws:kms:../..:111122223333:key/abc"],
    ["traversal in the key id", "arn:aws:kms:eu-west-1:111122223333:key/../../x"],
    ["space", "arn:aws:kms:eu-west-1:111122223333:key/abc def"],
    ["leading space", " arn:aws:kms:eu-west-1:111122223333:key/abc"],
    ["newline", "arn:aws:kms:eu-west-1:111122223333:key/abc\nx-injected: 1"],
    ["carriage return", "arn:aws:kms:eu-west-1\r:111122223333:key/abc"],
    ["NUL", "arn:aws:kms:eu-west-1:111122223333:key/abc\u0000"],
    ["non-digit account", "arn:aws:kms:eu-west-1:11112222333x:key/abc"],
    ["short account", "arn:aws:kms:eu-west-1:1111:key/abc"],
    ["host as region", "arn:aws:kms:evil.example.com:111122223333:key/abc"],
    ["region with slash", "arn:aws:kms:eu-west-1/x:111122223333:key/abc"],
    ["region with at sign", "arn:aws:kms:u@h:111122223333:key/abc"],
    ["region with colon", "arn:aws:kms:eu:west:1:111122223333:key/abc"],
    ["uppercase region", "arn:aws:kms:EU-WEST-1:111122223333:key/abc"],
    ["region without number", "arn:aws:kms:eu-west:111122223333:key/abc"],
    ["unknown partition", "arn:aws-evil:kms:eu-west-1:111122223333:key/abc"],
    ["other service", "arn:aws:s3:eu-west-1:111122223333:key/abc"],
    ["no resource", "arn:aws:kms:eu-west-1:111122223333:key/"],
    ["query in resource", "arn:aws:kms:eu-west-1:111122223333:key/abc?x=1"],
    ["unicode line separator", "arn:aws:kms:eu-west-1:111122223333:key/abc\u2028"],
    ["empty", ""],
  ])("rejects %s", (_name, arn) => {
    expect(codeOf(() => parseKmsArn(arn))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => parseKmsArn(arn, "METADATA_INVALID"))).toBe("METADATA_INVALID");
  });

  it("rejects non-strings and overlong ARNs", () => {
    expect(codeOf(() => parseKmsArn(42))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => parseKmsArn(`arn:aws:kms:eu-west-1:111122223333:alias/${"a".repeat(3000)}`))).toBe("INVALID_ARGUMENT");
  });

  it("escapes hostile text in messages", () => {
    try {
      parseKmsArn("arn:aws:kms:x\n\u001b[31mred:111122223333:key/a");
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toMatch(/[\n\u001b]/);
      expect((e as Error).message).toContain("\\n");
    }
  });
});

describe("role, profile and context validation", () => {
  it("accepts sane values and empty strings", () => {
    expect(validateRoleArn(ROLE)).toBe(ROLE);
    expect(validateRoleArn("arn:aws-cn:iam::111122223333:role/path/to/role+x=y,z.@-")).toContain("role/path");
    expect(validateRoleArn("")).toBe("");
    expect(validateProfile("dev-admin")).toBe("dev-admin");
    expect(validateProfile("")).toBe("");
  });

  it.each([
    "arn:aws:iam::11112222333:role/x",
    "arn:aws:iam::111122223333:user/x",
    "arn:aws:iam::111122223333:role/x y",
    "arn:aws:iam::111122223333:role/x\n",
    "arn:aws:sts::111122223333:role/x",
    "arn:evil:iam::111122223333:role/x",
  ])("rejects role %j", (role) => {
    expect(codeOf(() => validateRoleArn(role, "METADATA_INVALID"))).toBe("METADATA_INVALID");
  });

  it.each(["a b", "x\ny", "[default]", "a".repeat(129)])("rejects profile %j", (profile) => {
    expect(codeOf(() => validateProfile(profile))).toBe("INVALID_ARGUMENT");
  });

  it("checks context shapes", () => {
    expect(validateContext({ a: "1", b: "" })).toEqual({ a: "1", b: "" });
    expect(codeOf(() => validateContext({ a: 1 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => validateContext(["a"]))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => validateContext(null))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => validateContext({ "": "x" }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => validateContext({ a: "x\ny" }))).toBe("INVALID_ARGUMENT");
  });

  it("makes session names STS accepts", () => {
    expect(roleSessionName("build-host.example.com")).toBe("sops@build-host.example.com");
    expect(roleSessionName("weird host/[name]^")).toBe("sops@weirdhostname");
    expect(roleSessionName("h".repeat(100))).toHaveLength(64);
  });
});

describe("parseKmsArnList", () => {
  it("parses ARNs, roles and spaces like SOPS", () => {
    const list = parseKmsArnList(` ${KEY} , ${KEY.replace("eu-west-1", "us-east-2")}+${ROLE},`, {
      context: { env: "prod" },
      awsProfile: "ci",
    });
    expect(list).toEqual([
      { kind: "kms", arn: KEY, role: "", context: { env: "prod" }, awsProfile: "ci" },
      { kind: "kms", arn: KEY.replace("eu-west-1", "us-east-2"), role: ROLE, context: { env: "prod" }, awsProfile: "ci" },
    ]);
    expect(parseKmsArnList("")).toEqual([]);
  });

  it("splits the role of any partition at +arn:", () => {
    const cn = "arn:aws-cn:kms:cn-north-1:111122223333:key/k1";
    const cnRole = "arn:aws-cn:iam::111122223333:role/r";
    expect(parseKmsArnList(`${cn}+${cnRole}`)[0]).toMatchObject({ arn: cn, role: cnRole });
  });

  it("rejects invalid items", () => {
    expect(codeOf(() => parseKmsArnList(`${KEY},arn:aws:kms:../..:1:key/x`))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => parseKmsArnList(`${KEY}+arn:aws:iam::1:role/x`))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => parseKmsArnList("not-an-arn"))).toBe("INVALID_ARGUMENT");
  });
});

describe("parseEncryptionContext", () => {
  it("parses k:v lists", () => {
    expect(parseEncryptionContext("k1:v1,k2:v2")).toEqual({ k1: "v1", k2: "v2" });
    expect(parseEncryptionContext("")).toEqual({});
    expect(parseEncryptionContext("a:1,a:2")).toEqual({ a: "2" });
    expect(parseEncryptionContext("a:")).toEqual({ a: "" });
  });

  it("keeps a __proto__ key as an ordinary entry", () => {
    const ctx = parseEncryptionContext("__proto__:x");
    expect(Object.keys(ctx)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype);
  });

  it.each(["k1", "k1:v1:x", "k1:v1,", ",k1:v1", ":v"])("rejects %j", (text) => {
    expect(codeOf(() => parseEncryptionContext(text))).toBe("INVALID_ENCRYPTION_CONTEXT");
  });
});
