import { z } from "zod";

/**
 * Association statuses, named as Partner Center names claim statuses so partners recognise them:
 * Draft (no PoE) → Submitted → UnderReview ⇄ PartnerActionRequired → Approved; Rejected → Dispute
 * (once) → RejectedFinal; Expired when no PoE arrives in time. The allowed moves are in statusMachine.ts.
 */
export const associationStatuses = [
  "Draft",
  "Submitted",
  "UnderReview",
  "PartnerActionRequired",
  "Approved",
  "Rejected",
  "Dispute",
  "RejectedFinal",
  "Expired",
] as const;

export const associationStatus = z.enum(associationStatuses);
export type AssociationStatus = z.infer<typeof associationStatus>;

/** Who caused a status change. Microsoft's reviewers and our timers both act as `system`. */
export const actors = ["partner", "customer", "system"] as const;
export const actor = z.enum(actors);
export type Actor = z.infer<typeof actor>;
