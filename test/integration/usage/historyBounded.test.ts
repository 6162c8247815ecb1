import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeGraph, type FakeGraph } from "../../fixtures/fakeGraph";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";
import { createStore, type Store } from "../../../src/store/store";

/**
 * An Approved association polled for months: its lifecycle orchestration (instance ID = association
 * ID) continues as new after every reading it is told of, so its stored history stays the size of
 * one execution however many readings it has seen. Under the high-water-mark program every new seat
 * pays, so a tenant growing by one seat a day is news every day (a reading that changes nothing
 * raises no event at all: the last cycle checks that). The real app on the local host, usage from
 * the fake Graph; the test drives the usage-poll queue, one reading (a new report refresh date, one
 * day later each time) per cycle.
 */
const dayMs = 86_400_000;
const date = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);
const cycles = 50;

describe("usage loop history", () => {
  let app: AppUnderTest;
  let graph: FakeGraph;
  let store: Store;
  let pollQueue: QueueClient;

  beforeAll(async () => {
    graph = await startFakeGraph({ tls: inject("fakeTls") });
    app = await startApp({
      USAGE_PROVIDER: "graph",
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      AZURE_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      INCENTIVE_PROGRAM: "high-water-mark",
      // An idle usage-poll queue is polled every 100 ms at most: 50 cycles stay well within a minute.
      AzureFunctionsJobHost__extensions__queues__maxPollingInterval: "00:00:00.100",
    });
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    pollQueue = new QueueClient(inject("storageConnectionString"), process.env["USAGE_POLL_QUEUE"] as string);
    await pollQueue.createIfNotExists();
  });

  afterAll(async () => {
    await app?.host.stop();
    await graph?.stop();
  });

  /** The tenant's Graph reports as of `refreshDate`: `seats` Microsoft 365 E3 seats, these active users. */
  function report(
    tenant: string,
    refreshDate: string,
    active: { teams: number; exchange: number },
    seats = 400,
  ) {
    graph.setTenant(tenant, {
      refreshDate,
      skus: [{ skuPartNumber: "SPE_E3", enabled: seats }],
      counts: {
        getOffice365ServicesUserCounts: { "Teams Active": active.teams, "Exchange Active": active.exchange },
      },
    });
  }

  const enqueuePoll = (tenant: string) =>
    pollQueue.sendMessage(Buffer.from(JSON.stringify({ customerTenantId: tenant })).toString("base64"));

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  /**
   * The usage loop of `id` waiting for its next reading in an execution other than `previous`:
   * Running (not ContinuedAsNew between two executions), in the usage loop (baseline recorded), custom status Approved.
   */
  async function waitingAfter(id: string, previous: string | undefined): Promise<string> {
    let executionId = "";
    await until(`association ${id} waiting in a new execution`, async () => {
      const row = await app.host.hub.getInstance(id);
      executionId = row?.executionId ?? "";
      return (
        row?.runtimeStatus === "Running" &&
        row.executionId !== previous &&
        (JSON.parse(row.input ?? "{}") as { baselineRecorded?: boolean }).baselineRecorded === true &&
        (JSON.parse(row.customStatus ?? "{}") as { status?: string }).status === "Approved"
      );
    });
    return executionId;
  }

  it(`keeps the stored history of an Approved association bounded over ${cycles} readings`, async () => {
    const partner = await app.partner("Fabrikam Consulting");
    const tenant = randomUUID();
    // Baseline before approval: Teams 5%, Exchange 2.5%.
    report(tenant, date(-1), { teams: 20, exchange: 10 });
    const reads = graph.stats(tenant).subscribedSkusCalls;
    await enqueuePoll(tenant);
    await until("the baseline reading", () =>
      Promise.resolve(graph.stats(tenant).subscribedSkusCalls > reads),
    );
    await until(
      "the baseline snapshot",
      async () => (await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate === date(-1),
    );

    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const submitted = await app.call(
      partner.apiKey,
      "POST",
      `/api/v1/associations/${id}/poe`,
      poeSubmissionFor(),
    );
    expect(submitted.status).toBe(202);
    await until(`association ${id} approved with a baseline`, async () => {
      const found = await store.associations.find(partner.partnerId, id);
      return found?.value.status === "Approved" && found.value.baseline !== undefined;
    });
    let executionId = await waitingAfter(id, undefined);

    const hub = app.host.hub;
    const stored: number[] = [];
    const current: number[] = [];
    for (let cycle = 1; cycle <= cycles; cycle++) {
      // One more seat every day at 25% active: the new seat is paid (and only it).
      report(tenant, date(cycle), { teams: 101 + cycle, exchange: 101 + cycle }, 400 + cycle);
      await enqueuePoll(tenant);
      executionId = await waitingAfter(id, executionId);
      stored.push(await hub.storedHistoryRows(id));
      current.push((await hub.loadHistory(id)).events.length);
    }

    // Every reading was read, recorded and evaluated: one seat paid per day and workload; the
    // association keeps only the highest mark of each workload.
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate).toBe(date(cycles));
    const ledger = await store.incentiveLedger.listAll(partner.partnerId, { associationId: id });
    expect(ledger).toHaveLength(cycles * 2);
    expect(ledger.every((e) => e.units === 1)).toBe(true);
    expect((await store.associations.get(partner.partnerId, id)).value.recordedMilestones).toEqual([
      { workload: "exchange", key: `hwm-${400 + cycles}` },
      { workload: "teams", key: `hwm-${400 + cycles}` },
    ]);

    // A new report with no new seat changes nothing: read and stored, no event, the same execution.
    const readsBefore = graph.stats(tenant).subscribedSkusCalls;
    report(tenant, date(cycles + 1), { teams: 120, exchange: 120 }, 400 + cycles);
    await enqueuePoll(tenant);
    await until(
      "the unchanged reading stored",
      async () =>
        graph.stats(tenant).subscribedSkusCalls > readsBefore &&
        (await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate === date(cycles + 1),
    );
    await sleep(500);
    expect((await app.host.hub.getInstance(id))?.executionId).toBe(executionId);

    // Bounded: after the 50th reading no more rows than after the 1st, and never more in between;
    // the current execution's history is the same size after every reading.
    const [first] = stored;
    expect(stored[cycles - 1]).toBeLessThanOrEqual(first as number);
    expect(Math.max(...stored)).toBe(first);
    expect(new Set(current)).toEqual(new Set([current[0]]));

    // Still running, waiting for the next reading.
    const status = (await (
      await fetch(`${app.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true`)
    ).json()) as {
      runtimeStatus: string;
      customStatus: unknown;
      historyEvents?: { EventType: string }[];
    };
    expect(status.runtimeStatus).toBe("Running");
    expect(status.customStatus).toEqual({ status: "Approved", waitingFor: "usage" });
    const events = (status.historyEvents ?? []).map((e) => e.EventType);
    expect(events).toContain("ExecutionStarted");
    expect(events).not.toContain("TaskScheduled"); // nothing in flight: waiting for an event
    expect(events).not.toContain("EventRaised");
  }, 90_000);
});
