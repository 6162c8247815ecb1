import { z } from "zod";
import { isoDate } from "../../domain/schemas/primitives";
import { workloadId } from "../../domain/workloads";

/**
 * The port usage readings come through: one customer tenant's paid seats and active users per
 * workload, as of the report's refresh date. Adapters: Microsoft Graph reports (production) and
 * deterministic simulated growth (demos, tests). Failures use the error taxonomy: throttling and
 * 5xx → TransientDependencyError (retry), 401/403 → NonRetriableError (recorded on the tenant).
 */
export const workloadUsage = z
  .object({ paidSeats: z.number().int().nonnegative(), activeUsers: z.number().int().nonnegative() })
  .strict();

export const tenantUsage = z
  .object({
    customerTenantId: z.string(),
    /** The report's own refresh date: readings are ordered and de-duplicated by it. */
    reportRefreshDate: isoDate,
    fetchedAt: z.iso.datetime(),
    /** Measured workloads only. */
    workloads: z.partialRecord(workloadId, workloadUsage),
    /**
     * Workloads that cannot be measured in this tenant, with the reason (a permission the app lacks,
     * or no signal Microsoft exposes): data, never reported as 0 % active.
     */
    notMeasurable: z.partialRecord(workloadId, z.string().min(1).max(500)).default({}),
  })
  .strict();
/** A reading as a provider answers it (`notMeasurable` may be left out: none). */
export type TenantUsage = z.input<typeof tenantUsage>;
/** A reading once parsed: `notMeasurable` always there. */
export type ParsedTenantUsage = z.output<typeof tenantUsage>;

export interface UsageProvider {
  readTenant(customerTenantId: string, now: Date): Promise<TenantUsage>;
}
