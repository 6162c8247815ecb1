import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../../src/domain/auditEvent";
import type { UsageSnapshot } from "../../../src/domain/usageSnapshot";
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
