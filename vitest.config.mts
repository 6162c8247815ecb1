import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Test tiers: unit (pure, fast), orchestrators (histories replayed through the real durable-functions
 * executor), integration (real Azurite started by globalSetup) and e2e (the dashboard in Chromium).
 */
export default defineConfig({
  resolve: {
    // The local host's package, from its sources (as tsconfig.json's paths map it).
    alias: { devhost: fileURLToPath(new URL("./devhost/src/index.ts", import.meta.url)) },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "devhost/test/unit/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "orchestrators",
          include: ["test/orchestrators/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "devhost/test/integration/**/*.test.ts"],
          globalSetup: [
            "test/integration/globalSetup.ts",
            "test/integration/buildApp.ts",
            "test/integration/fakeGraphTls.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // The dashboard in Debian's Chromium (playwright-core) against the app on the local host.
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: [
            "test/integration/globalSetup.ts",
            "test/integration/buildApp.ts",
            "test/integration/fakeGraphTls.ts",
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
