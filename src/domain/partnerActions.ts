import { associationTypes, runsClaimLifecycle, type AssociationKind } from "./associationTypes";
import { reviewableStatuses } from "./review";
import type { AssociationStatus } from "./status";
import { allowedNext, checkDispute, machineOf, withdrawTarget, type DisputeState } from "./statusMachine";

/**
 * The partner's actions on one association (`POST /api/v1/associations/{id}/<route>`), and which of
 * them it may take now: the same checks the use cases make before they act (src/app/claimActions.ts,
 * src/app/dpor.ts), read from the same rules (the status machines, the type catalog, the reviewable
 * statuses, `checkDispute`), so a page offers exactly what the API would accept.
 */
export const partnerActions = [
  /** `POST /poe` in Draft: the claim goes to review with its proof of execution. */
  "submit-poe",
  /** `POST /poe` in PartnerActionRequired: a corrected proof of execution answers the reviewer. */
  "replace-poe",
  /** `POST /submit`: a claim that needs no proof of execution goes to review. */
  "submit",
  /** `POST /review`: the outcome Partner Center shows, while its reviewers decide. */
  "review",
  /** `POST /dispute`: once, within the dispute window of a rejection. */
  "dispute",
  /** `POST /confirm`: the customer set the partner as DPOR (again). */
  "confirm-dpor",
  /** `POST /withdraw`: the partner ends a live association for good. */
  "withdraw",
] as const;
export type PartnerAction = (typeof partnerActions)[number];

/** What the rules read of an association (the stored one, or the API's view of it). */
export interface ActionState extends DisputeState {
  kind: AssociationKind;
}

/** When it is asked, and the dispute window in force (`LIFECYCLE_DISPUTE_WINDOW`). */
export interface ActionClock {
  now: string;
  disputeWindowMs: number;
}

/** The actions the partner may take on `a` now, in `partnerActions` order. */
export function allowedActions(a: ActionState, clock: ActionClock): PartnerAction[] {
  const machine = machineOf(a.kind);
  const type = associationTypes[a.kind];
  const partnerMoves = allowedNext(a.status, "partner", machine);
  const allowed: Record<PartnerAction, boolean> = {
    "submit-poe": type.poeRequired && a.status === "Draft",
    "replace-poe": type.poeRequired && a.status === "PartnerActionRequired",
    submit: runsClaimLifecycle(a.kind) && !type.poeRequired && a.status === "Draft",
    review: runsClaimLifecycle(a.kind) && isReviewable(a.status),
    dispute: runsClaimLifecycle(a.kind) && mayDispute(a, clock),
    "confirm-dpor": machine === "dpor" && partnerMoves.includes("Active"),
    withdraw: withdrawTarget[machine] !== undefined && partnerMoves.includes(withdrawTarget[machine]),
  };
  return partnerActions.filter((action) => allowed[action]);
}

function isReviewable(status: AssociationStatus): boolean {
  return (reviewableStatuses as readonly AssociationStatus[]).includes(status);
}

/** `checkDispute` as a question: Rejected, never disputed, and the rejection inside the window. */
function mayDispute(a: DisputeState, clock: ActionClock): boolean {
  try {
    checkDispute(a, clock.now, clock.disputeWindowMs);
    return true;
  } catch {
    return false;
  }
}
