import { randomUUID } from "node:crypto";
import { odata } from "@azure/data-tables";
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../../src/domain/auditEvent";
import type { UsageSnapshot } from "../../../src/domain/usageSnapshot";
import { AuditEventRepository } from "../../../src/store/auditEvents";
import type { TenantReading } from "../../../src/store/usageSnapshots";
import { testStore } from "../../support/storage";

describe("AuditEventRepository", () => {
  const store = testStore();
  const event = (associationId: string, at: string, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
    associationId,
    partnerId: "partner-a",
    eventId: randomUUID(),
    at,
    kind: "status-changed",
    actor: "system",
    reason: "refusal window passed",
    from: "UnderReview",
    to: "Approved",
    ...overrides,
  });

  it("keeps the timeline in time order, whatever the order of writes", async () => {
    const id = randomUUID();
    const late = event(id, "2026-11-03T00:00:00.000Z", { data: { workloads: ["teams"] } });
    const early = event(id, "2026-11-01T00:00:00.000Z", { kind: "created", from: undefined, to: "Draft" });
    await store.auditEvents.append(late);
    await store.auditEvents.append(early);
    expect(await store.auditEvents.timeline("partner-a", id)).toEqual(
      [{ ...early, from: undefined }, late].map(({ from, ...rest }) => (from ? { from, ...rest } : rest)),
    );
  });

  it("appends a retried event once", async () => {
    const id = randomUUID();
    const value = event(id, "2026-11-01T00:00:00.000Z");
    expect(await store.auditEvents.append(value)).toBe(true);
    expect(await store.auditEvents.append(value)).toBe(false);
    // A retry that stamps the same event with a later time is still the same event.
    expect(await store.auditEvents.append({ ...value, at: "2026-11-01T00:00:05.000Z" })).toBe(false);
    expect(await store.auditEvents.timeline("partner-a", id)).toHaveLength(1);
  });

  it("shows a timeline only to the association's partner", async () => {
    const id = randomUUID();
    await store.auditEvents.append(event(id, "2026-11-01T00:00:00.000Z"));
    expect(await store.auditEvents.timeline("partner-b", id)).toEqual([]);
  });

  /** The event rows as a partition query returns them (the index row sorts after every ISO time). */
  async function eventRows(id: string): Promise<Record<string, unknown>[]> {
    const table = await store.tables.table("auditEvents");
    const rows: Record<string, unknown>[] = [];
    const filter = odata`PartitionKey eq ${id} and RowKey lt ${"timeline"}`;
    for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }))
      rows.push(row);
    return rows;
  }

  it("reads the timeline from its index row: the same events, in the rows' order", async () => {
    const id = randomUUID();
    const times = ["2026-11-02T10:00:00Z", "2026-11-01T09:00:00.5Z", "2026-11-02T10:00:00.000Z"];
    const events = times.map((at, i) => event(id, at, { reason: `step ${i}`, data: { step: i } }));
    for (const e of events) await store.auditEvents.append(e);
    const rows = await eventRows(id);
    expect(rows).toHaveLength(3);
    const timeline = await store.auditEvents.timeline("partner-a", id);
    expect(timeline.map((e) => e.eventId)).toEqual(rows.map((r) => r["eventId"]));
    expect(new Set(timeline)).toEqual(new Set(events));
    expect(await store.auditEvents.find(id, events[1]?.eventId ?? "")).toEqual(events[1]);
  });

  it("sees at once what another instance appended (no copy is kept in process)", async () => {
    const id = randomUUID();
    const other = new AuditEventRepository(store.tables);
    await store.auditEvents.append(event(id, "2026-11-01T00:00:00.000Z"));
    expect(await store.auditEvents.timeline("partner-a", id)).toHaveLength(1);
    const later = event(id, "2026-11-02T00:00:00.000Z");
    await other.append(later);
    expect((await store.auditEvents.timeline("partner-a", id)).at(-1)).toEqual(later);
    expect(await store.auditEvents.append(later)).toBe(false);
  });

  it("records every one of concurrent appends to one association", async () => {
    const id = randomUUID();
    const events = Array.from({ length: 8 }, (_, i) => event(id, `2026-11-01T00:00:0${i}.000Z`));
    await Promise.all(events.map((e) => store.auditEvents.append(e)));
    expect(await store.auditEvents.timeline("partner-a", id)).toEqual(events);
    expect(await eventRows(id)).toHaveLength(8);
  });

  it("reads a partition written before the index existed, and indexes it at its next append", async () => {
    const id = randomUUID();
    const table = await store.tables.table("auditEvents");
    const old = event(id, "2026-10-01T00:00:00.000Z");
    const { associationId: _a, ...columns } = old;
    await table.createEntity({ partitionKey: id, rowKey: `${old.at}|${old.eventId}`, ...columns });
    expect(await store.auditEvents.timeline("partner-a", id)).toEqual([old]);
    expect(await store.auditEvents.append(old)).toBe(false);
    const next = event(id, "2026-10-02T00:00:00.000Z");
    expect(await store.auditEvents.append(next)).toBe(true);
    await table.deleteEntity(id, `${old.at}|${old.eventId}`); // from here on, only the index shows it
    expect(await store.auditEvents.timeline("partner-a", id)).toEqual([old, next]);
  });

  it("writes the event row an append that crashed after the index left missing", async () => {
    const id = randomUUID();
    const value = event(id, "2026-11-01T00:00:00.000Z");
    await store.auditEvents.append(value);
    const table = await store.tables.table("auditEvents");
    await table.deleteEntity(id, `${value.at}|${value.eventId}`);
    expect(await store.auditEvents.append({ ...value, at: "2026-11-01T00:00:09.000Z" })).toBe(false);
    expect((await eventRows(id)).map((r) => r["at"])).toEqual([value.at]);
  });

  it("hands a timeline that outgrows its index over to the rows: same events, same order", async () => {
    const id = randomUUID();
    const events = Array.from({ length: 12 }, (_, i) =>
      event(id, `2026-11-${String(20 - i).padStart(2, "0")}T00:00:00.000Z`, { reason: "x".repeat(3000) }),
    );
    for (const e of events) await store.auditEvents.append(e);
    const index = await (await store.tables.table("auditEvents")).getEntity(id, "timeline");
    expect(index["overflow"]).toBe(true);
    expect(await store.auditEvents.timeline("partner-a", id)).toEqual([...events].reverse());
    expect(await store.auditEvents.append(events[0] as AuditEvent)).toBe(false);
    expect(await eventRows(id)).toHaveLength(12);
  });
});

describe("UsageSnapshotRepository", () => {
  const store = testStore();
  const reading = (tenant: string, date: string, activeUsers = 40): UsageSnapshot => ({
    customerTenantId: tenant,
    workload: "teams",
    reportRefreshDate: date,
    paidSeats: 200,
    activeUsers,
    fetchedAt: "2026-11-05T06:00:00.000Z",
  });

  it("stores a reading once, ignores a repeat and a reading older than the latest", async () => {
    const tenant = randomUUID();
    expect(await store.usageSnapshots.record(reading(tenant, "2026-11-03"))).toBe("stored");
    expect(await store.usageSnapshots.record(reading(tenant, "2026-11-03"))).toBe("duplicate");
    expect(await store.usageSnapshots.record(reading(tenant, "2026-11-01"))).toBe("stale");
    expect(await store.usageSnapshots.record(reading(tenant, "2026-11-04", 60))).toBe("stored");
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.activeUsers).toBe(60);
    const series = await store.usageSnapshots.series(tenant, "teams");
    expect(series.map((s) => s.reportRefreshDate)).toEqual(["2026-11-03", "2026-11-04"]);
  });

  it("keeps the latest pointer moving forward when readings race", async () => {
    const tenant = randomUUID();
    const dates = Array.from({ length: 10 }, (_, i) => `2026-10-${String(10 + i).padStart(2, "0")}`);
    await Promise.all(dates.map((d) => store.usageSnapshots.record(reading(tenant, d))));
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.reportRefreshDate).toBe("2026-10-19");
  });

  it("answers nothing for a tenant never read", async () => {
    expect(await store.usageSnapshots.latest(randomUUID(), "exchange")).toBeUndefined();
  });
});

describe("UsageSnapshotRepository: one read of a tenant", () => {
  const store = testStore();
  const read = (
    tenant: string,
    date: string,
    workloads: TenantReading["workloads"],
    notMeasurable: TenantReading["notMeasurable"] = {},
  ): TenantReading => ({
    customerTenantId: tenant,
    reportRefreshDate: date,
    fetchedAt: `${date}T06:00:00.000Z`,
    workloads,
    notMeasurable,
  });
  const seats = (activeUsers: number) => ({ paidSeats: 200, activeUsers });

  /** Every request the store makes to the usage table, by HTTP method. */
  async function countingRequests() {
    const table = await store.tables.table("usageSnapshots");
    const methods: string[] = [];
    const pipeline = table.pipeline;
    const policy = {
      name: "count",
      sendRequest: (request: { method: string }, next: (r: never) => Promise<unknown>) => {
        methods.push(request.method);
        return next(request as never);
      },
    };
    pipeline.addPolicy(policy as never);
    return { methods, stop: () => pipeline.removePolicy({ name: "count" }) };
  }

  it("answers stored, duplicate or stale per workload, and a redelivered read changes nothing", async () => {
    const tenant = randomUUID();
    const first = read(tenant, "2026-11-03", { teams: seats(40), exchange: seats(20) });
    expect(await store.usageSnapshots.recordTenant(first)).toEqual({ teams: "stored", exchange: "stored" });
    expect(await store.usageSnapshots.recordTenant(first)).toEqual({
      teams: "duplicate",
      exchange: "duplicate",
    });
    // Exchange moved on alone (record), so the next read is new for Teams and stale for Exchange.
    await store.usageSnapshots.record({
      customerTenantId: tenant,
      workload: "exchange",
      reportRefreshDate: "2026-11-05",
      ...seats(30),
      fetchedAt: "2026-11-05T06:00:00.000Z",
    });
    expect(
      await store.usageSnapshots.recordTenant(
        read(tenant, "2026-11-04", { teams: seats(50), exchange: seats(25) }),
      ),
    ).toEqual({ teams: "stored", exchange: "stale" });
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.activeUsers).toBe(50);
    expect((await store.usageSnapshots.latest(tenant, "exchange"))?.activeUsers).toBe(30);
    expect((await store.usageSnapshots.latestByTenant(tenant)).map((r) => r.reportRefreshDate)).toEqual([
      "2026-11-05",
      "2026-11-04",
    ]);
    expect((await store.usageSnapshots.tenantReadings(tenant)).length).toBe(4);
  });

  it("costs one point read and one transaction, and a repeat only the read", async () => {
    const tenant = randomUUID();
    await store.usageSnapshots.recordTenant(read(tenant, "2026-11-03", { teams: seats(40) }));
    const counting = await countingRequests();
    try {
      const next = read(
        tenant,
        "2026-11-04",
        { teams: seats(40), exchange: seats(20), sharepoint: seats(5) },
        {
          intune: "no Intune licence",
        },
      );
      await store.usageSnapshots.recordTenant(next);
      expect(counting.methods).toEqual(["GET", "POST"]); // the summary, then one $batch
      counting.methods.length = 0;
      await store.usageSnapshots.recordTenant(next);
      expect(counting.methods).toEqual(["GET"]);
    } finally {
      counting.stop();
    }
  });

  it("records what cannot be measured, keeps `since` when the reason changes, forgets it once measured", async () => {
    const tenant = randomUUID();
    await store.usageSnapshots.recordTenant(
      read(tenant, "2026-11-03", { teams: seats(40) }, { intune: "403" }),
    );
    await store.usageSnapshots.recordTenant(
      read(tenant, "2026-11-04", { teams: seats(41) }, { intune: "no licence", exchange: "403" }),
    );
    expect(await store.usageSnapshots.notMeasurable(tenant)).toEqual([
      { workload: "exchange", reason: "403", since: "2026-11-04T06:00:00.000Z" },
      { workload: "intune", reason: "no licence", since: "2026-11-03T06:00:00.000Z" },
    ]);
    await store.usageSnapshots.recordTenant(
      read(tenant, "2026-11-05", { intune: seats(3) }, { exchange: "403" }),
    );
    expect((await store.usageSnapshots.notMeasurable(tenant)).map((r) => r.workload)).toEqual(["exchange"]);
  });

  it("picks up a tenant whose rows were written before the summary existed", async () => {
    const tenant = randomUUID();
    const table = await store.tables.table("usageSnapshots");
    // As the repository used to leave them: a reading, its pointer, a not-measurable row; no summary.
    await table.createEntity({
      partitionKey: tenant,
      rowKey: "reading|teams|2026-11-03",
      workload: "teams",
      reportRefreshDate: "2026-11-03",
      ...seats(40),
      fetchedAt: "2026-11-03T06:00:00.000Z",
    });
    await table.createEntity({
      partitionKey: tenant,
      rowKey: "latest|teams",
      reportRefreshDate: "2026-11-03",
    });
    await table.createEntity({
      partitionKey: tenant,
      rowKey: "measurability|intune",
      reason: "403",
      since: "2026-11-01T06:00:00.000Z",
    });
    expect(await store.usageSnapshots.recordTenant(read(tenant, "2026-11-02", { teams: seats(1) }))).toEqual({
      teams: "stale",
    });
    expect(
      await store.usageSnapshots.recordTenant(
        read(tenant, "2026-11-03", { teams: seats(1), intune: seats(2) }),
      ),
    ).toEqual({ teams: "duplicate", intune: "stored" });
    expect(await store.usageSnapshots.notMeasurable(tenant)).toEqual([]);
    expect((await store.usageSnapshots.latest(tenant, "teams"))?.activeUsers).toBe(40);
  });
});
