import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningHost } from "../../src/host";
import { start, waitFor } from "../support/durable";
import { startDurableHost } from "../support/durableHost";

const quiet = { info: () => undefined, error: () => undefined };

describe("the unmodified DurableClient against the local host", () => {
  let host: RunningHost;

  beforeAll(async () => {
    host = await startDurableHost("Client", {
      logger: quiet,
    });
  });

  afterAll(() => host?.stop());

  it("numbers parallel retries as the SDK does: every call retried once, then the next step", async () => {
    const links = await start(host.url, "fanOutRetry", { key: "parallel", width: 5 });
    const done = await waitFor(links.statusQueryGetUri);
    expect(done).toMatchObject({
      runtimeStatus: "Completed",
      output: { attempts: [2, 2, 2, 2, 2], second: 84 },
    });
  });

  it("reads status with history, input and output through getStatus", async () => {
    const links = await start(host.url, "chaining");
    await waitFor(links.statusQueryGetUri);
    const response = await fetch(`${host.url}/api/instances/${links.id}`);
    const body = (await response.json()) as {
      runtimeStatus: string;
      history: { EventType: string; Result?: unknown }[];
    };
    expect(body.runtimeStatus).toBe("Completed");
    const completed = body.history.filter((e) => e.EventType === "TaskCompleted");
    expect(completed.map((e) => e.Result)).toEqual(["Hello Tokyo!", "Hello Seattle!", "Hello London!"]);
  });

  it("lists instances over several pages with getStatusBy and getStatusAll", async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    const ids = await Promise.all(
      Array.from({ length: 120 }, (_, i) => start(host.url, "waitForever", undefined, `page-${i}`)),
    );
    await waitFor(ids[119]?.statusQueryGetUri ?? "", ["Running"]);
    const byFilter = (await (await fetch(`${host.url}/api/instances?from=${from}`)).json()) as {
      instanceId: string;
    }[];
    expect(byFilter.map((s) => s.instanceId).filter((id) => id.startsWith("page-"))).toHaveLength(120);
    const all = (await (await fetch(`${host.url}/api/instances`)).json()) as { instanceId: string }[];
    expect(all.length).toBeGreaterThanOrEqual(120);
  });

  it("terminates, suspends, resumes and purges through the client", async () => {
    const a = await start(host.url, "waitForever");
    await waitFor(a.statusQueryGetUri, ["Running"]);
    expect((await fetch(`${host.url}/api/instances/${a.id}/suspend`, { method: "POST" })).status).toBe(202);
    await waitFor(a.statusQueryGetUri, ["Suspended"]);
    expect((await fetch(`${host.url}/api/instances/${a.id}/resume`, { method: "POST" })).status).toBe(202);
    await waitFor(a.statusQueryGetUri, ["Running"]);
    expect((await fetch(`${host.url}/api/instances/${a.id}/terminate`, { method: "POST" })).status).toBe(202);
    expect((await waitFor(a.statusQueryGetUri)).output).toBe("by client");
    const purged = await fetch(`${host.url}/api/instances/${a.id}/purge`, { method: "POST" });
    expect(await purged.json()).toEqual({ instancesDeleted: 1 });
  });

  it("refuses a second start of a running instance ID with 409, and raising to an unknown one with 404", async () => {
    await start(host.url, "waitForever", undefined, "only-once");
    const again = await fetch(`${host.url}/durabletask/orchestrators/waitForever/only-once`, {
      method: "POST",
    });
    expect(again.status).toBe(409);
    const missing = await fetch(`${host.url}/durabletask/instances/nobody/raiseEvent/Go`, {
      method: "POST",
      body: "1",
    });
    expect(missing.status).toBe(404);
  });

  it("ignores a second suspend, so a later resume holds", async () => {
    const links = await start(host.url, "waitForever");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    const op = (name: string) =>
      fetch(`${host.url}/durabletask/instances/${links.id}/${name}`, { method: "POST" });
    await op("suspend");
    await waitFor(links.statusQueryGetUri, ["Suspended"]);
    await op("suspend");
    await op("resume");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await waitFor(links.statusQueryGetUri, ["Running", "Suspended"])).runtimeStatus).toBe("Running");
  });

  it("fails an orchestration whose output it cannot carry, saying why, and refuses a too-large input with 413", async () => {
    const links = await start(host.url, "bigOutput");
    const done = await waitFor(links.statusQueryGetUri);
    expect(done.runtimeStatus).toBe("Failed");
    expect(String(done.output)).toContain("at most");
    const big = await fetch(`${host.url}/durabletask/orchestrators/chaining`, {
      method: "POST",
      body: JSON.stringify("y".repeat(20_000)),
    });
    expect(big.status).toBe(413);
  });

  it("repairs a status row left behind by a crash between the history commit and the row write", async () => {
    const links = await start(host.url, "waitForever");
    await waitFor(links.statusQueryGetUri, ["Running"]);
    await fetch(`${host.url}/api/raise/${links.id}/Go`, { method: "POST", body: "7" });
    await waitFor(links.statusQueryGetUri);
    const row = await host.hub.getInstance(links.id);
    if (!row) throw new Error("no row");
    // The row as it was before the completing turn: what a crash right after the commit leaves.
    await host.hub.putInstance({
      ...row,
      runtimeStatus: "Running",
      output: null,
      lastUpdatedTime: "2000-01-01T00:00:00.000Z",
    });
    expect((await waitFor(links.statusQueryGetUri, ["Running"])).runtimeStatus).toBe("Running");
    await fetch(`${host.url}/durabletask/instances/${links.id}/raiseEvent/Go`, { method: "POST", body: "8" });
    expect(await waitFor(links.statusQueryGetUri)).toMatchObject({
      runtimeStatus: "Completed",
      output: { went: 7 },
    });
  });
});
