import type { AssociationView } from "./types";

/**
 * What needs action today, most urgent first: every association with something for the partner to
 * do (a PoE to submit, reviewers' changes to answer, a rejection still disputable, a DPOR request
 * waiting for the customer, a PAL link that drifted), by its deadline, soonest first; those without
 * a deadline after them.
 */
export interface ActionItem {
  id: string;
  title: string;
  what: string;
  due: string | null;
  daysLeft: number | null;
}

const needsAction = new Set(["Draft", "PartnerActionRequired", "Rejected", "Requested", "Drifted"]);

export function actionItems(associations: readonly AssociationView[], now: Date): ActionItem[] {
  return associations
    .filter((a) => needsAction.has(a.status))
    .map((a) => {
      const due = a.deadline?.at ?? null;
      return {
        id: a.id,
        title: `${a.claimName ?? a.customerDomain ?? a.customerTenantId} — ${a.partnerCenterStatus ?? a.status}`,
        what: a.nextAction ?? a.deadline?.what ?? "",
        due,
        daysLeft: due === null ? null : Math.ceil((Date.parse(due) - now.getTime()) / 86_400_000),
      };
    })
    .sort((x, y) => (x.due ?? "9999").localeCompare(y.due ?? "9999") || x.title.localeCompare(y.title));
}
