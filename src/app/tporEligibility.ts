import type { Association } from "../domain/association";
import { tporEligibility } from "../domain/tporEligibility";
import type { Store } from "../store/store";

export interface TporPorts {
  store: Pick<Store, "associations" | "auditEvents">;
}

/** The subscriptions on which the partner's DPOR is Active (lower-case). */
export async function activeDporSubscriptions(ports: TporPorts, partnerId: string): Promise<Set<string>> {
  const subscriptions = new Set<string>();
  for (const dpor of await allOfKind(ports, partnerId, "dpor"))
    if (dpor.status === "Active" && dpor.request.type === "dpor")
      subscriptions.add(dpor.request.subscriptionId.toLowerCase());
  return subscriptions;
}

/** A new TPOR's eligibility, from the partner's DPORs as they stand. */
export async function tporDetailsFor(
  ports: TporPorts,
  partnerId: string,
  subscriptionIds: readonly string[],
) {
  return tporEligibility(subscriptionIds, await activeDporSubscriptions(ports, partnerId));
}

/**
 * Recomputes `incentiveEligible` of every TPOR of the partner (after one of its DPORs changed). A
 * TPOR whose answer changes is written (ETag-guarded) and gets an `eligibility-changed` timeline
 * entry; running it twice changes nothing more.
 */
export async function refreshTporEligibility(ports: TporPorts, partnerId: string, at: string): Promise<void> {
  const dpor = await activeDporSubscriptions(ports, partnerId);
  for (const tpor of await allOfKind(ports, partnerId, "tpor")) {
    const subscriptionIds =
      tpor.tpor?.subscriptionIds ??
      (tpor.request.type === "tpor" ? (tpor.request.subscriptionIds ?? []) : []);
    const next = tporEligibility(subscriptionIds, dpor);
    if (
      tpor.tpor?.incentiveEligible === next.incentiveEligible &&
      tpor.tpor.eligibilityReason === next.eligibilityReason
    )
      continue;
    const { value } = await ports.store.associations.update(partnerId, tpor.id, (current) =>
      current.tpor?.incentiveEligible === next.incentiveEligible &&
      current.tpor.eligibilityReason === next.eligibilityReason
        ? current
        : { ...current, tpor: next, updatedAt: at },
    );
    await ports.store.auditEvents.append({
      associationId: value.id,
      partnerId,
      eventId: `eligibility-${at}-${next.incentiveEligible ? "yes" : "no"}`.slice(0, 64),
      at,
      kind: "eligibility-changed",
      actor: "system",
      reason: next.incentiveEligible
        ? `earns incentives: ${next.eligibilityReason}`
        : `earns nothing: ${next.eligibilityReason}`,
      data: { incentiveEligible: next.incentiveEligible },
    });
  }
}

function allOfKind(ports: TporPorts, partnerId: string, kind: "dpor" | "tpor"): Promise<Association[]> {
  return ports.store.associations.listAll(partnerId, { kind });
}
