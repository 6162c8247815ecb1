import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Association } from "../../../src/domain/association";
import type { WorkloadId } from "../../../src/domain/workloads";
import { associationUsageResponse, forecastResponse } from "../../../src/http/responseSchemas";
import { createStore, type Store } from "../../../src/store/store";
import { startApp, type AppUnderTest } from "../../support/app";
import { cporRequest, draftAssociation } from "../../support/builders";

/**
 * The milestone forecast through HTTP on the local host: Approved associations and their usage
 * readings are seeded in the app's tables (readings dated relative to today, so each projection
 * lands on a known day), and the partner reads `forecast` in its usage and `GET /api/v1/forecast`.
 */
const dayMs = 86_400_000;
const date = (offsetDays: number) => new Date(Date.now() + offsetDays * dayMs).toISOString().slice(0, 10);
/** The 16th of the month after `day` (both programs' payout day). */
function payable(day: string): string {
  const [year, month] = [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
  return month === 12 ? `${year + 1}-01-16` : `${year}-${String(month + 1).padStart(2, "0")}-16`;
}

type Counts = [paidSeats: number, activeUsers: number];

describe("milestone forecast", () => {
  let app: AppUnderTest;
  let store: Store;
  let partner: Awaited<ReturnType<AppUnderTest["partner"]>>;
  let other: Awaited<ReturnType<AppUnderTest["partner"]>>;
  /** Filled in by beforeAll. */
  const ids = {} as Record<"a" | "b" | "c" | "d" | "submitted", { id: string; tenant: string }>;

  /** An association of `partner`, Approved 22 days ago unless told, with a baseline per workload. */
  async function seed(
    key: keyof typeof ids,
    baseline: Partial<Record<WorkloadId, Counts>>,
    over: Partial<Association> = {},
  ) {
    const tenant = randomUUID();
    const workloads = Object.keys(baseline) as WorkloadId[];
    const association = draftAssociation(partner.partnerId, {
      customerTenantId: tenant,
      request: cporRequest({ customerTenantId: tenant, partnerLocationId: partner.locationId, workloads }),
      units: workloads.map((w) => `workload:${w}`),
      status: "Approved",
      statusChangedAt: `${date(-22)}T09:00:00.000Z`,
      incentiveProgramId: "fy20-osu-milestones",
      incentiveProgramVersion: 1,
      baseline: {
        approvedAt: `${date(-22)}T09:00:00.000Z`,
        workloads: Object.fromEntries(
          Object.entries(baseline).map(([w, [paidSeats, activeUsers]]) => [
            w,
            { paidSeats, activeUsers, highWaterMark: paidSeats },
          ]),
        ),
      },
      milestoneFlags: [],
      ...over,
    });
    await store.associations.create(association);
    ids[key] = { id: association.id, tenant };
  }

  /** Readings of one workload, `[days from today, paid seats, active users]`, oldest first. */
  async function readings(tenant: string, workload: WorkloadId, ...points: [number, ...Counts][]) {
    for (const [offset, paidSeats, activeUsers] of points)
      await store.usageSnapshots.record({
        customerTenantId: tenant,
        workload,
        reportRefreshDate: date(offset),
        paidSeats,
        activeUsers,
        fetchedAt: new Date().toISOString(),
      });
  }

  beforeAll(async () => {
    app = await startApp();
    store = createStore(inject("storageConnectionString"), { prefix: process.env["TABLE_PREFIX"] });
    partner = await app.partner("Fabrikam Consulting");
    other = await app.partner("Northwind Traders");

    // A: Teams 5% → 9% of 400 seats over 21 days: slope 0.002, 15% on day 51 of the fit = today + 30
    // (enterprise band: 4000 USD). A reading before approval (30%) must not count. Exchange flat at 10%.
    await seed("a", { teams: [400, 20], exchange: [400, 40] });
    await readings(
      ids.a.tenant,
      "teams",
      [-24, 400, 120],
      [-21, 400, 20],
      [-14, 400, 24],
      [-7, 400, 32],
      [0, 400, 36],
    );
    await readings(ids.a.tenant, "exchange", [-21, 400, 40], [-14, 400, 40], [-7, 400, 40], [0, 400, 40]);
    // B: Teams 0.8% → 5% of 500 seats (slope 0.002 from 0.008: 15% on day 71 = today + 50, 4000 USD);
    // Exchange 4.9% → 7% of 1000 (slope 0.001 from 0.049: 15% on day 101 = today + 80, 2000 USD).
    await seed("b", { teams: [500, 0], exchange: [1000, 0] });
    await readings(ids.b.tenant, "teams", [-21, 500, 4], [-14, 500, 11], [-7, 500, 18], [0, 500, 25]);
    await readings(ids.b.tenant, "exchange", [-21, 1000, 49], [-14, 1000, 56], [-7, 1000, 63], [0, 1000, 70]);
    // C: two readings since approval, not enough for a trend.
    await seed("c", { teams: [400, 0] });
    await readings(ids.c.tenant, "teams", [-7, 400, 20], [0, 400, 40]);
    // D: the high-water-mark program, 300 seats at approval, 350 now: 8% → 14%, 7 users a week
    // (slope 1/350 from 0.08): 15% at day 24.5 → day 25 = today + 4, paying the 50 new seats × 4 USD.
    await seed(
      "d",
      { teams: [300, 0] },
      { incentiveProgramId: "high-water-mark", incentiveProgramVersion: 1 },
    );
    await readings(ids.d.tenant, "teams", [-21, 350, 28], [-14, 350, 35], [-7, 350, 42], [0, 350, 49]);
    // Submitted: rising too, but not Approved (and no baseline): no forecast.
    await seed("submitted", { teams: [400, 0] }, { status: "Submitted", baseline: undefined });
    await readings(
      ids.submitted.tenant,
      "teams",
      [-21, 400, 20],
      [-14, 400, 40],
      [-7, 400, 60],
      [0, 400, 80],
    );
  });

  afterAll(() => app?.host.stop());

  async function usage(apiKey: string, key: keyof typeof ids) {
    return app.call(apiKey, "GET", `/api/v1/associations/${ids[key].id}/usage`);
  }

  it("shows per claimed workload when its next threshold is projected, or why not", async () => {
    const response = await usage(partner.apiKey, "a");
    expect(response.status).toBe(200);
    const body = associationUsageResponse.parse(await response.json());
    expect(body.forecast).toEqual([
      {
        workload: "teams",
        readings: 4,
        trendPerDay: 0.002,
        latestShare: 0.09,
        nextMilestone: "active-15",
        threshold: 0.15,
        outcome: "projected",
        projectedOn: date(30),
        note: null,
      },
      {
        workload: "exchange",
        readings: 4,
        trendPerDay: 0,
        latestShare: 0.1,
        nextMilestone: "active-15",
        threshold: 0.15,
        outcome: "not-within-180-days",
        projectedOn: null,
        note: "not within 180 days",
      },
    ]);
  });

  it("says when there are not enough readings, and forecasts nothing before approval", async () => {
    const few = associationUsageResponse.parse(await (await usage(partner.apiKey, "c")).json());
    expect(few.forecast).toEqual([
      {
        workload: "teams",
        readings: 2,
        trendPerDay: null,
        latestShare: 0.1,
        nextMilestone: "active-15",
        threshold: 0.15,
        outcome: "not-enough-readings",
        projectedOn: null,
        note: "not enough readings",
      },
    ]);
    const submitted = associationUsageResponse.parse(await (await usage(partner.apiKey, "submitted")).json());
    expect(submitted.forecast).toEqual([]);
  });

  it("sums the partner's projected payments in 30/60/90-day windows and by payable month", async () => {
    const response = await app.call(partner.apiKey, "GET", "/api/v1/forecast");
    expect(response.status).toBe(200);
    const body = forecastResponse.parse(await response.json());
    const item = (
      key: "a" | "b" | "d",
      workload: WorkloadId,
      milestoneKey: string,
      days: number,
      amount: number,
    ) => ({
      associationId: ids[key].id,
      customerTenantId: ids[key].tenant,
      workload,
      milestoneKey,
      projectedOn: date(days),
      amount,
      currency: "USD",
      payableOn: payable(date(days)),
    });
    const items = [
      item("d", "teams", "hwm-350", 4, 200),
      item("a", "teams", "active-15", 30, 4000),
      item("b", "teams", "active-15", 50, 4000),
      item("b", "exchange", "active-15", 80, 2000),
    ];
    expect(body).toEqual({
      asOf: date(0),
      windows: [
        { days: 30, milestones: 2, amounts: [{ currency: "USD", amount: 4200 }] },
        { days: 60, milestones: 3, amounts: [{ currency: "USD", amount: 8200 }] },
        { days: 90, milestones: 4, amounts: [{ currency: "USD", amount: 10200 }] },
      ],
      items,
      payments: expect.any(Array) as unknown,
    });
    // By payable month: the items' months, each with its sum (two may share a month).
    const byMonth = new Map<string, { amount: number; count: number }>();
    for (const i of items) {
      const sum = byMonth.get(i.payableOn.slice(0, 7)) ?? { amount: 0, count: 0 };
      byMonth.set(i.payableOn.slice(0, 7), { amount: sum.amount + i.amount, count: sum.count + 1 });
    }
    expect(body.payments).toEqual([...byMonth].map(([month, sum]) => ({ month, currency: "USD", ...sum })));
  });

  it("answers the items as CSV when asked", async () => {
    const response = await app.call(partner.apiKey, "GET", "/api/v1/forecast", undefined, {
      accept: "text/csv",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="forecast-${date(0)}.csv"`,
    );
    const row = (
      key: "a" | "b" | "d",
      workload: string,
      milestoneKey: string,
      days: number,
      amount: number,
    ) =>
      [
        ids[key].id,
        ids[key].tenant,
        workload,
        milestoneKey,
        date(days),
        amount,
        "USD",
        payable(date(days)),
      ].join(",");
    expect(await response.text()).toBe(
      [
        "associationId,customerTenantId,workload,milestoneKey,projectedOn,amount,currency,payableOn",
        row("d", "teams", "hwm-350", 4, 200),
        row("a", "teams", "active-15", 30, 4000),
        row("b", "teams", "active-15", 50, 4000),
        row("b", "exchange", "active-15", 80, 2000),
        "",
      ].join("\r\n"),
    );
  });

  it("shows another partner none of it", async () => {
    expect((await usage(other.apiKey, "a")).status).toBe(404);
    const response = await app.call(other.apiKey, "GET", "/api/v1/forecast");
    expect(response.status).toBe(200);
    expect(forecastResponse.parse(await response.json())).toEqual({
      asOf: date(0),
      windows: [30, 60, 90].map((days) => ({ days, milestones: 0, amounts: [] })),
      items: [],
      payments: [],
    });
    const csv = await app.call(other.apiKey, "GET", "/api/v1/forecast", undefined, { accept: "text/csv" });
    expect(await csv.text()).toBe(
      "associationId,customerTenantId,workload,milestoneKey,projectedOn,amount,currency,payableOn\r\n",
    );
  });

  it("refuses query parameters, as the other summaries refuse unknown ones", async () => {
    const response = await app.call(partner.apiKey, "GET", "/api/v1/forecast?days=30");
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { errors: { path: string; message: string }[] }).errors).toEqual([
      { path: "", message: "unknown field(s): days" },
    ]);
  });
});
