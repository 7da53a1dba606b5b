// Lint for the whole workspace: typescript-eslint's recommended rules, TSDoc syntax (so the API
// contracts parse for documentation tools), and, where a package's tsconfig gives types, the
// type-aware rules that catch real bugs in async code.
import tseslint from "typescript-eslint";
import tsdoc from "eslint-plugin-tsdoc";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", ".cache/**", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  ...tseslint.configs.recommended,
  { files: ["packages/*/src/**/*.ts"], plugins: { tsdoc }, rules: { "tsdoc/syntax": "error" } },
  {
    // A file decides how many items an array holds, and a call takes each spread item as one
    // argument on the stack: at about 120,000 (a long list, a section of many keys, many comment
    // lines) the call throws "Maximum call stack size exceeded". appendAll and loops have no limit.
    files: ["packages/*/src/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name=/^(push|unshift)$/] > SpreadElement",
          message: "one argument per item overflows the stack at about 120,000 items: use appendAll from @hush/core, or a loop",
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name=/^(max|min)$/] > SpreadElement",
          message: "one argument per item overflows the stack at about 120,000 items: use a loop",
        },
      ],
    },
  },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["packages/{core,cli,git,key-source-*}/src/**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
);
