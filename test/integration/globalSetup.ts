import type { TestProject } from "vitest/node";
import { startAzurite } from "devhost";

declare module "vitest" {
  export interface ProvidedContext {
    storageConnectionString: string;
  }
}

/** One in-memory Azurite for the integration tier, on free ports; tests never mock storage. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide("storageConnectionString", azurite.connectionString);
  return () => azurite.stop();
}
