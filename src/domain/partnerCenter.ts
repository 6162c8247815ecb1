import type { Association } from "./association";
import { associationTypes } from "./associationTypes";
import type { LifecycleDurations } from "./lifecycle";
import type { AssociationStatus } from "./status";

/**
 * What a partner sees beside an association's status: the label Partner Center shows for the
 * claim, the next thing that happens by itself (and when), and what the partner should do now.
 * Pure: from the association and the lifecycle durations in force.
 */
export const partnerCenterStatusLabels: Readonly<Record<AssociationStatus, string>> = {
  Draft: "Editing",
  Submitted: "Submitted",
  UnderReview: "Under review",
  PartnerActionRequired: "Partner action required",
  Approved: "Approved",
  Rejected: "Rejected",
  // Reviewers examine the disputed claim again.
  Dispute: "Under review",
  RejectedFinal: "Rejected",
  // Never submitted: it expired while being edited.
  Expired: "Editing",
};

export interface Deadline {
  /** When it happens, unless something else happens first. */
  at: string;
  /** What happens then. */
  what: string;
  /** The status it moves the association to. */
  to: AssociationStatus;
}

export interface ClaimGuidance {
  partnerCenterStatus: string;
  deadline: Deadline | null;
  nextAction: string;
}

export function claimGuidance(association: Association, durations: LifecycleDurations): ClaimGuidance {
  const deadline = deadlineOf(association, durations);
  return {
    partnerCenterStatus: partnerCenterStatusLabels[association.status],
    deadline,
    nextAction: nextActionOf(association, deadline),
  };
}

const after = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

function deadlineOf(a: Association, durations: LifecycleDurations): Deadline | null {
  switch (a.status) {
    case "Draft":
      return {
        at: after(a.createdAt, durations.poeDeadlineMs),
        what: "the claim expires unless it is submitted",
        to: "Expired",
      };
    case "UnderReview":
      return {
        at: after(a.statusChangedAt, durations.refusalWindowMs),
        what: "the claim is approved unless the customer refuses or a review outcome is recorded",
        to: "Approved",
      };
    case "PartnerActionRequired":
      return {
        at: after(a.statusChangedAt, durations.partnerActionWindowMs),
        what: "the claim is rejected for no partner response",
        to: a.disputedAt ? "RejectedFinal" : "Rejected",
      };
    case "Rejected":
      return a.disputedAt
        ? null
        : {
            at: after(a.statusChangedAt, durations.disputeWindowMs),
            what: "the dispute window closes and the rejection becomes final",
            to: "RejectedFinal",
          };
    default:
      return null;
  }
}

function nextActionOf(a: Association, deadline: Deadline | null): string {
  const by = deadline ? ` by ${deadline.at}` : "";
  switch (a.status) {
    case "Draft":
      return associationTypes[a.kind].poeRequired
        ? `Submit the customer-signed proof of execution (POST /poe)${by}.`
        : `Submit the claim (POST /submit)${by}.`;
    case "Submitted":
      return "Nothing yet: the customer is being told and the review starts.";
    case "UnderReview":
      return "Record Partner Center's review outcome when it shows one (POST /review); the customer may still refuse.";
    case "PartnerActionRequired": {
      const reasons = a.review?.reasons.length ? ` (${a.review.reasons.join(", ")})` : "";
      return `Answer the reviewer${reasons} with a corrected proof of execution (POST /poe)${by}.`;
    }
    case "Approved":
      return "Nothing: usage is followed toward each milestone and every incentive is recorded.";
    case "Rejected":
      return a.disputedAt
        ? "Nothing: the one dispute Microsoft allows was used."
        : `Dispute the rejection with a justification or an updated proof of execution (POST /dispute)${by}, or accept it.`;
    case "Dispute":
      return "Record the reviewers' answer to the dispute when Partner Center shows it (POST /review).";
    default:
      return "Nothing: the association is closed; a new claim would be needed.";
  }
}
