import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstanceRow } from "../../src/durable/taskHub";
import type { RunningHost } from "../../src/host";
import { start, status, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

/**
 * Status rows of a run of quick turns: a row that only moves the time on is written once per quiet
 * window (a long one here, so the test does not race the machine), never over another writer's row.
 */
describe("a host's status rows during quick turns", () => {
  let host: RunningHost;
  const errors: string[] = [];
  /** Status row writes by instance ID. */
  const writes = new Map<string, number>();
  /** Instances whose next Running row write is slow to land (once each). */
  const slow = new Set<string>();

  beforeAll(async () => {
    host = await startDurableHost("EngineRows", {
      logger: { info: () => undefined, error: (line) => errors.push(line) },
      statusRowQuietMs: 3_000,
    });
    const table = host.hub.instances;
    for (const method of ["upsertEntity", "updateEntity"] as const) {
      const original = table[method].bind(table) as (...args: unknown[]) => Promise<unknown>;
      (table as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const entity = args[0] as { partitionKey: string; RuntimeStatus?: string };
        const key = entity.partitionKey;
        writes.set(key, (writes.get(key) ?? 0) + 1);
        if (slow.has(key) && entity.RuntimeStatus === "Running") {
          slow.delete(key);
          return sleep(1_500).then(() => original(...args));
        }
        return original(...args);
      };
    }
  });

  afterAll(() => host?.stop());

  it("writes a Running row that only moves its time on once per quiet window, a final row at once", async () => {
    const links = await start(host.url, "sequence", 10);
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: 1024,
    });
    // Eleven turns: the start's Pending row, the first Running row, at most a few waiting ones, the final row.
    expect(writes.get(links.id)).toBeLessThanOrEqual(5);
    expect(errors).toEqual([]);
  });

  it("writes the final row after a Running row still on its way, never before it", async () => {
    const id = `slow-${Date.now()}`;
    slow.add(id);
    const links = await start(host.url, "sequence", 3, id);
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({ runtimeStatus: "Completed", output: 8 });
    await sleep(2_000); // the slow Running row has long landed
    expect((await host.hub.getInstance(id))?.runtimeStatus).toBe("Completed");
    expect(errors).toEqual([]);
  });

  it("writes the row that waited once its window is over, unless another writer's row came in between", async () => {
    const links = await start(host.url, "twoEvents");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    // The row itself: the status API shows its time in whole seconds.
    const shown = async () => Date.parse((await host.hub.getInstance(links.id))?.lastUpdatedTime ?? "");
    const started = await shown();
    await fetch(`${host.url}/api/raise/${links.id}/A`, { method: "POST", body: '"a"' });
    const committed = async () => (await host.hub.readSentinel(links.id))?.sentinel.instance as InstanceRow;
    const committedTime = async () => Date.parse((await committed()).lastUpdatedTime);
    while ((await committedTime()) === started) await sleep(50);
    const afterA = await committed();
    expect(Date.parse(afterA.lastUpdatedTime)).toBeGreaterThan(started);
    // The turn's row waits for the window that the first Running row opened.
    expect(await shown()).toBe(started);
    await sleep(3_500);
    expect(await shown()).toBe(Date.parse(afterA.lastUpdatedTime));

    // A Running row of another writer inside the next window is not overwritten by the one waiting.
    await fetch(`${host.url}/api/raise/${links.id}/C`, { method: "POST", body: '"ignored"' });
    while ((await committedTime()) === Date.parse(afterA.lastUpdatedTime)) await sleep(50);
    await host.hub.putInstance({ ...afterA, customStatus: '"another writer"' });
    await sleep(3_500);
    expect((await status(links.statusQueryGetUri)).customStatus).toBe("another writer");

    await fetch(`${host.url}/api/raise/${links.id}/B`, { method: "POST", body: '"b"' });
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: ["a", "b"],
    });
    expect(errors).toEqual([]);
  });
});
