import { z } from "zod";

/**
 * Association statuses. Claims (CPOR) use Partner Center's names so partners recognise them: Draft
 * (no PoE) → Submitted → UnderReview ⇄ PartnerActionRequired → Approved; Rejected → Dispute (once) →
 * RejectedFinal; Expired when no PoE arrives in time. The other types have small sets of their own:
 * DPOR Requested → Active (Superseded, Expired, Withdrawn); PAL Active ⇄ Drifted → Removed; CSP
 * Active ⇄ Ended; TPOR Active → Withdrawn. Each type's allowed moves are in statusMachine.ts.
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
  "Requested",
  "Active",
  "Superseded",
  "Withdrawn",
  "Drifted",
  "Removed",
  "Ended",
] as const;

export const associationStatus = z.enum(associationStatuses);
export type AssociationStatus = z.infer<typeof associationStatus>;

/** Who caused a status change. Microsoft's reviewers and our timers both act as `system`. */
export const actors = ["partner", "customer", "system"] as const;
export const actor = z.enum(actors);
export type Actor = z.infer<typeof actor>;
