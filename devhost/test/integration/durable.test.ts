import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningHost } from "../../src/host";
import { start, status, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

const quiet = { info: () => undefined, error: (line: string) => console.error(line) };

describe("durable orchestrations on the local host", () => {
  let host: RunningHost;

  beforeAll(async () => {
    host = await startDurableHost("Durable", {
      logger: quiet,
      timers: { maximumShortTimerMs: 2_000, longRunningTimerIntervalMs: 1_000 },
    });
  });

  afterAll(() => host?.stop());

  it("chains activities", async () => {
    const links = await start(host.url, "chaining");
    const done = await waitFor(links.statusQueryGetUri);
    expect(done).toMatchObject({
      runtimeStatus: "Completed",
      output: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"],
    });
  });

  it("fans out to 100 activities and back in", async () => {
    const links = await start(host.url, "fanOut", 100);
    const done = await waitFor(links.statusQueryGetUri);
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: 9900 });
  });

  it("completes on the external event when it beats the timer", async () => {
    const links = await start(host.url, "approval", { timeoutSeconds: 30 });
    await waitFor(links.statusQueryGetUri, ["Running"]);
    const raised = await fetch(`${host.url}/api/raise/${links.id}/Approval`, {
      method: "POST",
      body: '"megan"',
    });
    expect(raised.status).toBe(202);
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.output).toEqual({ outcome: "approved", by: "megan" });
  });

  it("times out when the timer beats the event", async () => {
    const links = await start(host.url, "approval", { timeoutSeconds: 1 });
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.output).toEqual({ outcome: "timed-out" });
  });

  it("retries an activity with backoff until it succeeds", async () => {
    const links = await start(host.url, "retrying", { key: "twice", failures: 2 });
    const done = await waitFor(links.statusQueryGetUri);
    expect(done).toMatchObject({ runtimeStatus: "Completed", output: { attempts: 3 } });
  });

  it("surfaces a retried activity that never succeeds as Failed with details", async () => {
    const links = await start(host.url, "retrying", { key: "always", failures: 99 });
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.runtimeStatus).toBe("Failed");
    expect(JSON.stringify(done.output)).toContain("flaky failure 3 of 99");
  });

  it("runs a sub-orchestration", async () => {
    const links = await start(host.url, "parent");
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.output).toEqual({ child: ["Hello Tokyo!", "Hello Seattle!", "Hello London!"], doubled: 6 });
  });

  it("splits a timer longer than the short-timer limit and still fires it on time", async () => {
    const links = await start(host.url, "longTimer", { timeoutSeconds: 3 });
    const started = Date.now();
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.output).toBe("fired");
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_500);
  });

  it("keeps a continueAsNew monitor's stored history bounded", async () => {
    const links = await start(host.url, "monitor", { iteration: 0, until: 50 });
    const done = await waitFor(links.statusQueryGetUri, undefined, 60_000);
    expect(done.output).toEqual({ iterations: 50 });
    expect(await host.hub.storedHistoryRows(links.id)).toBeLessThan(20);
  });

  it("terminates, and purges a finished instance", async () => {
    const links = await start(host.url, "waitForever");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    const terminated = await fetch(`${host.url}/durabletask/instances/${links.id}/terminate?reason=enough`, {
      method: "POST",
    });
    expect(terminated.status).toBe(202);
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Terminated",
      output: "enough",
    });
    const purged = await fetch(`${host.url}/durabletask/instances/${links.id}`, { method: "DELETE" });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
    expect((await fetch(links.statusQueryGetUri)).status).toBe(404);
  });

  it("suspends and resumes, holding events until resumed", async () => {
    const links = await start(host.url, "waitForever");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    await fetch(`${host.url}/durabletask/instances/${links.id}/suspend?reason=pause`, { method: "POST" });
    await waitFor(links.statusQueryGetUri, ["Suspended"]);
    await fetch(`${host.url}/api/raise/${links.id}/Go`, { method: "POST", body: "1" });
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await status(links.statusQueryGetUri)).runtimeStatus).toBe("Suspended");
    await fetch(`${host.url}/durabletask/instances/${links.id}/resume?reason=go`, { method: "POST" });
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: { went: 1 },
    });
  });

  it("answers waitForCompletionOrCreateCheckStatusResponse with the output", async () => {
    const response = await fetch(`${host.url}/api/start-and-wait/chaining`, { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  });

  it("carries events raised around continueAsNew into the next execution: none is lost", async () => {
    // Several rounds: whether events share a turn, straddle a continueAsNew or wait for the next
    // execution depends on timing, and every arrangement must add up.
    for (let round = 0; round < 3; round++) {
      const links = await start(host.url, "counter", 0);
      await waitFor(links.statusQueryGetUri, ["Running"]);
      for (const n of [1, 2, 3, 4, 5])
        await fetch(`${host.url}/api/raise/${links.id}/Add`, { method: "POST", body: String(n) });
      expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
        runtimeStatus: "Completed",
        output: 15,
      });
    }
  });
});
