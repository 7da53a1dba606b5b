/**
 * `@hush/core`. The public API is `./api.ts` (see there); the advanced building blocks
 * (`./advanced.ts`, also published as `@hush/core/advanced`) are exported here too, because the
 * workspace's packages and tests still import them from `@hush/core`.
 */
export * from "./advanced.ts";
