import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, repoPath } from "@hush/testkit";

/**
 * The bundle's direct imports (packages/hush-secrets/build/direct-imports.mjs): a workspace of
 * barrels and modules in every shape the rewrite meets, bundled with and without it; the program
 * prints the same either way.
 */

interface BuildApi {
  build(options: Record<string, unknown>): Promise<{ metafile: { inputs: Record<string, unknown> } }>;
}
type DirectImports = (packagesDir: string, entryOf: (specifier: string) => string | undefined) => unknown;

const WORKSPACE: Record<string, string> = {
  "core/src/index.ts": '// The barrel.\nexport * from "./advanced.ts";\nexport { shout as loud, plain } from "./words.ts";\nexport type { Shape } from "./shape.ts";\n',
  "core/src/advanced.ts": '/* More. */\nexport { count, type Counted } from "./count.ts";\nexport * from "./nested.ts";\n',
  "core/src/nested.ts": 'export { deep } from "./deep.ts";\nexport { plain as plainAgain } from "./words.ts";\n',
  "core/src/words.ts": 'export const shout = (s: string): string => s.toUpperCase() + "!";\nexport const plain = (s: string): string => s;\n',
  "core/src/count.ts": "export interface Counted { n: number }\nexport const count = (s: string): number => s.length;\n",
  "core/src/deep.ts": 'export const deep = "deep";\n',
  "core/src/shape.ts": "export interface Shape { side: number }\n",
  // Not a barrel: it defines a name of its own.
  "own/src/index.ts": 'export { deep } from "../../core/src/deep.ts";\nexport const mine = "mine";\n',
  "app/src/main.ts": [
    'import { loud as yell, plain } from "@hush/core";',
    'import type { Shape } from "@hush/core";',
    "import {",
    "  count, // the length",
    "  /* a list item */ deep,",
    "  type Counted,",
    "  plainAgain as again // last, before the brace",
    '} from "@hush/core";',
    'import { mine, deep as deepToo } from "@hush/own";',
    "const shape: Shape = { side: 2 };",
    "const counted: Counted = { n: count(\"abc\") };",
    'console.log(yell("hi"), plain("p"), counted.n, deep, again("again"), mine, deepToo, shape.side);',
    "",
  ].join("\n"),
};

describe("the bundle's direct imports", () => {
  const tmp = makeTempDir("hush-direct-imports-");
  const packagesDir = join(tmp.path, "packages");
  let esbuild: BuildApi;
  let directImports: DirectImports;

  beforeAll(async () => {
    const fromBuild = createRequire(repoPath("packages", "hush-secrets", "package.json"));
    esbuild = fromBuild("esbuild") as BuildApi;
    ({ directImports } = (await import(pathToFileURL(repoPath("packages", "hush-secrets", "build", "direct-imports.mjs")).href)) as { directImports: DirectImports });
    for (const [file, text] of Object.entries(WORKSPACE)) {
      mkdirSync(dirname(join(packagesDir, file)), { recursive: true });
      writeFileSync(join(packagesDir, file), text);
    }
  });
  afterAll(() => tmp.cleanup());

  /** Bundles app/src/main.ts (with the rewrite or without) and runs it: its output and the files the bundle read. */
  const bundleAndRun = async (rewrite: boolean): Promise<{ output: string; read: string[] }> => {
    const entryOf = (specifier: string): string | undefined => {
      const m = /^@hush\/([a-z-]+)$/.exec(specifier);
      return m === null ? undefined : join(packagesDir, m[1]!, "src", "index.ts");
    };
    const workspace = {
      name: "workspace",
      setup(b: { onResolve(o: { filter: RegExp }, f: (a: { path: string }) => { path: string } | undefined): void }) {
        b.onResolve({ filter: /^@hush\// }, (args) => {
          const entry = entryOf(args.path);
          return entry === undefined ? undefined : { path: entry };
        });
      },
    };
    const outfile = join(tmp.path, rewrite ? "with.cjs" : "without.cjs");
    const { metafile } = await esbuild.build({
      metafile: true,
      entryPoints: [join(packagesDir, "app", "src", "main.ts")],
      bundle: true,
      platform: "node",
      format: "cjs",
      outfile,
      logLevel: "silent",
      plugins: rewrite ? [workspace, directImports(packagesDir, entryOf)] : [workspace],
    });
    const read = Object.keys(metafile.inputs).map((f) => f.replace(/^.*\/packages\//, ""));
    return { output: execFileSync(process.execPath, [outfile], { encoding: "utf8" }), read: read.sort() };
  };

  it("renames, re-exports under another name, export * chains, type-only names, multi-line lists with comments, a package that is not a barrel: the same program", async () => {
    const without = await bundleAndRun(false);
    expect(without.output).toBe("HI! p 3 deep again mine deep 2\n");
    const direct = await bundleAndRun(true);
    expect(direct.output).toBe(without.output);
    // The rewrite took place: core's barrels are not read; the package that is not a barrel is.
    expect(without.read).toContain("core/src/index.ts");
    expect(direct.read).toEqual(["app/src/main.ts", "core/src/count.ts", "core/src/deep.ts", "core/src/words.ts", "own/src/index.ts"]);
  });
});
