import type { Association } from "./association";
import { associationTypes } from "./associationTypes";
import type { DporDurations } from "./dporRequest";
import type { LifecycleDurations } from "./lifecycle";
import type { AssociationStatus } from "./status";
import { machineOf } from "./statusMachine";

/**
 * What a partner sees beside an association's status: the label Partner Center shows for the
 * claim, the next thing that happens by itself (and when), and what the partner should do now.
 * Pure: from the association and the lifecycle durations in force.
 */
export const partnerCenterStatusLabels: Readonly<Partial<Record<AssociationStatus, string>>> = {
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

/**
 * The other types are not claims: the label says what Microsoft's own tools show (the Azure portal's
 * "Partner information" for DPOR, the Management Partner API for PAL, Partner Center's customer list
 * for CSP, the enrollment for TPOR).
 */
export const otherStatusLabels: Readonly<Partial<Record<AssociationStatus, string>>> = {
  Requested: "Not set yet (requested from the customer)",
  Active: "Active",
  Superseded: "Set to another partner",
  Expired: "Not set (request expired)",
  Withdrawn: "Withdrawn",
  Drifted: "Not attributed (drift)",
  Removed: "Removed",
  Ended: "Not in the customer list",
};

/** The durations the guidance reads: the claim lifecycle's and the DPOR request's. */
export interface GuidanceDurations {
  lifecycle: LifecycleDurations;
  dpor: DporDurations;
}

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

export function claimGuidance(association: Association, durations: GuidanceDurations): ClaimGuidance {
  if (machineOf(association.kind) !== "claim") return otherGuidance(association, durations.dpor);
  const deadline = claimDeadlineOf(association, durations.lifecycle);
  return {
    partnerCenterStatus: partnerCenterStatusLabels[association.status] ?? association.status,
    deadline,
    nextAction: claimNextActionOf(association, deadline),
  };
}

/** DPOR, PAL, CSP and TPOR: what Microsoft shows, the DPOR request's expiry, what to do now. */
function otherGuidance(a: Association, dpor: DporDurations): ClaimGuidance {
  const deadline: Deadline | null =
    a.status === "Requested"
      ? {
          at: after(a.createdAt, dpor.requestWindowMs),
          what: "the request expires unless the DPOR is confirmed",
          to: "Expired",
        }
      : null;
  return {
    partnerCenterStatus: otherStatusLabels[a.status] ?? a.status,
    deadline,
    nextAction: otherNextAction(a, deadline),
  };
}

function otherNextAction(a: Association, deadline: Deadline | null): string {
  const by = deadline ? ` by ${deadline.at}` : "";
  const request = a.request;
  switch (a.status) {
    case "Requested": {
      const where = request.type === "dpor" ? ` on subscription ${request.subscriptionId}` : "";
      return `Wait for the customer's account owner to set partner ID ${request.partnerLocationId}${where} (Azure portal → the subscription → Partner information); confirm it with evidence (POST /confirm)${by}.`;
    }
    case "Superseded":
      return "The customer set another partner as DPOR: ask the customer again and confirm (POST /confirm), or withdraw.";
    case "Expired":
      return "The customer did not set it in time: confirm with evidence if it was set after all (POST /confirm), or withdraw.";
    case "Drifted":
      return palDriftAction(a);
    case "Active":
      if (a.tpor && !a.tpor.incentiveEligible)
        return `Nothing to do, but this TPOR earns nothing: ${a.tpor.eligibilityReason}.`;
      if (a.kind === "pal")
        return a.pal?.source === "link"
          ? `Nothing: the link is re-verified on schedule; POST /pal-links/${a.id}/verify checks it now.`
          : "Nothing: the link was recorded by hand and cannot be verified here (link it with POST /pal-links to have it checked).";
      return "Nothing: the association is in force.";
    default:
      return "Nothing: the association is closed; a new one would be needed.";
  }
}

function palDriftAction(a: Association): string {
  switch (a.pal?.drift) {
    case "deleted":
      return `The link is gone at Azure: remove it here (DELETE /pal-links/${a.id}), then link the identity again (POST /pal-links).`;
    case "other-partner":
      return `The identity now carries another partner ID: remove it here (DELETE /pal-links/${a.id}), then link it again with yours (POST /pal-links).`;
    case "credential-failing":
      return `The identity's credential is refused: renew its secret, remove the link here (DELETE /pal-links/${a.id}) and link again (POST /pal-links) with the new secret.`;
    default:
      return `Verify the link again (POST /pal-links/${a.id}/verify).`;
  }
}

const after = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/**
 * The next thing time does to a claim (PoE deadline, refusal, partner-action and dispute windows),
 * or null when nothing happens by itself. Shared by the association view and the opportunity finder.
 */
export function claimDeadlineOf(a: Association, durations: LifecycleDurations): Deadline | null {
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

/** What the partner should do now about a claim, given its deadline (`claimDeadlineOf`). */
export function claimNextActionOf(a: Association, deadline: Deadline | null): string {
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
