import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningHost } from "../../src/host";
import { start, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

/**
 * A turn locks the sentinel while its orchestrator runs; a turn that fails after taking the lock
 * (here: its work item cannot be sent) takes the lock back, so its retry need not wait for it.
 */
describe("a turn that fails after taking its lock", () => {
  let host: RunningHost;
  const errors: string[] = [];

  beforeAll(async () => {
    host = await startDurableHost("EngineLock", {
      logger: { info: () => undefined, error: (line) => errors.push(line) },
      leases: { controlSeconds: 2 },
    });
  });

  afterAll(() => host?.stop());

  it("leaves the sentinel unlocked and is retried when its message comes back", async () => {
    const hub = host.hub;
    const send = hub.sendWorkItem.bind(hub);
    let failed: (() => void) | undefined;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    hub.sendWorkItem = async (item) => {
      if (failed) {
        const done = failed;
        failed = undefined;
        setTimeout(done, 300); // the unlock follows the failure
        throw new Error("work-item queue unavailable");
      }
      return send(item);
    };
    const links = await start(host.url, "chaining");
    await failure;
    const sentinel = await hub.readSentinel(links.id);
    expect(sentinel?.sentinel.pendingSince).toBeUndefined();
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
    });
    expect(errors.filter((line) => !line.includes("work-item queue unavailable"))).toEqual([]);
    expect(errors.some((line) => line.includes("work-item queue unavailable"))).toBe(true);
  });
});
