import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir, sopsVector } from "@hush/testkit";
import { hush } from "./helpers.ts";

/**
 * A file with a pgp key makes hush run gpg. A cloned repository can bring its own `gpg`; an
 * empty or relative PATH entry (a trailing ':', '.', 'bin') means the working directory, so gpg
 * is looked for only in PATH's absolute directories, as the editor, age plugins and `az` are.
 */
describe("gpg is never the repository's own", () => {
  const tmp = makeTempDir("hush-gpg-lookup-");
  afterAll(() => tmp.cleanup());

  it("a planted gpg in the working directory is not run on decrypt or git diff, whatever PATH's relative entries", async () => {
    const repo = join(tmp.path, "cloned-repo");
    mkdirSync(join(repo, "bin"), { recursive: true });
    copyFileSync(sopsVector("format.enc.yaml"), join(repo, "app.yaml"));
    const marker = join(tmp.path, "repo-gpg-ran");
    const planted = `#!/bin/sh\necho ran > '${marker}'\nexit 2\n`;
    writeFileSync(join(repo, "gpg"), planted, { mode: 0o755 });
    writeFileSync(join(repo, "bin", "gpg"), planted, { mode: 0o755 });
    for (const path of ["/nonexistent:", ".:/nonexistent", "bin:/nonexistent", "/nonexistent::/also-nonexistent"]) {
      for (const args of [["decrypt", "app.yaml"], ["git", "textconv", "app.yaml"]]) {
        const r = await hush(args, { cwd: repo, env: { PATH: path, GNUPGHOME: join(tmp.path, "gnupg") } });
        expect(existsSync(marker), `PATH=${path}: hush ${args.join(" ")} ran the repository's gpg`).toBe(false);
        if (args[0] === "decrypt") {
          expect(r.status).toBe(128);
          expect(r.stderr).toContain('cannot run gpg binary "gpg": not found');
        }
      }
    }
  });
});
