import { z } from "zod";
import { guid, isoDate } from "./schemas/primitives";
import { workloadId } from "./workloads";

/**
 * One earned incentive: a milestone reached by one association's workload. The triple
 * (association, workload, milestone key) identifies it, so recording it twice is impossible.
 * `claimName` and `customerDomain` are copied from the association's request when the row is made,
 * so a ledger export names the claim and the customer without a lookup; rows recorded before they
 * were kept lack them. They were validated when the claim was made: here they are only bounded, so
 * a stricter rule for new claims never makes an old ledger row unreadable.
 */
export const incentiveLedgerEntry = z
  .object({
    partnerId: z.string().min(1).max(64),
    associationId: z.string().min(1).max(64),
    /** The partner's own name for the claim (`request.claimName`), when it gave one. */
    claimName: z.string().min(1).max(200).optional(),
    customerTenantId: guid,
    /** The customer's initial domain (`request.customerDomain`). */
    customerDomain: z.string().min(1).max(255).optional(),
    workload: workloadId,
    /** `active-15`, `active-40`, `hwm-<seats>`: see domain/milestones.ts. */
    milestoneKey: z.string().regex(/^[a-z0-9-]{1,40}$/),
    programId: z.string().min(1).max(64),
    programVersion: z.number().int().positive(),
    units: z.number().nonnegative(),
    amount: z.number().nonnegative(),
    currency: z.string().regex(/^[A-Z]{3}$/),
    reportRefreshDate: isoDate,
    /** When the milestone was recorded. */
    earnedAt: z.iso.datetime(),
    /** When Microsoft makes the earning available (the program's payout day of the next month). */
    payableOn: isoDate,
  })
  .strict();
export type IncentiveLedgerEntry = z.infer<typeof incentiveLedgerEntry>;
