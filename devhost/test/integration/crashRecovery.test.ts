import { describe, expect, inject, it } from "vitest";
import { start, status, waitFor } from "../support/durable";
import { spawnHost } from "../support/hostProcess";

describe("a host killed with SIGKILL", () => {
  it("leaves a waiting instance that a restarted host resumes and completes on its event", async () => {
    const connection = inject("storageConnectionString");
    const hub = { FIXTURE_HUB: `Crash${Date.now()}` };
    const first = await spawnHost("devhost/test/fixtures/durable-app", connection, hub);
    const links = await start(first.url, "approval", { timeoutSeconds: 600 });
    await waitFor(links.statusQueryGetUri, ["Running"]);
    await first.crash();

    const second = await spawnHost("devhost/test/fixtures/durable-app", connection, hub);
    try {
      const statusUri = links.statusQueryGetUri.replace(first.url, second.url);
      expect((await waitFor(statusUri, ["Running"])).customStatus).toBe("waiting");
      const raised = await fetch(`${second.url}/api/raise/${links.id}/Approval`, {
        method: "POST",
        body: '"after restart"',
      });
      expect(raised.status).toBe(202);
      expect((await waitFor(statusUri)).output).toEqual({ outcome: "approved", by: "after restart" });
    } finally {
      await second.stop();
    }
  });

  it("loses no activity result and applies no turn twice when killed in the middle of a fan-out", async () => {
    const connection = inject("storageConnectionString");
    // Short leases so the restarted host sees the dead host's messages again within seconds.
    const leases = {
      FIXTURE_HUB: `CrashFanOut${Date.now()}`,
      DEVHOST_CONTROL_LEASE_SECONDS: "2",
      DEVHOST_WORKITEM_LEASE_SECONDS: "2",
    };
    const first = await spawnHost("devhost/test/fixtures/durable-app", connection, leases);
    const links = await start(first.url, "slowFanOut", 60);
    // Running: the first turn is committed and its 60 work items are out, mostly not yet done.
    await waitFor(links.statusQueryGetUri, ["Running"]);
    await first.crash();

    const second = await spawnHost("devhost/test/fixtures/durable-app", connection, leases);
    try {
      const statusUri = links.statusQueryGetUri.replace(first.url, second.url);
      expect((await waitFor(statusUri, undefined, 40_000)).output).toBe(3540);
      const history = (await status(statusUri, "&showHistory=true")).historyEvents ?? [];
      expect(history.filter((e) => e.EventType === "TaskScheduled")).toHaveLength(60);
      expect(history.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(60);
    } finally {
      await second.stop();
    }
  });
});

describe("two hosts on one storage account", () => {
  it("share the work without applying any turn twice", async () => {
    const connection = inject("storageConnectionString");
    const env = { FIXTURE_HUB: `Shared${Date.now()}` };
    const [a, b] = await Promise.all([
      spawnHost("devhost/test/fixtures/durable-app", connection, env),
      spawnHost("devhost/test/fixtures/durable-app", connection, env),
    ]);
    try {
      const started = await Promise.all(
        Array.from({ length: 10 }, (_, i) => start(i % 2 === 0 ? a.url : b.url, "fanOut", 30)),
      );
      for (const links of started) {
        const done = await waitFor(links.statusQueryGetUri, undefined, 40_000);
        expect(done.output).toBe(870);
        const history = (await status(links.statusQueryGetUri, "&showHistory=true")).historyEvents ?? [];
        expect(history.filter((e) => e.EventType === "TaskScheduled")).toHaveLength(30);
        expect(history.filter((e) => e.EventType === "TaskCompleted")).toHaveLength(30);
        expect(history.filter((e) => e.EventType === "ExecutionCompleted")).toHaveLength(1);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
