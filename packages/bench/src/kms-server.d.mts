import type { startKmsTestServer } from "@hush/testkit";

/** Returns testkit's `startKmsTestServer`, loaded from a transpiled copy in `dir`. */
export function loadStartKmsTestServer(dir: string): Promise<typeof startKmsTestServer>;
