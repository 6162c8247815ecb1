import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startFakeGraph, type FakeGraph } from "../../fixtures/fakeGraph";
import { cporRequest, poeSubmissionFor } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";
import { createStore, type Store } from "../../../src/store/store";

/**
 * The usage loop end to end on the local host with the real app: usage comes from Microsoft Graph
 * (the fake Graph and Entra ID of test/fixtures/fakeGraph.ts, through the real Graph adapter), the
 * poll timer never fires (a yearly schedule), and the test drives the usage-poll queue itself, one
 * message of the timer's form per delivery of the tenant's current report. Lifecycle durations are seconds.
 */
const dayMs = 86_400_000;
const date = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);

describe("usage loop: poller → lifecycle → ledger → API", () => {
  let app: AppUnderTest;
  let graph: FakeGraph;
  let store: Store;
  let pollQueue: QueueClient;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;

  beforeAll(async () => {
    graph = await startFakeGraph({ tls: inject("fakeTls") });
    const queueName = `usage-poll-${randomBytes(4).toString("hex")}`;
    app = await startApp({
      USAGE_PROVIDER: "graph",
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      AZURE_AUTHORITY_HOST: graph.authorityHost,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      USAGE_POLL_QUEUE: queueName,
      // Midnight on 1 January: the timer never fires during the test; the test enqueues instead.
      USAGE_POLL_SCHEDULE: "0 0 0 1 1 *",
    });
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    pollQueue = new QueueClient(inject("storageConnectionString"), queueName);
    await pollQueue.createIfNotExists();
    partner = await app.partner("Fabrikam Consulting");
  });

  afterAll(async () => {
    await app?.host.stop();
    await graph?.stop();
  });

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
        Buffer.from(JSON.stringify({ tenants: [{ customerTenantId: tenant }] })).toString("base64"),
      );
    await until(`${times} read(s) of tenant ${tenant}`, async () => {
      const done = graph.stats(tenant).subscribedSkusCalls >= reads + times;
      const queued = (await pollQueue.getProperties()).approximateMessagesCount ?? 0;
      return done && queued === 0;
    });
    await sleep(500); // the last read's writes and raises
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  const ledger = async (associationId: string) =>
    (await store.incentiveLedger.list(partner.partnerId, { associationId })).items
      .map((e) => `${e.workload}:${e.milestoneKey}`)
      .sort();

  async function instance(id: string) {
    const response = await fetch(`${app.url}/runtime/webhooks/durabletask/instances/${id}`);
    return (await response.json()) as { runtimeStatus: string; output: unknown; lastUpdatedTime: string };
  }

  /** The instance's status once it stopped changing (no turn for a second). */
  async function settled(id: string) {
    let last = await instance(id);
    for (let i = 0; i < 40; i++) {
      await sleep(1000);
      const now = await instance(id);
      if (now.lastUpdatedTime === last.lastUpdatedTime && now.runtimeStatus === last.runtimeStatus)
        return now;
      last = now;
    }
    throw new Error(`instance ${id} kept changing`);
  }

  async function approvedAssociation(tenant: string): Promise<string> {
    const created = await app.call(
      partner.apiKey,
      "POST",
      "/api/v1/associations",
      cporRequest({ partnerLocationId: partner.locationId, customerTenantId: tenant }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const submitted = await app.call(partner.apiKey, "POST", `/api/v1/associations/${id}/poe`, poe);
    expect(submitted.status).toBe(202);
    await until(`association ${id} approved with a baseline`, async () => {
      const found = await store.associations.find(partner.partnerId, id);
      return found?.value.status === "Approved" && found.value.baseline !== undefined;
    });
    return id;
  }

  it("records 15% then 40% on Teams and 15% on Exchange exactly once each, and ignores repeats and stale reports", async () => {
    const tenant = randomUUID();
    // Read before the claim is approved: the baseline starts from it (Teams 5%, Exchange 2.5%).
    report(tenant, date(-1), { teams: 20, exchange: 10 });
    await poll(tenant);
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate).toBe(date(-1));
    const id = await approvedAssociation(tenant);
    const association = (await store.associations.get(partner.partnerId, id)).value;
    expect(association.baseline?.workloads).toMatchObject({
      teams: { paidSeats: 400, activeUsers: 20, highWaterMark: 400 },
      exchange: { paidSeats: 400, activeUsers: 10, highWaterMark: 400 },
    });
    expect(association.milestoneFlags).toEqual([]);

    // Teams crosses 15%; the same report delivered twice more raises nothing.
    report(tenant, date(1), { teams: 80, exchange: 20 });
    await poll(tenant);
    await until("teams 15%", async () => (await ledger(id)).length === 1);
    const afterFirst = await settled(id);
    expect(afterFirst.runtimeStatus).toBe("Running");
    await poll(tenant, 2);
    expect((await instance(id)).lastUpdatedTime).toBe(afterFirst.lastUpdatedTime);

    // A late report, older than the last one, would qualify everything: it is stale and raises nothing.
    report(tenant, date(0), { teams: 300, exchange: 300 });
    await poll(tenant);
    expect((await instance(id)).lastUpdatedTime).toBe(afterFirst.lastUpdatedTime);
    expect(await ledger(id)).toEqual(["teams:active-15"]);

    // Teams crosses 40% and Exchange 15%, the report delivered three times: nothing is left to earn.
    report(tenant, date(2), { teams: 170, exchange: 70 });
    await poll(tenant, 3);
    await until("three milestones", async () => (await ledger(id)).length === 3);
    await until("the usage loop to complete", async () => (await instance(id)).runtimeStatus === "Completed");
    expect((await instance(id)).output).toBe("Approved");
    expect(await ledger(id)).toEqual(["exchange:active-15", "teams:active-15", "teams:active-40"]);
    const timeline = await store.auditEvents.timeline(partner.partnerId, id);
    expect(timeline.filter((e) => e.kind === "milestone-reached")).toHaveLength(3);
    expect((await store.associations.get(partner.partnerId, id)).value.status).toBe("Approved");

    // The API: usage with progress, then the incentives.
    const usage = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}/usage`);
    expect(usage.status).toBe(200);
    const body = (await usage.json()) as {
      baseline: unknown;
      series: { reportRefreshDate: string; workload: string; activeShare: number }[];
      progress: {
        workload: string;
        milestoneKey: string;
        fraction: number;
        reached: boolean;
        flagged: boolean;
      }[];
      milestoneFlags: unknown[];
    };
    expect(body.baseline).toEqual(association.baseline);
    expect(body.series.map((p) => `${p.reportRefreshDate} ${p.workload} ${p.activeShare}`)).toEqual([
      `${date(1)} teams 0.2`,
      `${date(1)} exchange 0.05`,
      `${date(2)} teams 0.425`,
      `${date(2)} exchange 0.175`,
    ]);
    expect(body.progress).toEqual([
      expect.objectContaining({ workload: "teams", milestoneKey: "active-15", fraction: 1, reached: true }),
      expect.objectContaining({ workload: "teams", milestoneKey: "active-40", fraction: 1, reached: true }),
      expect.objectContaining({
        workload: "exchange",
        milestoneKey: "active-15",
        fraction: 1,
        reached: true,
      }),
    ]);
    expect(body.milestoneFlags).toEqual([]);

    const csv = await app.call(partner.apiKey, "GET", `/api/v1/associations/${id}/usage`, undefined, {
      accept: "text/csv",
    });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect((await csv.text()).split("\r\n")).toEqual([
      "reportRefreshDate,workload,paidSeats,activeUsers,activeShare",
      `${date(1)},teams,400,80,0.2`,
      `${date(1)},exchange,400,20,0.05`,
      `${date(2)},teams,400,170,0.425`,
      `${date(2)},exchange,400,70,0.175`,
      "",
    ]);

    const incentives = await app.call(partner.apiKey, "GET", `/api/v1/incentives?associationId=${id}`);
    const earned = (await incentives.json()) as {
      items: {
        workload: string;
        milestoneKey: string;
        amount: number;
        earnedAt: string;
        payableOn: string;
        claimName?: string;
        customerDomain?: string;
      }[];
      totals: {
        byWorkload: { workload: string; currency: string; count: number; amount: number }[];
        byMonth: { month: string; amount: number }[];
      };
    };
    expect(earned.items).toHaveLength(3);
    expect(earned.totals.byWorkload).toEqual([
      { workload: "exchange", currency: "USD", count: 1, units: 1, amount: 2000 },
      { workload: "teams", currency: "USD", count: 2, units: 2, amount: 12000 },
    ]);
    expect(earned.totals.byMonth.reduce((sum, m) => sum + m.amount, 0)).toBe(14000);
    // Each row names the claim and the customer's domain.
    for (const item of earned.items)
      expect(item).toMatchObject({
        claimName: "Contoso modern work",
        customerDomain: "contoso.onmicrosoft.com",
      });

    // By the month a milestone was earned, and by the month it is payable (`period` is its alias).
    const keysOf = (items: { workload: string; milestoneKey: string }[]) =>
      items.map((e) => `${e.workload}:${e.milestoneKey}`).sort();
    const filtered = async (query: string) => {
      const response = await app.call(
        partner.apiKey,
        "GET",
        `/api/v1/incentives?associationId=${id}&${query}`,
      );
      expect(response.status).toBe(200);
      return keysOf(((await response.json()) as typeof earned).items);
    };
    const earnedIn = earned.items[0]?.earnedAt.slice(0, 7) ?? "";
    const payableIn = earned.items[0]?.payableOn.slice(0, 7) ?? "";
    const monthBefore = (month: string) => {
      const [year, m] = month.split("-").map(Number) as [number, number];
      return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, "0")}`;
    };
    const earnedThen = keysOf(earned.items.filter((e) => e.earnedAt.startsWith(earnedIn)));
    const payableThen = keysOf(earned.items.filter((e) => e.payableOn.startsWith(payableIn)));
    expect(earnedIn).not.toBe(payableIn); // payable the month after the report: the two filters differ
    expect(await filtered(`earnedIn=${earnedIn}`)).toEqual(earnedThen);
    expect(await filtered(`earnedIn=${payableIn}`)).toEqual([]);
    expect(await filtered(`earnedIn=${monthBefore(earnedIn)}`)).toEqual([]);
    expect(await filtered(`payableIn=${payableIn}`)).toEqual(payableThen);
    expect(await filtered(`period=${payableIn}`)).toEqual(payableThen);
    expect(await filtered(`period=${payableIn}&payableIn=${payableIn}`)).toEqual(payableThen);
    expect(await filtered(`earnedIn=${earnedIn}&payableIn=${payableIn}`)).toEqual(
      keysOf(
        earned.items.filter((e) => e.earnedAt.startsWith(earnedIn) && e.payableOn.startsWith(payableIn)),
      ),
    );
    const conflicting = await app.call(
      partner.apiKey,
      "GET",
      `/api/v1/incentives?period=${payableIn}&payableIn=${earnedIn}`,
    );
    expect(conflicting.status).toBe(400);
    expect(await conflicting.json()).toMatchObject({ errors: [{ path: "period" }] });

    const incentivesCsv = await app.call(
      partner.apiKey,
      "GET",
      "/api/v1/incentives?workload=teams",
      undefined,
      {
        accept: "text/csv",
      },
    );
    const rows = (await incentivesCsv.text()).trimEnd().split("\r\n");
    expect(rows[0]).toBe(
      "associationId,claimName,customerTenantId,customerDomain,workload,milestoneKey,programId,programVersion,units,amount,currency,reportRefreshDate,earnedAt,payableOn",
    );
    expect(
      rows.filter((r) => r.startsWith(`${id},Contoso modern work,${tenant},contoso.onmicrosoft.com,`)),
    ).toHaveLength(2);

    // Another partner sees none of it.
    const rival = await app.partner("Contoso Partners");
    expect((await app.call(rival.apiKey, "GET", `/api/v1/associations/${id}/usage`)).status).toBe(404);
    const theirs = (await (await app.call(rival.apiKey, "GET", "/api/v1/incentives")).json()) as {
      items: unknown[];
    };
    expect(theirs.items).toEqual([]);
  });

  it.each(["period", "earnedIn", "payableIn"])(
    "answers a bad incentives query with a problem naming the field: %s",
    async (field) => {
      const response = await app.call(partner.apiKey, "GET", `/api/v1/incentives?${field}=2026-13`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ errors: [{ path: field }] });
    },
  );
});
