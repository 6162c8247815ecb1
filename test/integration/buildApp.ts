import { execFileSync } from "node:child_process";

/**
 * The app runs on the local host from its build output (package.json `main`), as `npm start` runs
 * it: build once before the integration tier.
 */
export default function setup(): void {
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
