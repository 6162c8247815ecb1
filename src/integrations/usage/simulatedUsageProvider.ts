import { createHash } from "node:crypto";
import { workloadCatalog, workloadIds, type WorkloadId } from "../../domain/workloads";
import type { TenantUsage, UsageProvider } from "./usageProvider";

/**
 * Deterministic simulated usage, for demos and tests without Microsoft Graph. Every number follows
 * from the seed, the tenant and the simulated day, so the same settings always tell the same story:
 * - each tenant × workload has its own paid seats (26 to about 3,000, so every workload falls in one
 *   of its seat bands) that grow slowly (at most 25%) as days pass;
 * - active users follow an S-shaped (logistic) adoption curve that starts near zero, stays below 15%
 *   of paid seats through day 8, passes 15% between days 9 and 14 and levels off at 30–60% (55–85%
 *   for the workloads with a 40% milestone: Teams, Intune, Microsoft 365 Apps, Information
 *   Protection, which pass 40% by day 15);
 * - active users never fall from one day to the next.
 *
 * Each tenant's curve starts (day 0) when that tenant is first read: the poll reads a tenant from
 * the moment a claim on it is under review, so the baseline taken at approval is still below every
 * threshold and the milestones come after it. At the demo's pace (0.05 days a second, a poll every
 * 30 s, a two-minute refusal window) a tenant is below 15% at its first read and for more than two
 * and a half minutes after it, passes 15% three to five minutes after it, and 40% (where it pays)
 * within five.
 *
 * A simulated day is a calendar day since the first read (`daysPerSecond` 0), or `daysPerSecond`
 * days per real second since it (demos). The report's refresh date is the first read's date plus
 * the simulated days, so each new simulated day is a new reading and the same day read twice is
 * the same reading. The first read is remembered in this process, and found again after a restart
 * in the tenant's stored readings (`storedReadings`, see `firstStoredRead`), so a restarted service
 * continues each curve where it was; without them a restart starts every curve again.
 */
export interface SimulatedUsageOptions {
  /** Same seed, same usage (setting USAGE_SIMULATION_SEED). */
  seed: string;
  /** Simulated days per real second; 0 = calendar days (setting USAGE_SIMULATION_DAYS_PER_SECOND). */
  daysPerSecond: number;
  /** The readings stored so far (the usage snapshots), where an earlier first read is found. */
  storedReadings?: StoredReadings;
}

const dayMs = 86_400_000;

export function createSimulatedUsageProvider(options: SimulatedUsageOptions): UsageProvider {
  if (!Number.isFinite(options.daysPerSecond) || options.daysPerSecond < 0)
    throw new RangeError("daysPerSecond must be a finite number, 0 or more");
  const firstReads = new Map<string, Promise<Date>>();
  /** Day 0 of the tenant's curve; concurrent first reads share one lookup, a failed one is retried. */
  const startOf = (customerTenantId: string, now: Date): Promise<Date> => {
    const tenant = customerTenantId.toLowerCase();
    const known = firstReads.get(tenant);
    if (known) return known;
    const stored = options.storedReadings
      ? firstStoredRead(options.storedReadings, customerTenantId)
      : Promise.resolve(undefined);
    const start = stored.then((first) => first ?? now);
    firstReads.set(tenant, start);
    start.catch(() => firstReads.delete(tenant));
    return start;
  };
  return {
    async readTenant(customerTenantId: string, now: Date): Promise<TenantUsage> {
      const start = await startOf(customerTenantId, now);
      const day = simulatedDay(start, now, options.daysPerSecond);
      const startDay = Math.floor(start.getTime() / dayMs);
      return {
        customerTenantId,
        reportRefreshDate: new Date((startDay + day) * dayMs).toISOString().slice(0, 10),
        fetchedAt: now.toISOString(),
        workloads: simulateTenant(options.seed, customerTenantId, day),
        // Every workload is simulated: none is unmeasurable.
        notMeasurable: {},
      };
    },
  };
}

/** The stored readings `firstStoredRead` needs: one workload's, in refresh-date order. */
export interface StoredReadings {
  series(customerTenantId: string, workload: WorkloadId): Promise<readonly { fetchedAt: string }[]>;
}

/**
 * When the tenant was first read, from storage: the reading with its earliest refresh date was
 * fetched by the first read (a later read of the same simulated day is a duplicate and stores
 * nothing). Every simulated reading covers every catalog workload, so one workload's series says it.
 */
export async function firstStoredRead(
  readings: StoredReadings,
  customerTenantId: string,
): Promise<Date | undefined> {
  const [first] = await readings.series(customerTenantId, workloadIds[0]);
  return first ? new Date(first.fetchedAt) : undefined;
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
      // Late enough that 15% comes after day 8 for every plateau and steepness above.
      midpoint: 11 + 2 * draw("midpoint"),
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
