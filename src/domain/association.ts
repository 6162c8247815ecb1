import { z } from "zod";
import { associationKind } from "./associationTypes";
import { createAssociationInput } from "./schemas/createAssociation";
import { guid } from "./schemas/primitives";
import { reviewRecord } from "./review";
import { actor, associationStatus } from "./status";

/** One applied status change, as `lastChange` keeps it (the timeline's `status-changed` entry). */
export const statusChangeRecord = z
  .object({
    id: z.string().min(1).max(64),
    from: associationStatus,
    to: associationStatus,
    actor,
    reason: z.string().max(4000),
    at: z.iso.datetime(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type StatusChangeRecord = z.infer<typeof statusChangeRecord>;

/**
 * An association as the service keeps it: the request the partner made (`request`, exactly as
 * validated), where it stands (`status`), and the units it holds in the claims index. The
 * timeline of status changes lives in the audit trail, not here.
 */
export const association = z
  .object({
    id: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    kind: associationKind,
    status: associationStatus,
    customerTenantId: guid,
    /** Claim units held while the association is live (see units.ts); empty for multi-partner kinds. */
    units: z.array(z.string()),
    request: createAssociationInput,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    statusChangedAt: z.iso.datetime(),
    /** The ID of the last status change applied: lets an activity that runs twice apply it once. */
    lastChangeId: z.string().optional(),
    /**
     * The last status change as applied, kept with the association in the same write, so its
     * effects (timeline entry, webhook, unit release) can be finished by whoever comes next after a
     * crash between the write and them.
     */
    lastChange: statusChangeRecord.optional(),
    /** When the partner disputed a rejection (Microsoft allows one dispute). */
    disputedAt: z.iso.datetime().optional(),
    /** The latest Partner Center review outcome the partner recorded. */
    review: reviewRecord.optional(),
    /** The incentive program in force at approval. */
    incentiveProgramId: z.string().optional(),
    incentiveProgramVersion: z.number().int().positive().optional(),
    /** Usage at approval, per claimed workload: usage before it never counts. */
    baseline: z
      .object({
        approvedAt: z.iso.datetime(),
        workloads: z.record(
          z.string(),
          z
            .object({
              paidSeats: z.number().int().nonnegative(),
              activeUsers: z.number().int().nonnegative(),
              highWaterMark: z.number().int().nonnegative(),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    /** Milestones that can never pay (threshold already met at claim time, too few seats), shown in the API. */
    milestoneFlags: z
      .array(
        z.object({ workload: z.string(), key: z.string(), reason: z.string(), message: z.string() }).strict(),
      )
      .optional(),
  })
  .strict();
export type Association = z.infer<typeof association>;
