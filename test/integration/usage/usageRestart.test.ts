import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeGraph, type FakeGraph } from "../../fixtures/fakeGraph";
import {
  appProcessSettings,
  callApi,
  onboardPartner,
  spawnApp,
  type AppProcessSettings,
} from "../../support/appProcess";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import type { HostProcess } from "../../../devhost/test/support/hostProcess";
import { TaskHub } from "devhost";
import { createStore, type Store } from "../../../src/store/store";

/**
 * The usage loop across host crashes: the real app runs on the local host in a child process (the
 * devhost CLI), usage comes from the fake Graph and Entra ID (test/fixtures/fakeGraph.ts; the child
 * trusts its certificate through the NODE_EXTRA_CA_CERTS it inherits), and the test drives the
 * usage-poll queue itself. Between readings the host is killed with SIGKILL and started again with
 * the same settings; storage (Azurite, the test process's) is all that survives. Every milestone
 * must be recorded exactly once: one ledger row and one timeline event each.
 */
const dayMs = 86_400_000;
const date = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);

describe("usage loop across kill -9 and restart", () => {
  const connection = inject("storageConnectionString");
  let graph: FakeGraph;
  let settings: AppProcessSettings;
  let host: HostProcess | undefined;
  let store: Store;
  let hub: TaskHub;
  let pollQueue: QueueClient;

  beforeAll(async () => {
    graph = await startFakeGraph({ tls: inject("fakeTls") });
    settings = appProcessSettings({
      USAGE_PROVIDER: "graph",
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      AZURE_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      // Midnight on 1 January: the timer never fires during the test; the test enqueues instead.
      USAGE_POLL_SCHEDULE: "0 0 0 1 1 *",
    });
    store = createStore(connection, { prefix: settings.env["TABLE_PREFIX"] });
    hub = new TaskHub(connection, settings.env["DURABLE_HUB_NAME"] as string);
    pollQueue = new QueueClient(connection, settings.env["USAGE_POLL_QUEUE"] as string);
    await pollQueue.createIfNotExists();
  });

  afterAll(async () => {
    await host?.stop();
    await graph?.stop();
  });

  /** Starts the app (again); the previous process must be gone. */
  async function start(): Promise<HostProcess> {
    host = await spawnApp(connection, settings);
    return host;
  }

  /** kill -9: no clean-up of any kind. */
  async function crash(): Promise<void> {
    await host?.crash();
    host = undefined;
  }

  const url = () => {
    if (!host) throw new Error("the host is not running");
    return host.url;
  };

  const poe = poeSubmissionFor();

  /** The tenant's Graph reports as of `refreshDate`: 400 Microsoft 365 E3 seats, these active users. */
  function report(tenant: string, refreshDate: string, active: { teams: number; exchange: number }) {
    graph.setTenant(tenant, {
      refreshDate,
      skus: [{ skuPartNumber: "SPE_E3", enabled: 400 }],
      counts: {
        getOffice365ServicesUserCounts: { "Teams Active": active.teams, "Exchange Active": active.exchange },
      },
    });
  }

  /** Delivers the tenant's current report `times` times (one poll message each) and waits until all were read. */
  async function poll(tenant: string, times = 1) {
    const reads = graph.stats(tenant).subscribedSkusCalls;
    for (let i = 0; i < times; i++)
      await pollQueue.sendMessage(
        Buffer.from(JSON.stringify({ customerTenantId: tenant })).toString("base64"),
      );
    await until(`${times} read(s) of tenant ${tenant}`, async () => {
      const done = graph.stats(tenant).subscribedSkusCalls >= reads + times;
      const queued = (await pollQueue.getProperties()).approximateMessagesCount ?? 0;
      return done && queued === 0;
    });
    await sleep(500); // the last read's writes and raises
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}\n--- host output ---\n${host?.output.join("\n") ?? ""}`);
  }

  /**
   * The usage loop of `id` waiting for its next reading in a new execution (not `previous`): the
   * instance is Running (not ContinuedAsNew between executions) and its custom status is Approved.
   */
  async function waitingAfter(id: string, previous: string | undefined) {
    let executionId = "";
    await until(`association ${id} waiting in a new execution`, async () => {
      const row = await hub.getInstance(id);
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

  it("records each milestone exactly once although the host is killed after every reading", async () => {
    const tenant = randomUUID();
    await start();
    const partner = await onboardPartner(url(), settings.adminKey);
    const ledger = async (associationId: string) =>
      (await store.incentiveLedger.list(partner.partnerId, { associationId })).items
        .map((e) => `${e.workload}:${e.milestoneKey}`)
        .sort();
    const reached = async (associationId: string) =>
      (await store.auditEvents.timeline(partner.partnerId, associationId)).filter(
        (e) => e.kind === "milestone-reached",
      );

    // Read before the claim is approved: the baseline starts from it (Teams 5%, Exchange 2.5%).
    report(tenant, date(-1), { teams: 20, exchange: 10 });
    await poll(tenant);
    const created = await callApi(
      url(),
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const submitted = await callApi(url(), partner.apiKey, "POST", `/api/v1/associations/${id}/poe`, poe);
    expect(submitted.status).toBe(202);
    await until(`association ${id} approved with a baseline`, async () => {
      const found = await store.associations.find(partner.partnerId, id);
      return found?.value.status === "Approved" && found.value.baseline !== undefined;
    });
    expect((await store.associations.get(partner.partnerId, id)).value.baseline?.workloads).toMatchObject({
      teams: { paidSeats: 400, activeUsers: 20 },
      exchange: { paidSeats: 400, activeUsers: 10 },
    });
    const beforeFirst = await waitingAfter(id, undefined);

    // Reading 1: Teams 16% (crosses 15%), Exchange 10%. Killed as soon as its ledger row is written:
    // the activity's completion and the orchestration's turn may not be committed yet.
    report(tenant, date(1), { teams: 64, exchange: 40 });
    await poll(tenant);
    await until("teams 15% in the ledger", async () => (await ledger(id)).length >= 1);
    await crash();

    await start();
    const afterFirst = await waitingAfter(id, beforeFirst);
    expect(await ledger(id)).toEqual(["teams:active-15"]);
    expect(await reached(id)).toHaveLength(1);

    // Reading 2: the same report (same refresh date, Teams 16% again) delivered once more: nothing
    // is new, nothing is raised, the loop keeps waiting in the same execution. Then killed again.
    report(tenant, date(1), { teams: 64, exchange: 40 });
    await poll(tenant);
    await sleep(1000);
    const unchanged = await hub.getInstance(id);
    expect(unchanged).toMatchObject({ runtimeStatus: "Running", executionId: afterFirst });
    expect(await ledger(id)).toEqual(["teams:active-15"]);
    await crash();

    // Reading 3: Teams 41% (crosses 40%), Exchange 16% (crosses 15%), delivered three times after
    // the restart: nothing is left to earn, so the loop completes, still Approved.
    await start();
    report(tenant, date(2), { teams: 164, exchange: 64 });
    await poll(tenant, 3);
    await until("three milestones", async () => (await ledger(id)).length >= 3);
    await until("the usage loop to complete", async () => {
      const row = await hub.getInstance(id);
      return row?.runtimeStatus === "Completed";
    });
    const done = await hub.getInstance(id);
    expect(JSON.parse(done?.output ?? "null")).toBe("Approved");
    await sleep(1000); // anything a duplicate might still write
    expect(await ledger(id)).toEqual(["exchange:active-15", "teams:active-15", "teams:active-40"]);
    expect(
      (await reached(id))
        .map((e) => `${String(e.data?.["workload"])}:${String(e.data?.["milestoneKey"])}`)
        .sort(),
    ).toEqual(["exchange:active-15", "teams:active-15", "teams:active-40"]);
    expect((await store.associations.get(partner.partnerId, id)).value.status).toBe("Approved");

    // The API, from the third process: exactly three incentives.
    const incentives = await callApi(url(), partner.apiKey, "GET", `/api/v1/incentives?associationId=${id}`);
    expect(incentives.status).toBe(200);
    const earned = (await incentives.json()) as {
      items: { workload: string; milestoneKey: string; reportRefreshDate: string }[];
    };
    expect(earned.items.map((i) => `${i.workload}:${i.milestoneKey}:${i.reportRefreshDate}`).sort()).toEqual([
      `exchange:active-15:${date(2)}`,
      `teams:active-15:${date(1)}`,
      `teams:active-40:${date(2)}`,
    ]);
  }, 150_000);
});
