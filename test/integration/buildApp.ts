import { execFileSync } from "node:child_process";

/**
 * The app runs on the local host from its build output (package.json `main`), as `npm start` runs
 * it, and `npm start` runs the local host's own build: build both once before the integration tier.
 */
export default function setup(): void {
  for (const project of ["devhost/tsconfig.json", "tsconfig.build.json"])
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", project], {
      stdio: "inherit",
    });
}
