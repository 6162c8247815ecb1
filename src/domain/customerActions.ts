import type { AssociationStatus } from "./status";

/** What a customer may ask on the consent page or by replying to the consent email. */
export type CustomerAction = "refuse" | "cancel";

/**
 * What the customer may do in each status: refuse a claim that is not yet approved, cancel an
 * approved one, nothing once the association is rejected or over (their decision, or the
 * reviewer's, is already on record).
 */
const actionByStatus: Readonly<Record<AssociationStatus, CustomerAction | undefined>> = {
  Draft: "refuse",
  Submitted: "refuse",
  UnderReview: "refuse",
  PartnerActionRequired: "refuse",
  Dispute: "refuse",
  Approved: "cancel",
  Rejected: undefined,
  RejectedFinal: undefined,
  Expired: undefined,
  // Other types than claims: the customer decides them in Microsoft's portals, not here.
  Requested: undefined,
  Active: undefined,
  Superseded: undefined,
  Withdrawn: undefined,
  Drifted: undefined,
  Removed: undefined,
  Ended: undefined,
};

export function customerActionFor(status: AssociationStatus): CustomerAction | undefined {
  return actionByStatus[status];
}

/** A refusal before approval, a cancellation after: the request is read as the one that fits. */
export function resolveCustomerAction(
  requested: CustomerAction,
  status: AssociationStatus,
): { action: CustomerAction; mapped: boolean } | undefined {
  const action = customerActionFor(status);
  return action && { action, mapped: action !== requested };
}
