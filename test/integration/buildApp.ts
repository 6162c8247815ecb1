import { execFileSync } from "node:child_process";
import { build } from "vite";

/**
 * The app runs on the local host from its build output (package.json `main`), as `npm start` runs
 * it, and `npm start` runs the local host's own build: build both, and the dashboard, once before the
 * integration tier.
 */
export default async function setup(): Promise<void> {
  for (const project of ["devhost/tsconfig.json", "tsconfig.build.json"])
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", project], {
      stdio: "inherit",
    });
  // The dashboard the app serves (functions/http/dashboard.ts).
  await build({ configFile: "dashboard/vite.config.mts", logLevel: "warn" });
}
