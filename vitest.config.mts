import { defineConfig } from "vitest/config";

/**
 * Test tiers: unit (pure, fast), orchestrators (histories replayed through the real durable-functions
 * executor) and integration (real Azurite started by globalSetup).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "orchestrators",
          include: ["test/orchestrators/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
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
