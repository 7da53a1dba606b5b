import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_JS, encryptFile, keyedDir, type KeyedDir } from "./helpers.ts";

/**
 * A file name is bytes; hush's command line is text. A name that is not UTF-8 reaches hush with
 * U+FFFD in place of those bytes, which names another file: `hush edit` would create that file
 * beside the one named, `decrypt --output` write the plaintext under another name. Such a name is
 * refused before anything runs, and a file that cannot be found says why.
 */

describe("file names that are not UTF-8 on the command line", () => {
  let k: KeyedDir;
  let editorRan: string;
  let editor: string;
  const name = (base: string): Buffer => Buffer.concat([Buffer.from([0xff]), Buffer.from(base)]);
  beforeAll(() => {
    k = keyedDir();
    const enc = encryptFile(k, "plain.yaml", "password: hunter2\n");
    for (const base of [".yaml", "-read.yaml"]) writeFileSync(Buffer.concat([Buffer.from(`${k.dir}/`), name(base)]), readFileSync(enc));
    editorRan = k.path("editor-ran");
    editor = k.path("editor.sh");
    writeFileSync(editor, `#!/bin/sh\ntouch '${editorRan}'\nprintf 'password: typed\\n' > "$1"\n`, { mode: 0o755 });
  });
  afterAll(() => k.cleanup());

  /** Runs hush through sh, which passes `$1` (the name's bytes, in printf's octal) as they are. */
  const hushWithName = (before: string[], octal: string, after: string[] = []) =>
    spawnSync("/bin/sh", ["-c", `n=$(printf '${octal}'); exec "$0" "$@" "$n" ${after.map((a) => `'${a}'`).join(" ")}`, process.execPath, CLI_JS, ...before], {
      cwd: k.dir,
      env: { ...process.env, ...k.env, EDITOR: editor },
      encoding: "utf8",
    });

  /** Names holding U+FFFD itself (as UTF-8), which only hush's mistake would have made. */
  const replacedNames = (): Buffer[] => readdirSync(k.dir, { encoding: "buffer" }).filter((n) => n.includes(Buffer.from("\uFFFD")));

  it("edit and decrypt --output refuse the name before anything runs, creating no file of another name", () => {
    const edit = hushWithName(["edit", "--age", k.recipient], "\\377.yaml");
    expect(edit.status, edit.stderr).toBe(3);
    expect(edit.stderr).toBe("hush: \uFFFD.yaml: no such file, and the name holds U+FFFD, which a name that is not UTF-8 becomes on the command line: hush would write a file of another name; rename the file, or give a name in UTF-8\n");
    expect(readdirSync(k.dir)).not.toContain("editor-ran");
    const out = hushWithName(["decrypt", "--output"], "\\376.out", ["plain.yaml"]);
    expect(out.status, out.stderr).toBe(3);
    expect(out.stderr).toContain("\uFFFD.out: no such file, and the name holds U+FFFD");
    expect(replacedNames()).toEqual([]);
  });

  it("a file to read says its name could not be given, not only that it is missing", () => {
    const r = hushWithName(["decrypt"], "\\377-read.yaml");
    expect(r.status).toBe(100);
    expect(r.stderr).toBe("hush: \uFFFD-read.yaml: no such file; the name holds U+FFFD, which a name that is not UTF-8 becomes on the command line: rename the file to open it\n");
  });
});
