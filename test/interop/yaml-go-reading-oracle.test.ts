/**
 * hush's model of where go-yaml (SOPS's YAML reader) refuses what the `yaml` package reads
 * (packages/core/src/stores/yaml-go-reading.ts), asked of real SOPS 3.9.2 on every run: SOPS reads
 * a plaintext before it looks for its metadata, so "sops metadata not found" means go-yaml read
 * it, and "Error unmarshalling input yaml" that it refused it. The model must give the same
 * verdict. (Constructs go-yaml reads, but otherwise, are proven by yaml-test-suite.test.ts.)
 * Then shapes of real files, most values in clear, go from hush to SOPS: none may be refused.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsDecrypt } from "@hush/testkit";
import { goYamlProblems } from "../../packages/core/src/stores/yaml-go-reading.ts";
import { makeAgeKey } from "../keys/helpers.ts";
import { runCliInProcess } from "../proof/support.ts";
import { canonicalJson } from "./oracle-case.ts";

const TEXTS = [
  // tabs after a key's ":", before a comment, inside [...] and {...}, in a plain scalar's blank lines
  "a:\tb\n",
  "a: b\t# c\n",
  "a: [1,\t2]\n",
  "a: {x:\t1}\n",
  "a: b\n  \t# c\n",
  "a: b\n \t\nc: d\n",
  "a: b\n  c\t\n",
  "a: b\n \t c\n",
  // tabs where go-yaml wants a token or indentation
  "\t# top\na: 1\n",
  "a: 'q'\n\t# c\n",
  "a:\n\t- b\n",
  "a:\n  - x\n\t# c\n",
  "a:\n  - \tx\n",
  "a: b\n\n\t\nc: d\n",
  "a: b\n\tc\n",
  "? a\n:\tb\n",
  "a:\n  b: c\n  \td: e\n",
  "a:\n- b\n-\tc\n",
  // tabs in block scalars
  "a: |\n  x\n  \ty\n",
  "a: |\n  \tx\n",
  "a: |2\n  \tx\n",
  "a: |\n\n\t\n  x\n",
  "a:\n  b: |\n   x\n  \ty\n",
  "a:\n  b: |\n    x\n   \ty\n",
  "a:\n  - |1\n   \tx\n",
  "a: |\n  x\n\t\nb: c\n",
  // directives, anchors, tags
  "%YAML 1.1\n---\na: 1\n",
  "%YAML 1.2\n---\na: 1\n",
  "%FOO bar\n---\na: 1\n",
  "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
  "a: &x-1_y b\nc: *x-1_y\n",
  "a: &x.y b\nc: *x.y\n",
  "a: !!str b\n",
  "a: !custom b\n",
  "a: !<tag:example.com,2000:x> b\n",
  "a: {b: !!str , c: d}\n",
  "a: {b: !!str, c: d}\n",
  // flow collections
  "a: [x?y]\n",
  "a: {? b : c}\n",
  "a: {b\n  : c}\n",
  '"a": {"b":c}\n',
  "a: {b:c}\n",
  "a: {b: c:d}\n",
  "a: [b:c]\n",
  "a: {url: http://x.y/z?q=1}\n",
  "a: [:x]\n",
  // a byte order mark: go-yaml drops it before the first line, whose columns count without it
  "\uFEFF\t# top\na: 1\n",
  "\uFEFFa: b\n \t\nc: d\n",
  "\uFEFFa: b\n \t c\n",
  "\uFEFFa: |2\n  \tx\n",
  "\uFEFFa: b\t# c\n",
  "\uFEFF%YAML 1.1\n---\na: 1\n",
  // blanks and a comment after a token on its line go with the token (not after a block "-")
  "? a\n:\t# c\n  b\n",
  "? a\n: b\n?\t# c\n: d\n",
  "%YAML 1.1\t# c\n---\na: 1\n",
  "%YAML 1.1\t\n---\na: 1\n",
  "%TAG !e! tag:e,2000:\t# c\n---\na: 1\n",
  "---\t# c\na: 1\n",
  "a: 1\n...\t# c\n",
  "a: [1]\t# c\n",
  "a: &x\t# c\n  k: v\n",
  "a: !t\t# c\n  k: v\n",
  "a: 'q'\t# c\n",
  "a: |\t# c\n  x\n",
  "a:\n  -\t# c\n    b\n",
  "- a\n-\t# c\n",
  // line breaks written \r\n
  "a: b\r\n\t# c\r\n",
  "a: b\r\n  \t# c\r\n",
  "a:\r\n\t- b\r\n",
  "a:\r\n  - \tb\r\n",
  "a: |\r\n  x\r\n  \ty\r\n",
  "a: x\r\n \ty\r\n",
  "a: [x?y]\r\n",
  "a: {b\r\n  : c}\r\n",
  "%YAML 1.1\r\n---\r\na: 1\r\n",
  // shapes from Kubernetes, compose, Actions, CloudFormation and OpenAPI files
  "metadata:\n  labels: {app: web, tier: \"backend\"}\nspec:\n  ports: [{containerPort: 80, protocol: TCP}]\n",
  "args: [\"--port=8080\", \"--url=http://x/?a=b\"]\ncommand: [sh, -c, \"echo hi\"]\n",
  "ports: [\"80:80\", \"443:443\"]\nbranches: [ main, 'release/**' ]\n",
  "base: &base\n  a: 1\nother:\n  <<: *base\n  b: 2\n",
  "Name: !Sub \"${AWS::StackName}-bucket\"\nList: !Split [\",\", !Ref Csv]\nJoin: !Join ['', [a, !Ref B]]\n",
  "schema: {$ref: '#/components/schemas/User'}\npattern: '^[a-z]+$'\n",
  "times: [12:30, 1:2:3]\npaths: [C:\\x, D:\\y]\n",
  "hosts: [::1, fe80::1]\n",
  "a: {k: v:w}\n",
  "a: b\t\t# c\n",
  "a\t: b\n",
  "---\t\na: 1\n",
  "a: 1\n...\t\n",
  // implicit keys of 1024 characters and more (go-yaml counts code points), in block context and flow
  `${"k".repeat(1024)}: v\n`,
  `${"k".repeat(1025)}: v\n`,
  `a:\n  - "${"k".repeat(1022)}": v\n`,
  `a:\n  - "${"k".repeat(1023)}": v\n`,
  `${"\u{1F511}".repeat(1000)}: v\n`,
  `a: {${"k".repeat(1025)}: v}\n`,
  `a: {${"\u{1F511}".repeat(1000)}: v}\n`,
  // escapes in double quotes: go-yaml (v3.0.1) knows no "\/" and refuses any surrogate's code
  'a: "x\\/y"\n',
  '"\\/": x\n',
  'a: "\\ud83d\\ude00"\n',
  'a: "\\ud800"\n',
  'a: "\\uDFFF"\n',
  'a: "\\U0000d800"\n',
  'a: ["x", "\\udc00"]\n',
  'a: "\\\\/ \\\\ud800"\n',
  'a: "\\U0001F600 \\ud7ff \\ue000 \\uFFFF \\x41 \\N \\_ \\L \\P \\e \\0"\n',
  'a: \'\\ud800 \\/\'\n',
  "a: |\n  \\ud800 \\/\n",
  // an implicit key in block context whose ":" is on a later line (the yaml package reads `a: x`)
  "k: v\na\n\n  : x\n",
  "k: v\na # c\n\n  : x\n",
  "k: v\na # c\n  \n  :\n",
  "k: v\n'a'\n\n  : x\n",
  "m:\n  k: v\n  a # c\n\n    : x\n",
  "a\n\n  : x\n",
  // ...and an explicit key's ":" on its own line, which go-yaml reads
  "k: v\n? a\n\n: x\n",
  "k: v\n? a # c\n: x\n",
  "k: v\n? |\n  a\n: x\n",
  "k:\n  - ? a\n    : x\n",
];

describe("where SOPS's YAML reader refuses YAML, hush's model agrees (SOPS 3.9.2 asked)", () => {
  it(`${TEXTS.length} texts`, async () => {
    const disagreements: string[] = [];
    for (const text of TEXTS) {
      const sops = await sopsDecrypt({ text, format: "yaml", env: {} });
      if (sops.ok) throw new Error(`SOPS decrypted a plaintext: ${JSON.stringify(text)}`);
      const goReads = /sops metadata not found/.test(sops.error);
      if (!goReads && !/Error unmarshalling input yaml/.test(sops.error)) throw new Error(`SOPS gave another error for ${JSON.stringify(text)}: ${sops.error}`);
      const problems = goYamlProblems(text);
      if (goReads !== (problems.length === 0)) {
        disagreements.push(`${JSON.stringify(text)}: SOPS ${goReads ? "reads it" : `refuses it (${sops.error.split("\n")[0]})`}, hush ${problems.length === 0 ? "would write it" : `refuses it (${problems[0]!.message})`}`);
      }
    }
    expect(disagreements).toEqual([]);
  }, 300_000);
});

/**
 * Shapes of real files that go-yaml reads as the `yaml` package does, most of them left in clear
 * by an `encrypted_regex` (a Kubernetes Secret keeps all but `data`/`stringData` in clear): hush
 * must write them, and SOPS must read what hush wrote (its MAC verified, the same values).
 */
const IN_CLEAR_RULE = "^(data|stringData|password)$";
const WRITTEN = [
  "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels: {app.kubernetes.io/name: web, tier: backend}\n  annotations:\n    argocd.argoproj.io/sync-wave: \"-1\"\n    description: \"x\\ty\"\ntype: Opaque\nstringData:\n  password: hunter2\n  url: postgres://u:p@h:5432/db?sslmode=require\n",
  "spec:\n  containers:\n    - name: web\n      args: [\"--url=http://x/?a=b\"]\n      env: [{name: PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]\n      resources: {limits: {cpu: 500m, memory: 128Mi}}\nstringData:\n  password: x\n",
  "on:\n  push:\n    branches: [ main ]\n    paths: ['**.yaml', \"!docs/**\"]\njobs:\n  build:\n    runs-on: ${{ matrix.os }}\n    if: ${{ github.event_name == 'push' }}\n    strategy:\n      matrix:\n        os: [ubuntu-latest, windows-latest]\n        include: [{os: macos, node: 20}]\n    steps:\n      - uses: actions/checkout@v4\n        with: {fetch-depth: 0}\n      - run: |\n          echo \"${{ secrets.TOKEN }}\"\npassword: x\n",
  "services:\n  web:\n    ports: [\"80:80\", 443:443, \"127.0.0.1:8080:80\"]\n    command: [npm, run, start]\n    environment:\n      - URL=http://x?y=z\n    extra_hosts: [\"host.docker.internal:host-gateway\"]\n    healthcheck:\n      test: [\"CMD-SHELL\", \"curl -f http://localhost/?x=1 || exit 1\"]\npassword: x\n",
  "%YAML 1.1\n---\ndb_user: admin\npackages: [nginx, \"postgresql-15\"]\nports: {http: 80, https: 443}\nwhen: ansible_os_family == \"Debian\"\npassword: x\n",
  "Resources:\n  Bucket:\n    Properties:\n      BucketName: !Sub \"${AWS::StackName}-bucket\"\n      Tags: [{Key: env, Value: !Ref Env}]\n      Arn: !GetAtt [Role, Arn]\n      If: !If [IsProd, !Ref A, !Ref \"AWS::NoValue\"]\npassword: x\n",
  "paths:\n  /users/{id}:\n    get:\n      parameters:\n        - {name: id, in: path, schema: {type: string, pattern: '^[a-z]+$'}}\n      schema: {$ref: '#/components/schemas/User'}\npassword: x\n",
  "image: {repository: nginx, tag: \"1.25\"}\ningress:\n  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /$2}\n  hosts: [{host: chart.local, paths: [{path: /, pathType: Prefix}]}]\ntolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]\npassword: x\n",
  "name: x\ty\nnote: \"tab\\there\"\n# comment\twith tab\nlist:\n  - a\tb   # c\td\n  - {k: v\tw}\nblock: |\n  line\twith tab\n  \tleading tab in content\npassword: x\n",
  "urls: [http://a.example/x, \"https://b.example/?q=1\", https://c.example:8443/p]\nregex: [^\\d+$, a|b, x*]\npassword: x\n",
  "apiVersion: v1\r\nkind: Secret\r\nmetadata:\r\n  labels: {app: web}\r\nstringData:\r\n  password: x\r\n",
  "\uFEFFapiVersion: v1\r\nmetadata:\r\n  labels: {app: web}\t# c\r\nstringData:\r\n  password: x\r\n",
  "\uFEFFa: b\n \t\nstringData:\n  password: x\n",
  "? a\n:\t# c\n  b\nstringData: x\n",
];

describe("shapes of real files are written, and SOPS reads what hush wrote (SOPS 3.9.2 asked)", () => {
  let tmp: { path: string; cleanup: () => void };
  let env: Record<string, string>;
  let recipient: string;
  beforeAll(async () => {
    tmp = makeTempDir("hush-go-reading-");
    const key = await makeAgeKey(tmp.path, "shapes");
    recipient = key.recipient;
    env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/nonexistent-home", LANG: "C", SOPS_AGE_KEY_FILE: key.file };
  });
  afterAll(() => tmp?.cleanup());

  it(`${WRITTEN.length} files, most values left in clear by encrypted_regex`, async () => {
    const problems: string[] = [];
    for (const [i, text] of WRITTEN.entries()) {
      const [file, out, config] = ["plain.yaml", "enc.yaml", "sops.yaml"].map((name) => join(tmp.path, `${i}.${name}`)) as [string, string, string];
      writeFileSync(file, text);
      writeFileSync(config, `creation_rules:\n  - age: ${recipient}\n    encrypted_regex: ${JSON.stringify(IN_CLEAR_RULE)}\n`);
      const enc = await runCliInProcess(["--config", config, "encrypt", "--output", out, file], { env, cwd: tmp.path });
      if (enc.status !== 0) {
        problems.push(`${JSON.stringify(text)}: refused: ${enc.stderr.trim()}`);
        continue;
      }
      const mine = await runCliInProcess(["decrypt", "--output-type", "json", out], { env, cwd: tmp.path });
      const sops = await sopsDecrypt({ text: readFileSync(out), format: "yaml", env });
      if (!sops.ok) problems.push(`${JSON.stringify(text)}: SOPS refused what hush wrote: ${sops.error}`);
      else if (canonicalJson(sops.plaintext ?? "", false) !== canonicalJson(mine.stdout, false)) problems.push(`${JSON.stringify(text)}: SOPS reads ${sops.plaintext ?? ""}, hush ${mine.stdout}`);
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
