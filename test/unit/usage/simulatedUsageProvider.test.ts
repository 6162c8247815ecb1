import { describe, expect, it } from "vitest";
import {
  adoption,
  createSimulatedUsageProvider,
  firstStoredRead,
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

  it("answers the same readings through two providers built alike, first read at the same time", async () => {
    const one = createSimulatedUsageProvider({ seed, daysPerSecond: 0 });
    const two = createSimulatedUsageProvider({ seed, daysPerSecond: 0 });
    await one.readTenant(tenantA, start);
    await two.readTenant(tenantA, start);
    const now = new Date("2026-11-20T08:00:00.000Z");
    expect(await one.readTenant(tenantA, now)).toEqual(await two.readTenant(tenantA, now));
  });

  it("reports every catalog workload, in the port's schema", async () => {
    const provider = createSimulatedUsageProvider({ seed, daysPerSecond: 0 });
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

  it("dates each reading on the first read's date plus the simulated days", async () => {
    const provider = createSimulatedUsageProvider({ seed, daysPerSecond: 1 });
    const read = (seconds: number) =>
      provider.readTenant(tenantA, new Date(start.getTime() + seconds * 1000));
    expect((await read(0)).reportRefreshDate).toBe("2026-11-01");
    expect((await read(0.5)).reportRefreshDate).toBe("2026-11-01");
    expect((await read(45)).reportRefreshDate).toBe("2026-12-16");
    expect((await read(45)).fetchedAt).toBe("2026-11-01T10:00:45.000Z");
  });

  it("starts each tenant's curve at that tenant's first read", async () => {
    const provider = createSimulatedUsageProvider({ seed, daysPerSecond: 1 });
    const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
    await provider.readTenant(tenantA, at(0));
    const b = await provider.readTenant(tenantB, at(600)); // first read ten minutes later: its day 0
    expect(b.reportRefreshDate).toBe("2026-11-01");
    expect(b.workloads).toEqual(simulateTenant(seed, tenantB, 0));
    expect((await provider.readTenant(tenantA, at(600))).workloads).toEqual(
      simulateTenant(seed, tenantA, 600),
    );
    expect((await provider.readTenant(tenantB.toUpperCase(), at(612))).workloads).toEqual(
      simulateTenant(seed, tenantB, 12),
    );
  });

  it("continues a curve after a restart from the first read that storage remembers", async () => {
    const before = createSimulatedUsageProvider({ seed, daysPerSecond: 1 });
    const first = await before.readTenant(tenantA, start); // stored by the poll
    const now = new Date(start.getTime() + 30_000);
    const after = createSimulatedUsageProvider({
      seed,
      daysPerSecond: 1,
      storedReadings: { series: (tenant) => Promise.resolve(tenant === tenantA ? [first] : []) },
    });
    expect(await after.readTenant(tenantA, now)).toEqual(await before.readTenant(tenantA, now));
  });

  it("asks storage once per tenant, even for reads at the same moment, and again after a failure", async () => {
    const asked: string[] = [];
    let fail = true;
    const provider = createSimulatedUsageProvider({
      seed,
      daysPerSecond: 1,
      storedReadings: {
        series: (tenant) => {
          asked.push(tenant);
          return fail ? Promise.reject(new Error("storage is down")) : Promise.resolve([]);
        },
      },
    });
    await expect(provider.readTenant(tenantA, start)).rejects.toThrow(/storage is down/);
    fail = false;
    await Promise.all([provider.readTenant(tenantA, start), provider.readTenant(tenantA, start)]);
    await provider.readTenant(tenantA, new Date(start.getTime() + 5_000));
    expect(asked).toEqual([tenantA, tenantA]);
  });

  it("reads the first read from the earliest stored reading", async () => {
    const stored = {
      series: () =>
        Promise.resolve([{ fetchedAt: start.toISOString() }, { fetchedAt: "2026-11-02T00:00:00.000Z" }]),
    };
    expect(await firstStoredRead(stored, tenantA)).toEqual(start);
    expect(await firstStoredRead({ series: () => Promise.resolve([]) }, tenantA)).toBeUndefined();
  });

  it("rejects a negative or infinite pace", () => {
    expect(() => createSimulatedUsageProvider({ seed, daysPerSecond: -1 })).toThrow(/daysPerSecond/);
    expect(() => createSimulatedUsageProvider({ seed, daysPerSecond: Infinity })).toThrow(/daysPerSecond/);
  });
});

describe("simulated usage: the demo's pace (0.05 days a second)", () => {
  const demo = { seed: "partner-of-record", daysPerSecond: 0.05 };
  const select = workloadIds.filter((w) => w === "teams" || w === "intune");

  /**
   * Every tenant's shares per workload `m` minutes after its first read, which comes ten minutes
   * after the service started (claims arrive whenever they arrive).
   */
  async function sharesAt(m: number) {
    const provider = createSimulatedUsageProvider(demo);
    const firstRead = Date.now() + 10 * 60_000;
    return Promise.all(
      tenants.map(async (tenant) => {
        await provider.readTenant(tenant, new Date(firstRead));
        const usage = await provider.readTenant(tenant, new Date(firstRead + m * 60_000));
        return Object.fromEntries(
          workloadIds.map((w) => [w, activeShare(usage.workloads[w] ?? { paidSeats: 0, activeUsers: 0 })]),
        );
      }),
    );
  }

  // The baseline is taken at approval, about two minutes after the first read: below every threshold.
  it.each([0, 2, 2.5])("is below 15 percent on every workload %s minutes after the first read", async (m) => {
    for (const shares of await sharesAt(m)) for (const w of workloadIds) expect(shares[w]).toBeLessThan(0.15);
  });

  it("passes 15% on every workload within five minutes of the first read", async () => {
    for (const shares of await sharesAt(5))
      for (const w of workloadIds) expect(shares[w]).toBeGreaterThanOrEqual(0.15);
  });

  it("passes 40% on Teams and Intune within five minutes, after 15%", async () => {
    for (const shares of await sharesAt(5))
      for (const w of select) expect(shares[w]).toBeGreaterThanOrEqual(0.4);
    for (const shares of await sharesAt(3)) for (const w of select) expect(shares[w]).toBeLessThan(0.4);
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

  it("starts under 5% active, stays under 15% through day 8, passes it by day 14, and 40% on Teams by day 15", () => {
    for (const tenant of tenants) {
      const share = (day: number, workload: "teams" | "exchange") =>
        activeShare(simulateTenant(seed, tenant, day)[workload]);
      expect(share(0, "teams")).toBeLessThan(0.05);
      expect(share(0, "exchange")).toBeLessThan(0.05);
      const teams15 = days.find((d) => share(d, "teams") >= 0.15) ?? Infinity;
      const teams40 = days.find((d) => share(d, "teams") >= 0.4) ?? Infinity;
      const exchange15 = days.find((d) => share(d, "exchange") >= 0.15) ?? Infinity;
      expect(teams15).toBeGreaterThan(8);
      expect(teams15).toBeLessThanOrEqual(14);
      expect(teams40).toBeGreaterThan(teams15);
      expect(teams40).toBeLessThanOrEqual(15);
      expect(exchange15).toBeGreaterThan(8);
      expect(exchange15).toBeLessThanOrEqual(14);
    }
  });

  it("keeps every workload's paid seats within one of its seat bands", () => {
    for (const tenant of tenants)
      for (const [workload, usage] of Object.entries(simulateTenant(seed, tenant, 0)))
        expect(seatBandFor(workload as (typeof workloadIds)[number], usage.paidSeats)).toBeDefined();
  });
});
