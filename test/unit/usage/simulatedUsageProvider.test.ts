import { describe, expect, it } from "vitest";
import {
  adoption,
  createSimulatedUsageProvider,
  simulatedDay,
  simulateTenant,
} from "../../../src/integrations/usage/simulatedUsageProvider";
import { tenantUsage } from "../../../src/integrations/usage/usageProvider";
import { activeShare } from "../../../src/domain/milestones";
import { seatBandFor, workloadIds } from "../../../src/domain/workloads";

const seed = "unit-test";
const tenantA = "0b6f1d2e-3c4a-4b5c-9d8e-7f6a5b4c3d2e";
const tenantB = "7d1e8a90-1b2c-4d3e-8f4a-5b6c7d8e9f01";
const start = new Date("2026-11-01T10:00:00.000Z");
const days = Array.from({ length: 61 }, (_, d) => d);

/** Tenants whose curves the properties below must hold for, not just one lucky draw. */
const tenants = [
  tenantA,
  tenantB,
  ...Array.from({ length: 30 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`),
];

describe("simulated usage: determinism", () => {
  it("gives the same numbers for the same seed, tenant and day", () => {
    expect(simulateTenant(seed, tenantA, 12)).toEqual(simulateTenant(seed, tenantA, 12));
    expect(simulateTenant(seed, tenantA.toUpperCase(), 12)).toEqual(simulateTenant(seed, tenantA, 12));
  });

  it("gives other numbers for another tenant or another seed", () => {
    expect(simulateTenant(seed, tenantB, 12)).not.toEqual(simulateTenant(seed, tenantA, 12));
    expect(simulateTenant("other-seed", tenantA, 12)).not.toEqual(simulateTenant(seed, tenantA, 12));
  });

  it("answers the same reading through two providers built alike", async () => {
    const one = createSimulatedUsageProvider({ seed, daysPerSecond: 0, start });
    const two = createSimulatedUsageProvider({ seed, daysPerSecond: 0, start });
    const now = new Date("2026-11-20T08:00:00.000Z");
    expect(await one.readTenant(tenantA, now)).toEqual(await two.readTenant(tenantA, now));
  });

  it("reports every catalog workload, in the port's schema", async () => {
    const provider = createSimulatedUsageProvider({ seed, daysPerSecond: 0, start });
    const usage = await provider.readTenant(tenantA, new Date("2026-11-05T00:00:00.000Z"));
    expect(tenantUsage.parse(usage)).toEqual(usage);
    expect(Object.keys(usage.workloads).sort()).toEqual([...workloadIds].sort());
  });
});

describe("simulated usage: days and refresh dates", () => {
  it.each([
    ["calendar days", 0, "2026-11-01T09:59:59.000Z", 0],
    ["calendar days", 0, "2026-11-03T09:59:59.000Z", 1],
    ["calendar days", 0, "2026-11-03T10:00:00.000Z", 2],
    ["2 days a second", 2, "2026-11-01T10:00:01.600Z", 3],
    ["2 days a second", 2, "2026-11-01T10:00:30.000Z", 60],
  ])("counts %s: daysPerSecond %d at %s → day %d", (_what, daysPerSecond, now, day) => {
    expect(simulatedDay(start, new Date(now), daysPerSecond)).toBe(day);
  });

  it("dates each reading on start's date plus the simulated days", async () => {
    const provider = createSimulatedUsageProvider({ seed, daysPerSecond: 1, start });
    const read = (seconds: number) =>
      provider.readTenant(tenantA, new Date(start.getTime() + seconds * 1000));
    expect((await read(0)).reportRefreshDate).toBe("2026-11-01");
    expect((await read(0.5)).reportRefreshDate).toBe("2026-11-01");
    expect((await read(45)).reportRefreshDate).toBe("2026-12-16");
    expect((await read(45)).fetchedAt).toBe("2026-11-01T10:00:45.000Z");
  });

  it("rejects a negative or infinite pace", () => {
    expect(() => createSimulatedUsageProvider({ seed, daysPerSecond: -1 })).toThrow(/daysPerSecond/);
    expect(() => createSimulatedUsageProvider({ seed, daysPerSecond: Infinity })).toThrow(/daysPerSecond/);
  });
});

describe("simulated usage: growth", () => {
  it("never loses active users or paid seats from one day to the next", () => {
    const drops: string[] = [];
    for (const tenant of tenants) {
      const curve = days.map((d) => simulateTenant(seed, tenant, d));
      for (const workload of workloadIds)
        curve.slice(1).forEach((today, i) => {
          const before = curve[i]?.[workload];
          const now = today[workload];
          if (!before || now.activeUsers < before.activeUsers || now.paidSeats < before.paidSeats)
            drops.push(`${tenant} ${workload} day ${i + 1}`);
        });
    }
    expect(drops).toEqual([]);
  });

  it("is S-shaped: increasing, flat at both ends", () => {
    const curve = { plateau: 0.7, steepness: 0.7, midpoint: 6 };
    const shares = days.map((d) => adoption(curve, d));
    shares.slice(1, 31).forEach((s, i) => expect(s).toBeGreaterThan(shares[i] ?? 1));
    expect(shares[0]).toBeLessThan(0.05);
    expect(shares[6]).toBeCloseTo(0.35);
    expect(shares[60]).toBeCloseTo(0.7, 5);
  });

  it("starts under 5% active, passes 15% within a week, and 40% on Teams later", () => {
    for (const tenant of tenants) {
      const share = (day: number, workload: "teams" | "exchange") =>
        activeShare(simulateTenant(seed, tenant, day)[workload]);
      expect(share(0, "teams")).toBeLessThan(0.05);
      expect(share(0, "exchange")).toBeLessThan(0.05);
      const teams15 = days.find((d) => share(d, "teams") >= 0.15) ?? Infinity;
      const teams40 = days.find((d) => share(d, "teams") >= 0.4) ?? Infinity;
      expect(teams15).toBeLessThanOrEqual(7);
      expect(teams40).toBeGreaterThan(teams15);
      expect(teams40).toBeLessThanOrEqual(14);
      expect(days.find((d) => share(d, "exchange") >= 0.15) ?? Infinity).toBeLessThanOrEqual(8);
    }
  });

  it("keeps every workload's paid seats within one of its seat bands", () => {
    for (const tenant of tenants)
      for (const [workload, usage] of Object.entries(simulateTenant(seed, tenant, 0)))
        expect(seatBandFor(workload as (typeof workloadIds)[number], usage.paidSeats)).toBeDefined();
  });
});
