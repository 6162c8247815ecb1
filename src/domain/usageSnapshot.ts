import { z } from "zod";
import { guid, isoDate } from "./schemas/primitives";
import { workloadId } from "./workloads";

/**
 * One usage reading for a tenant × workload, keyed on the report's refresh date (reports lag
 * 2–7 days, so the refresh date, not the time we fetched, orders readings).
 */
export const usageSnapshot = z
  .object({
    customerTenantId: guid,
    workload: workloadId,
    reportRefreshDate: isoDate,
    paidSeats: z.number().int().nonnegative(),
    activeUsers: z.number().int().nonnegative(),
    fetchedAt: z.iso.datetime(),
  })
  .strict();
export type UsageSnapshot = z.infer<typeof usageSnapshot>;
