import { inject } from "vitest";
import { startHost, type HostOptions, type RunningHost } from "../../src/host";

/** The durable fixture app on a host in this process, on the tier's Azurite, in a task hub of its own. */
export function startDurableHost(
  hubPrefix: string,
  options: Partial<HostOptions> = {},
): Promise<RunningHost> {
  process.env["FIXTURE_HUB"] = `${hubPrefix}${Date.now()}`;
  return startHost({
    appDir: "devhost/test/fixtures/durable-app",
    port: 0,
    connection: inject("storageConnectionString"),
    ...options,
  });
}
