import { spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bash, CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * Secrets at run time, attacked: how a command's end reaches hush's status when hush's own reader
 * goes away or the user presses Ctrl+C in a script, what a command run with `--redact` can still
 * get into a log, and which variables in a file (which anyone who can encrypt to it may add) make
 * the command run other programs, or point the bundled hush at a code cache (whose own check is in
 * test/install/code-cache.test.ts).
 */

const TOKEN = "tok-5be1c0de-run-time";

describe("hush exec-env --redact when whatever reads hush's output goes away", () => {
  let k: KeyedDir;
  let f: string;
  beforeAll(() => {
    k = keyedDir();
    f = encryptFile(k, "app.env", `TOKEN=${TOKEN}\n`);
    // Writes a line, then another once `head -1` has gone, then (300 ms later) reports on stderr
    // and either writes to stdout once more or not at all, then exits 3 after marking its end.
    writeFileSync(
      k.path("writer.sh"),
      'echo line1; sleep 0.3; echo line2; sleep 0.3\necho "late: $TOKEN" >&2\nif [ "$1" = again ]; then echo line3; fi\nsleep 0.3; touch "$2"; exit 3\n',
    );
  });
  afterAll(() => k.cleanup());

  it("a command that writes again is ended by SIGPIPE, as without --redact, and hush returns 141 after it", () => {
    for (const redact of [[], ["--redact"]]) {
      const marker = `ended-${redact.length}`;
      const r = bash(k, `hush exec-env ${redact.join(" ")} app.env -- sh writer.sh again ${marker} | head -1; echo "hush-status=\${PIPESTATUS[0]}"; sleep 1; [ -e ${marker} ] && echo "outlived hush"; true`);
      expect(r.stdout, redact.join(" ")).toBe("line1\nhush-status=141\n");
      // Through hush's pipe the command learns one write later: line2 was written (to hush), line3 was not.
      expect(r.stderr).toBe(redact.length === 0 ? "" : "late: [redacted]\n");
    }
  });

  it("a command that no longer writes to stdout keeps its stderr and its status: hush waits for it, leaving nothing running", () => {
    const r = bash(k, `hush exec-env --redact ${f} -- sh writer.sh quiet ended | head -1; echo "hush-status=\${PIPESTATUS[0]}"; [ -e ended ] && echo "command ended before hush"; true`);
    expect(r.stdout).toBe("line1\nhush-status=3\ncommand ended before hush\n");
    expect(r.stderr).toBe("late: [redacted]\n");
  });

  it("a full disk under hush's output drops the rest of it, says so once, and the command goes on as it would", () => {
    const r = bash(k, `hush exec-env --redact ${f} -- sh -c 'echo "$TOKEN"; sleep 0.3; echo "late: $TOKEN" >&2; echo more; exit 5' > /dev/full; echo "hush-status=$?"`);
    expect(r.stdout).toBe("hush-status=5\n");
    expect(r.stderr).toBe("hush: cannot write the command's output (ENOSPC); the rest of it is dropped\nlate: [redacted]\n");
  });

  it("exec-file --redact: the same, the command ended by SIGPIPE at its next write", () => {
    const r = bash(k, `hush exec-file --redact ${f} -- sh -c 'cat "$1"; sleep 0.3; echo more; sleep 0.3; echo more; exit 4' sh {} | head -1; echo "hush-status=\${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe("TOKEN=[redacted]\nhush-status=141\n");
  });
});

describe("Ctrl+C in a script that runs hush", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
    encryptFile(k, "app.env", `TOKEN=${TOKEN}\n`);
  });
  afterAll(() => k.cleanup());

  /**
   * Runs a deploy loop in a process group of its own, as a terminal's foreground job, and sends
   * the group SIGINT, as Ctrl+C does, once the first program is running. `run` prefixes it.
   */
  async function interruptLoop(run: string, command = `${run} sh -c 'echo ready; sleep 5'`, env: Record<string, string> = {}): Promise<{ stdout: string; signal: NodeJS.Signals | null }> {
    const script = `hush() { "$NODE" "$HUSH_JS" "$@"; }\nfor env in staging prod; do echo "deploying $env"; ${command}; echo "status $?"; done; echo "loop done"`;
    const loop = spawn("bash", ["-c", script], {
      cwd: k.dir,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", NODE: process.execPath, HUSH_JS: CLI_JS, ...k.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let sent = false;
    loop.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes("ready")) {
        sent = true;
        process.kill(-loop.pid!, "SIGINT");
      }
    });
    const timer = setTimeout(() => process.kill(-loop.pid!, "SIGKILL"), 20_000);
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => loop.on("close", (_code, sig) => resolve(sig)));
    clearTimeout(timer);
    return { stdout, signal };
  }

  it("stops the script, as when the script runs the program itself: hush dies of SIGINT when its command did", async () => {
    for (const run of ["", "hush exec-env app.env --", "hush exec-env --redact app.env --", "hush exec-file app.env --", "hush exec-file --redact app.env --"]) {
      const r = await interruptLoop(run);
      expect(r.stdout, run).toBe("deploying staging\nready\n");
      expect(r.signal, run).toBe("SIGINT");
    }
  }, 60_000);

  it("hush edit: Ctrl+C that ends the editor stops the script too, after the plaintext file is removed and the file left as it was", async () => {
    const before = readFileSync(k.path("app.env"));
    // Like a terminal editor: it has the plaintext file open when the user presses Ctrl+C.
    writeFileSync(k.path("editor.sh"), `#!/bin/sh\necho "$1" > ${JSON.stringify(k.path("editor-had"))}\necho ready\nsleep 5\n`);
    chmodSync(k.path("editor.sh"), 0o755);
    const r = await interruptLoop("", "hush edit app.env", { EDITOR: k.path("editor.sh") });
    expect(r.stdout).toBe("deploying staging\nready\n");
    expect(r.signal).toBe("SIGINT");
    expect(existsSync(readFileSync(k.path("editor-had"), "utf8").trim())).toBe(false);
    expect(readFileSync(k.path("app.env")).equals(before)).toBe(true);
  }, 30_000);

  it("hush edit: an editor that dies of SIGINT gives $? = 130; one stopped by SIGTERM is still a canceled edit (1), one killed otherwise 201", () => {
    const before = readFileSync(k.path("app.env"));
    writeFileSync(k.path("dying-editor.sh"), '#!/bin/sh\nkill -"$DIE_OF" $$\n');
    chmodSync(k.path("dying-editor.sh"), 0o755);
    const editor = k.path("dying-editor.sh");
    const r = bash(k, `for s in INT TERM KILL; do DIE_OF=$s EDITOR=${JSON.stringify(editor)} hush edit app.env 2>>err.txt; echo "$s=$?"; done`);
    expect(r.stdout).toBe("INT=130\nTERM=1\nKILL=201\n");
    expect(readFileSync(k.path("err.txt"), "utf8")).toBe("hush: User canceled operation\nhush: User canceled operation\nhush: the editor was killed by SIGKILL; app.env was not changed\n");
    expect(readFileSync(k.path("app.env")).equals(before)).toBe(true);
  });

  it("the shell still sees status 130, and other signals still give 128 + their number", () => {
    const r = bash(k, 'hush exec-env app.env -- sh -c \'kill -INT $$\'; echo "int=$?"; hush exec-file app.env -- sh -c \'kill -TERM $$\'; echo "term=$?"; hush exec-env app.env -- sh -c \'kill -QUIT $$\'; echo "quit=$?"');
    expect(r.stdout).toBe("int=130\nterm=143\nquit=131\n");
  });
});

describe("hush exec-env --redact and the key material in hush's own environment", () => {
  let k: KeyedDir;
  let f: string;
  beforeAll(() => {
    k = keyedDir();
    f = encryptFile(k, "app.env", `TOKEN=${TOKEN}\n`);
  });
  afterAll(() => k.cleanup());

  it("the age identity in SOPS_AGE_KEY, which the command inherits, is masked in its output", () => {
    const identity = /^AGE-SECRET-KEY-1[0-9A-Z]+$/m.exec(k.keyText)![0];
    const env = { SOPS_AGE_KEY: k.keyText };
    const control = k.hush(["exec-env", f, "--", "printenv", "SOPS_AGE_KEY"], { env });
    expect(control.stdout).toContain(identity);
    const r = k.hush(["exec-env", "--redact", f, "--", "sh", "-c", 'printenv SOPS_AGE_KEY; printenv TOKEN; echo "$SOPS_AGE_KEY" | tr "\\n" " " >&2'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(identity);
    expect(r.stdout + r.stderr).not.toContain(identity.slice(16, 40));
    // The identity line and TOKEN.
    expect(r.stdout.match(/^\[redacted\]$/gm)).toHaveLength(2);
    // The public key next to it is not a secret.
    expect(r.stdout).toContain(`# public key: ${k.recipient}\n`);
  });

  it("so are the key-service credentials hush reads (AWS, Vault, GCP, Azure), whether or not the file needed them", () => {
    const creds = {
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
      AWS_SESSION_TOKEN: "IQoJb3JpZ2luX2VjEXAMPLE-session-token-value",
      VAULT_TOKEN: "hvs.CAESIJexample-vault-token",
      GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.a0AfExample-google-token",
      AZURE_CLIENT_SECRET: "azure~client~secret~example",
      AZURE_CLIENT_CERTIFICATE_PASSWORD: "azure-certificate-passphrase-example",
      IDENTITY_HEADER: "app-service-identity-header-example",
    };
    const names = Object.keys(creds);
    const r = k.hush(["exec-env", "--redact", f, "--", "sh", "-c", `for n in ${names.join(" ")}; do printenv $n; done`], { env: creds });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("[redacted]\n".repeat(names.length));
    const file = k.hush(["exec-file", "--redact", f, "--", "sh", "-c", "cat {} >/dev/null; printenv VAULT_TOKEN"], { env: creds });
    expect(file.stdout).toBe("[redacted]\n");
  });

  it("a service account key in GOOGLE_CREDENTIALS is masked whole, and so is its private key printed alone", () => {
    const privateKey = "-----BEGIN PRIVATE KEY-----\nMIIEexampleprivatekeymaterial0123456789\n-----END PRIVATE KEY-----\n";
    const GOOGLE_CREDENTIALS = JSON.stringify({ type: "service_account", client_email: "ci@example.iam.gserviceaccount.com", private_key: privateKey });
    const script = "node -e 'process.stdout.write(JSON.parse(process.env.GOOGLE_CREDENTIALS).private_key)'";
    const r = k.hush(["exec-env", "--redact", f, "--", "sh", "-c", script], { env: { GOOGLE_CREDENTIALS } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("MIIEexampleprivatekeymaterial");
    expect(r.stdout).toContain("[redacted]");
  });

  it("an authorized user's credential in GOOGLE_CREDENTIALS (gcloud's application default credentials) has its refresh token and client secret masked printed alone", () => {
    const user = { type: "authorized_user", client_id: "764086051850-example.apps.googleusercontent.com", client_secret: "d-FL95Q19q7MQmFpd7hHD0Ty", refresh_token: "1//0gExampleRefreshTokenZq81Kp27Wm44" };
    const script = "node -e 'const c = JSON.parse(process.env.GOOGLE_CREDENTIALS); console.log(`refresh ${c.refresh_token}`); console.log(`secret ${c.client_secret}`); console.log(`id ${c.client_id}`)'";
    const r = k.hush(["exec-env", "--redact", f, "--", "sh", "-c", script], { env: { GOOGLE_CREDENTIALS: JSON.stringify(user) } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`refresh [redacted]\nsecret [redacted]\nid ${user.client_id}\n`);
  });
});

describe("hush exec-env: variables that make common deploy tools run other programs", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("rsync's remote shell, Terraform's extra arguments, Ansible's settings, kubectl's diff program, gcloud's Python and az's extensions are refused before anything runs", () => {
    const names = [
      "RSYNC_RSH",
      "RSYNC_CONNECT_PROG",
      "TF_CLI_ARGS",
      "TF_CLI_ARGS_apply",
      "ANSIBLE_SSH_ARGS",
      "ANSIBLE_VAULT_PASSWORD_FILE",
      "ANSIBLE_CONFIG",
      "KUBECTL_EXTERNAL_DIFF",
      "KUBE_EDITOR",
      "CLOUDSDK_PYTHON",
      "CLOUDSDK_CONFIG",
      "AZURE_EXTENSION_DIR",
      "AZURE_CONFIG_DIR",
      "NODE_GYP_FORCE_PYTHON",
    ];
    const f = encryptFile(k, "deploy.yaml", `${names.map((n) => `${n}: ./evil-${n.length}\n`).join("")}API_TOKEN: ${TOKEN}\n`);
    const r = k.hush(["exec-env", f, "touch started"]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    expect(r.stderr).not.toMatch(/evil-|tok-/);
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("a deploy's helm, pulumi and GitLab CI settings that send its cluster token, state or job token to the file's server are refused before anything runs", () => {
    const names = ["HELM_KUBEAPISERVER", "HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "HELM_PLUGINS", "PULUMI_BACKEND_URL", "CI_API_V4_URL", "GITLAB_HOST"];
    const f = encryptFile(k, "cluster.env", `${names.map((n) => `${n}=https://evil-${n.length}.example.net`).join("\n")}\nPULUMI_ACCESS_TOKEN=${TOKEN}\n`);
    // GitLab's documented upload: the job token goes to whatever CI_API_V4_URL says.
    const r = k.hush(["exec-env", f, 'touch started; echo "$CI_API_V4_URL"']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const name of names) expect(r.stderr).toContain(`--allow-env ${name}`);
    // The secrets of those tools are not settings.
    expect(r.stderr).not.toContain("PULUMI_ACCESS_TOKEN");
    expect(r.stderr).not.toMatch(/evil-|tok-/);
    expect(existsSync(k.path("started"))).toBe(false);
  });

  it("terraform would take TF_CLI_ARGS as its own arguments: the file is refused and terraform never starts", () => {
    const f = encryptFile(k, "tf.env", `TF_CLI_ARGS_version=-json\nTF_VAR_db_password=${TOKEN}\n`);
    const env = { CHECKPOINT_DISABLE: "1" };
    const r = k.hush(["exec-env", f, "--", "terraform", "version"], { env });
    if (r.stderr.includes("cannot run terraform")) throw new Error("this test needs terraform on PATH (https://developer.hashicorp.com/terraform/install)");
    expect(r.stdout).toBe("");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env TF_CLI_ARGS_version");
    // TF_VAR_ values are Terraform's input variables: secrets, not settings.
    expect(r.stderr).not.toContain("TF_VAR_");
    const allowed = k.hush(["exec-env", "--allow-env", "TF_CLI_ARGS_version", f, "--", "terraform", "version"], { env });
    expect(allowed.status, allowed.stderr).toBe(0);
    expect(JSON.parse(allowed.stdout)).toHaveProperty("terraform_version");
  });
});

describe("the bundled hush's code cache, which XDG_CACHE_HOME places", () => {
  let k: KeyedDir;
  beforeAll(() => {
    k = keyedDir();
  });
  afterAll(() => k.cleanup());

  it("a file may not set XDG_CACHE_HOME for the command (its hush would run compiled code from there)", () => {
    const g = encryptFile(k, "cache.env", `XDG_CACHE_HOME=${k.path("repo/.cache")}\nAPI_TOKEN=${TOKEN}\n`);
    const r = k.hush(["exec-env", g, "touch started"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--allow-env XDG_CACHE_HOME");
    expect(existsSync(k.path("started"))).toBe(false);
  });
});

describe("hush exec-env FILE -- cmd when the command cannot start", () => {
  let k: KeyedDir;
  let f: string;
  beforeAll(() => {
    k = keyedDir();
    f = encryptFile(k, "app.env", `TOKEN=${TOKEN}\n`);
    writeFileSync(k.path("not-executable.sh"), "echo ran\n", { mode: 0o644 });
  });
  afterAll(() => k.cleanup());

  it("exits 127 for a command not found and 126 for one that is not a program, as sh does, so a script tells them from the command's own exit 1", () => {
    const missing = k.hush(["exec-env", f, "--", "no-such-command-hush"]);
    expect(missing.status, missing.stderr).toBe(127);
    expect(missing.stderr).toContain("cannot run no-such-command-hush: not found");
    // The one-string form runs sh, which says 127 itself.
    expect(k.hush(["exec-env", f, "no-such-command-hush"]).status).toBe(127);
    const notProgram = k.hush(["exec-file", f, "--", "./not-executable.sh", "{}"]);
    expect(notProgram.status, notProgram.stderr).toBe(126);
    expect(notProgram.stderr).toContain("cannot run ./not-executable.sh: not an executable program (EACCES)");
    expect(notProgram.stderr).not.toContain(TOKEN);
  });

  it("a script whose #! interpreter is missing (Windows line ends) is named for that, not called not found; an empty program name is 127 too, before anything is decrypted", () => {
    writeFileSync(k.path("deploy.sh"), "#!/bin/sh\r\necho ran\r\n", { mode: 0o755 });
    writeFileSync(k.path("gone.sh"), "#! /nonexistent/hush-interpreter -e\necho ran\n", { mode: 0o755 });
    const crlf = k.hush(["exec-file", f, "--", "./deploy.sh", "{}"]);
    expect(crlf.stderr).toBe('hush: cannot run ./deploy.sh: the interpreter its #! line names, "/bin/sh\\r", is not there (ENOENT); the file has Windows line ends (\\r\\n): save it with \\n only\n');
    expect(crlf.status).toBe(127);
    const gone = k.hush(["exec-env", f, "--", k.path("gone.sh")]);
    expect(gone.stderr).toBe(`hush: cannot run ${k.path("gone.sh")}: the interpreter its #! line names, "/nonexistent/hush-interpreter", is not there (ENOENT)\n`);
    expect(gone.status).toBe(127);
    const empty = k.hush(["exec-env", "missing.env", "--", ""]);
    expect(empty.stderr).toBe("hush: error: exec-env: the program after -- is an empty name\n");
    expect(empty.status).toBe(127);
  });

  it("a value larger than the system lets one variable hold is one line saying so, not a bare system error", () => {
    // Linux limits one variable (NAME=value) to 128 KiB: a certificate bundle can pass that.
    const big = encryptFile(k, "big.env", `BUNDLE=${"x".repeat(140_000)}\nTOKEN=${TOKEN}\n`);
    for (const command of [["--", "true"], ["true"]]) {
      const r = k.hush(["exec-env", big, ...command]);
      expect(r.status, command.join(" ")).toBe(1);
      expect(r.stderr).toMatch(/^hush: cannot run (true|the command): its environment or arguments are too large for the system \(E2BIG: .*128 KiB.*\)\n$/);
      expect(r.stderr).not.toContain("xxxx");
    }
  });
});
