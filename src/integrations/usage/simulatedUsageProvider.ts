import { createHash } from "node:crypto";
import { workloadCatalog, workloadIds, type WorkloadId } from "../../domain/workloads";
import type { TenantUsage, UsageProvider } from "./usageProvider";

/**
 * Deterministic simulated usage, for demos and tests without Microsoft Graph. Every number follows
 * from the seed, the tenant and the simulated day, so the same settings always tell the same story:
 * - each tenant × workload has its own paid seats (26 to about 3,000, so every workload falls in one
 *   of its seat bands) that grow slowly (at most 25%) as days pass;
 * - active users follow an S-shaped (logistic) adoption curve that starts near zero, passes 15% of
 *   paid seats within about a week and levels off at 30–60% (55–85% for the workloads with a 40%
 *   milestone: Teams, Intune, Microsoft 365 Apps, Information Protection), so 40% follows later;
 * - active users never fall from one day to the next.
 * A simulated day is a calendar day since `start` (`daysPerSecond` 0), or `daysPerSecond` days per
 * real second since `start` (demos). The report's refresh date is `start`'s date plus the simulated
 * days, so each new simulated day is a new reading and the same day read twice is the same reading.
 */
export interface SimulatedUsageOptions {
  /** Same seed, same usage (setting USAGE_SIMULATION_SEED). */
  seed: string;
  /** Simulated days per real second; 0 = calendar days (setting USAGE_SIMULATION_DAYS_PER_SECOND). */
  daysPerSecond: number;
  /** Day 0 of every tenant's curve; default: when the provider is created. */
  start?: Date;
}

const dayMs = 86_400_000;

export function createSimulatedUsageProvider(options: SimulatedUsageOptions): UsageProvider {
  if (!Number.isFinite(options.daysPerSecond) || options.daysPerSecond < 0)
    throw new RangeError("daysPerSecond must be a finite number, 0 or more");
  const start = options.start ?? new Date();
  const startDay = Math.floor(start.getTime() / dayMs);
  return {
    readTenant(customerTenantId: string, now: Date): Promise<TenantUsage> {
      const day = simulatedDay(start, now, options.daysPerSecond);
      return Promise.resolve({
        customerTenantId,
        reportRefreshDate: new Date((startDay + day) * dayMs).toISOString().slice(0, 10),
        fetchedAt: now.toISOString(),
        workloads: simulateTenant(options.seed, customerTenantId, day),
      });
    },
  };
}

/** Whole simulated days from `start` to `now` (0 before `start`). */
export function simulatedDay(start: Date, now: Date, daysPerSecond: number): number {
  const elapsedMs = Math.max(0, now.getTime() - start.getTime());
  const days = daysPerSecond > 0 ? (elapsedMs / 1000) * daysPerSecond : elapsedMs / dayMs;
  return Math.floor(days);
}

/** One tenant's usage on simulated day `day`: every catalog workload. */
export function simulateTenant(
  seed: string,
  customerTenantId: string,
  day: number,
): Record<WorkloadId, { paidSeats: number; activeUsers: number }> {
  const tenant = customerTenantId.toLowerCase();
  // Tenant size, log-uniform between 40 and 3,000 seats: shared by its workloads, so they look alike.
  const size = 40 * Math.pow(75, unit(seed, tenant, "size"));
  const usage = {} as Record<WorkloadId, { paidSeats: number; activeUsers: number }>;
  for (const workload of workloadIds) {
    const draw = (what: string) => unit(seed, tenant, `${workload}|${what}`);
    const baseSeats = Math.round(size * (0.65 + 0.35 * draw("seats")));
    const seatGrowth = 0.25 * draw("seat-growth");
    const paidSeats = Math.round(baseSeats * (1 + (seatGrowth * day) / (day + 60)));
    const select = workloadCatalog[workload].milestones.some((m) => m.activeShare >= 0.4);
    const curve: AdoptionCurve = {
      plateau: select ? 0.55 + 0.3 * draw("plateau") : 0.3 + 0.3 * draw("plateau"),
      steepness: 0.6 + 0.3 * draw("steepness"),
      midpoint: 5 + 2 * draw("midpoint"),
    };
    usage[workload] = { paidSeats, activeUsers: Math.round(paidSeats * adoption(curve, day)) };
  }
  return usage;
}

/** A logistic curve: `plateau / (1 + e^(−steepness·(day − midpoint)))`. */
export interface AdoptionCurve {
  plateau: number;
  steepness: number;
  midpoint: number;
}

/** Share of paid seats active on `day`; increasing in `day`, below 5% on day 0 for the ranges above. */
export function adoption(curve: AdoptionCurve, day: number): number {
  return curve.plateau / (1 + Math.exp(-curve.steepness * (day - curve.midpoint)));
}

/** A number in [0, 1) from the seed, the tenant and what is drawn (SHA-256, first 48 bits). */
function unit(seed: string, tenant: string, what: string): number {
  const digest = createHash("sha256").update(`${seed}\n${tenant}\n${what}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}
