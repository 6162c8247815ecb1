import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  azureRevenueResponse,
  azureRevenueStoredResponse,
  pcsCustomersResponse,
  pcsHistoryResponse,
  pcsResponse,
} from "../../../src/http/responseSchemas";
import { createStore, type Store } from "../../../src/store/store";
import { draftAssociation } from "../../support/builders";
import { startApp, type AppUnderTest } from "../../support/app";

const dayMs = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * dayMs).toISOString();
const lastMonth = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
};

interface Metric {
  metric: string;
  points: number;
  max: number;
  next: string | null;
}
interface Area {
  area: string;
  metrics: Metric[];
  total: number;
  qualified: boolean;
  lastQualifiedOn: string | null;
}

/**
 * The score through the API, for a partner whose data is seeded in storage as the product would
 * have stored it: an approved Teams claim on a 400-seat tenant (100 → 200 active since approval),
 * a CSP customer with Azure revenue reported through `PUT /azure-revenue`, and certifications.
 */
describe("Partner Capability Score API", () => {
  let app: AppUnderTest;
  let store: Store;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let other: Awaited<ReturnType<AppUnderTest["partner"]>>;
  const claimTenant = randomUUID();
  const cspTenant = randomUUID();

  beforeAll(async () => {
    // The snapshot runs every two seconds here, so the history fills while the tests run.
    app = await startApp({ PCS_SNAPSHOT_SCHEDULE: "*/2 * * * * *" });
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    partner = await app.partner("Fabrikam Consulting");
    other = await app.partner("Northwind Traders");
    const approvedAt = daysAgo(30);
    await store.associations.create(
      draftAssociation(partner.partnerId, {
        status: "Approved",
        customerTenantId: claimTenant,
        statusChangedAt: approvedAt,
        baseline: { approvedAt, workloads: {} },
      }),
    );
    await store.associations.create(
      draftAssociation(partner.partnerId, {
        kind: "csp-direct-bill",
        status: "Active",
        customerTenantId: cspTenant,
        units: [`customer:${cspTenant}`],
        createdAt: daysAgo(70),
        statusChangedAt: daysAgo(70),
      }),
    );
    for (const [ago, activeUsers] of [
      [25, 100],
      [2, 200],
    ] as const)
      await store.usageSnapshots.record({
        customerTenantId: claimTenant,
        workload: "teams",
        reportRefreshDate: daysAgo(ago).slice(0, 10),
        paidSeats: 400,
        activeUsers,
        fetchedAt: daysAgo(ago),
      });
  });

  afterAll(() => app?.host.stop());

  const get = async (apiKey: string, path: string) => {
    const response = await app.call(apiKey, "GET", path);
    expect(response.status, path).toBe(200);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const areaOf = (body: Record<string, unknown>, id: string) =>
    (body["areas"] as Area[]).find((a) => a.area === id)!;

  it("takes certification counts and Azure revenue (JSON and CSV), and scores from them", async () => {
    const skilling = await app.call(partner.apiKey, "PUT", "/api/v1/skilling", {
      "modern-work": { intermediate: 4, advanced: 2 },
    });
    expect(skilling.status).toBe(200);
    expect(await skilling.json()).toEqual({ "modern-work": { intermediate: 4, advanced: 2 } });

    const json = await app.call(partner.apiKey, "PUT", "/api/v1/azure-revenue", {
      rows: [{ customerTenantId: cspTenant, month: lastMonth(), amount: 900, service: "Azure SQL Database" }],
    });
    expect(await json.json()).toEqual({ stored: 1 });
    // The CSV replaces the same row (customer, month, service) and adds one.
    const csv = await app.call(
      partner.apiKey,
      "PUT",
      "/api/v1/azure-revenue",
      `customerTenantId,month,amount,service\n${cspTenant},${lastMonth()},1200,Azure SQL Database\n${cspTenant},${lastMonth()},300,Virtual Machines\n`,
      { "content-type": "text/csv" },
    );
    expect(azureRevenueStoredResponse.parse(await csv.json())).toEqual({ stored: 2 });
    const rows = azureRevenueResponse.parse(await get(partner.apiKey, "/api/v1/azure-revenue")).rows;
    expect(rows.map((r) => r.amount).sort((a, b) => a - b)).toEqual([300, 1200]);

    const score = await get(partner.apiKey, "/api/v1/pcs");
    pcsResponse.parse(score);
    expect((score["areas"] as Area[]).map((a) => a.area)).toEqual([
      "modern-work",
      "security",
      "business-applications",
      "data-ai",
      "infrastructure",
      "digital-app-innovation",
    ]);
    const mw = areaOf(score, "modern-work");
    // One enterprise customer of 5 (4), 4 of 4 intermediate (10), 2 of 2 advanced (15),
    // +100 active users of 1,000 (3), one deployment (200 of 400 active) of 5 (5).
    expect(mw.metrics.map((m) => [m.metric, m.points, m.max])).toEqual([
      ["net-customer-adds", 4, 20],
      ["intermediate-certifications", 10, 10],
      ["advanced-certifications", 15, 15],
      ["usage-growth", 3, 30],
      ["deployments", 5, 25],
    ]);
    expect(mw.metrics[1]!.next).toBeNull();
    expect(mw.metrics[4]!.next).toBe("4 more deployments (11+ paid seats, 40% active): +20 points");
    expect(mw).toMatchObject({ total: 37, qualified: false, lastQualifiedOn: null });
    // $1,500 last month with a CSP relationship: one net Azure customer (10 of 30); one non-VM service.
    const dataAi = areaOf(score, "data-ai");
    expect(dataAi.metrics.find((m) => m.metric === "net-customer-adds")!.points).toBe(10);
    expect(dataAi.metrics.find((m) => m.metric === "deployments")!.points).toBe(6.67);
  });

  it("explains per customer which metrics it counts toward, and why not", async () => {
    const body = await get(partner.apiKey, "/api/v1/pcs/customers?area=modern-work");
    pcsCustomersResponse.parse(body);
    expect(body["area"]).toBe("modern-work");
    const items = body["items"] as { customerTenantId: string; metrics: string[]; reasons: unknown[] }[];
    expect(items.find((i) => i.customerTenantId === claimTenant)).toEqual({
      customerTenantId: claimTenant,
      metrics: ["net-customer-adds", "usage-growth", "deployments"],
      reasons: [],
    });
    expect(items.find((i) => i.customerTenantId === cspTenant)!.reasons).toContainEqual({
      metric: "net-customer-adds",
      reason: "paid seats unknown: no usage reading yet",
    });
  });

  it("refuses bad input naming each field, and stores none of a bad request", async () => {
    const area = await app.call(partner.apiKey, "GET", "/api/v1/pcs/customers?area=mordern-work");
    expect(area.status).toBe(400);
    expect(JSON.stringify(await area.json())).toContain('"area"');

    const skilling = await app.call(partner.apiKey, "PUT", "/api/v1/skilling", {
      "modern-work": { intermediate: -1, advanced: 1.5 },
      quantum: { intermediate: 1 },
    });
    expect(skilling.status).toBe(400);
    const paths = ((await skilling.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["modern-work.intermediate", "modern-work.advanced"]));

    const json = await app.call(partner.apiKey, "PUT", "/api/v1/azure-revenue", {
      rows: [
        { customerTenantId: cspTenant, month: lastMonth(), amount: 5, service: "Azure Functions" },
        { customerTenantId: "not-a-tenant", month: "2026-13", amount: -1 },
      ],
    });
    expect(json.status).toBe(400);
    const jsonPaths = ((await json.json()) as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(jsonPaths).toEqual(
      expect.arrayContaining(["rows.1.customerTenantId", "rows.1.month", "rows.1.amount"]),
    );

    const csv = await app.call(
      partner.apiKey,
      "PUT",
      "/api/v1/azure-revenue",
      `customerTenantId,month,amount\n${cspTenant},${lastMonth()},10\n${cspTenant},2026-11,ten\n`,
      { "content-type": "text/csv" },
    );
    expect(csv.status).toBe(400);
    expect(((await csv.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "line 3.amount",
    ]);

    const rows = (await get(partner.apiKey, "/api/v1/azure-revenue"))["rows"] as { service?: string }[];
    expect(rows.map((r) => r.service).sort()).toEqual(["Azure SQL Database", "Virtual Machines"]);

    const plain = await app.call(partner.apiKey, "PUT", "/api/v1/azure-revenue", "a,b", {
      "content-type": "text/plain",
    });
    expect(plain.status).toBe(415);
  });

  it("shows another partner none of it", async () => {
    expect(await get(other.apiKey, "/api/v1/skilling")).toEqual({});
    expect(await get(other.apiKey, "/api/v1/azure-revenue")).toEqual({ rows: [] });
    expect((await get(other.apiKey, "/api/v1/pcs/customers?area=modern-work"))["items"]).toEqual([]);
    const score = await get(other.apiKey, "/api/v1/pcs");
    for (const area of score["areas"] as Area[]) expect(area.total).toBe(0);
  });

  it("keeps a daily snapshot per area for the history", async () => {
    const deadline = Date.now() + 30_000;
    let items: { area: string; day: string; total: number; qualified: boolean }[] = [];
    while (Date.now() < deadline) {
      items = (await get(partner.apiKey, "/api/v1/pcs/history?area=modern-work"))["items"] as typeof items;
      if (items.some((i) => i.total === 37)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(items).toContainEqual(
      expect.objectContaining({
        area: "modern-work",
        day: new Date().toISOString().slice(0, 10),
        total: 37,
        qualified: false,
      }),
    );
    const all = pcsHistoryResponse.parse(await get(partner.apiKey, "/api/v1/pcs/history")).items;
    expect(new Set(all.map((i) => i.area)).size).toBe(6);
    expect((await get(other.apiKey, "/api/v1/pcs/history?area=modern-work"))["items"]).not.toContainEqual(
      expect.objectContaining({ total: 37 }),
    );
  });
});
