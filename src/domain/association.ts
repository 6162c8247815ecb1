import { z } from "zod";
import { associationKind } from "./associationTypes";
import { createAssociationInput } from "./schemas/createAssociation";
import { guid } from "./schemas/primitives";
import { associationStatus } from "./status";

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
