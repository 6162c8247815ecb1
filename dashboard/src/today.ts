import type { AssociationDetail, AssociationView, IncentiveEntry } from "./types";

/**
 * Today's items, each linking to the association it is about.
 *
 * Needs action, most urgent first (by deadline, soonest first; those without one after them): a
 * claim without its PoE, reviewers' changes to answer (with their reasons), a rejection still
 * disputable, a DPOR request waiting for the customer, a PAL link that drifted.
 *
 * Since the last visit, newest first: the customers' refusals and cancellations (read from the
 * timeline: a change to Rejected or RejectedFinal made by the customer), and milestones reached
 * (incentive ledger entries earned since then).
 */
export interface TodayItem {
  id: string;
  href: string;
  title: string;
  what: string;
  due: string | null;
  daysLeft: number | null;
}

const needsAction = new Set(["Draft", "PartnerActionRequired", "Rejected", "Requested", "Drifted"]);

/** The statuses Today lists: those needing action, and those a customer's refusal leads to. */
export const todayStatuses = [...needsAction, "RejectedFinal"] as const;

const nameOf = (a: Pick<AssociationView, "claimName" | "customerDomain" | "customerTenantId">) =>
  a.claimName ?? a.customerDomain ?? a.customerTenantId;

const hrefOf = (id: string) => `/associations/${encodeURIComponent(id)}`;

export function actionItems(associations: readonly AssociationView[], now: Date): TodayItem[] {
  return associations
    .filter((a) => needsAction.has(a.status))
    .map((a) => {
      const due = a.deadline?.at ?? null;
      const reasons =
        a.status === "PartnerActionRequired" && a.review?.reasons.length
          ? ` Reviewers' reasons: ${a.review.reasons.join(", ")}.`
          : "";
      const drift = a.status === "Drifted" && a.driftDetail ? ` ${a.driftDetail}` : "";
      return {
        id: a.id,
        href: hrefOf(a.id),
        title: `${nameOf(a)} — ${a.partnerCenterStatus}`,
        what: `${a.nextAction}${reasons}${drift}`,
        due,
        daysLeft: due === null ? null : Math.ceil((Date.parse(due) - now.getTime()) / 86_400_000),
      };
    })
    .sort((x, y) => (x.due ?? "9999").localeCompare(y.due ?? "9999") || x.title.localeCompare(y.title));
}

/** Rejected or RejectedFinal since `since`: the candidates whose timelines say who rejected them. */
export function maybeRefusedSince(
  associations: readonly AssociationView[],
  since: string,
): AssociationView[] {
  return associations.filter(
    (a) => (a.status === "Rejected" || a.status === "RejectedFinal") && a.statusChangedAt > since,
  );
}

/** The customer's refusal (before approval) or cancellation (after) since `since`, if there was one. */
export function customerDecision(association: AssociationDetail, since: string): TodayItem | undefined {
  const change = (association.timeline ?? [])
    .filter(
      (e) => e.actor === "customer" && (e.to === "Rejected" || e.to === "RejectedFinal") && e.at > since,
    )
    .at(-1);
  if (!change) return undefined;
  const cancelled = change.from === "Approved";
  return {
    id: `${association.id}|${change.at}`,
    href: hrefOf(association.id),
    title: `${nameOf(association)} — the customer ${cancelled ? "cancelled" : "refused"}`,
    what: `${change.at.slice(0, 16).replace("T", " ")} UTC: ${change.reason}`,
    due: null,
    daysLeft: null,
  };
}

/** Milestones recorded since `since`, newest first. */
export function milestonesSince(entries: readonly IncentiveEntry[], since: string): TodayItem[] {
  return entries
    .filter((e) => e.earnedAt > since)
    .sort((x, y) => y.earnedAt.localeCompare(x.earnedAt))
    .map((e) => ({
      id: `${e.associationId}|${e.workload}|${e.milestoneKey}`,
      href: hrefOf(e.associationId),
      title: `${e.claimName ?? e.customerDomain ?? e.customerTenantId} — ${e.workload} reached ${e.milestoneKey}`,
      what: `${e.amount.toLocaleString("en-US", { style: "currency", currency: e.currency })} earned ${e.earnedAt.slice(0, 10)}, payable ${e.payableOn}.`,
      due: null,
      daysLeft: null,
    }));
}
