import type { StoredRequest } from "./association";
import type { AssociationKind } from "./associationTypes";
import { associationKindOf } from "./schemas/createAssociation";
import { workloadId, type WorkloadId } from "./workloads";

/**
 * Claim units: the strings the claims index is keyed by (PartitionKey = customer tenant,
 * RowKey = unit). A unit names what is held (`workload:teams`), never who holds it, so it is safe to
 * show to any partner. Exclusive kinds hold a unit one partner at a time (CPOR, TPOR); for kinds
 * where partners coexist (DPOR requests, PAL, CSP) the unit carries the partner's own ID, so it
 * only stops the same partner from holding the thing twice, and only that partner ever sees it.
 */

/** Each exclusive subscription kind is its own slot: a DPOR and an OSA on one subscription coexist. */
const subscriptionSlot: Partial<Record<AssociationKind, string>> = {
  "cpor-osu-business-applications": "osu-subscription",
  "cpor-osa": "osa-subscription",
  "cpor-revrec": "revrec-subscription",
};

/**
 * The claims index partition an association's units live in: the customer tenant, except for a
 * DPOR, whose subscription names the thing held wherever the tenant ID the partner typed points
 * (a subscription belongs to one tenant, and a typo in the tenant must not let a partner ask twice).
 */
export function claimPartitionOf(customerTenantId: string, request: StoredRequest): string {
  return request.type === "dpor" ? `subscription:${request.subscriptionId.toLowerCase()}` : customerTenantId;
}

/** The units a new association holds while it is live. */
export function claimUnitsOf(partnerId: string, request: StoredRequest): string[] {
  switch (request.type) {
    case "cpor": {
      const kind = associationKindOf(request);
      if (request.subscriptionId) return [`${subscriptionSlot[kind]}:${request.subscriptionId}`];
      return (request.workloads ?? []).map(workloadUnit);
    }
    case "tpor":
      return [`tpor-enrollment:${request.enrollmentNumber}`];
    case "dpor":
      // Several partners may ask for one subscription; the customer picks (domain.md).
      return [`dpor-request:${request.subscriptionId.toLowerCase()}:${partnerId}`];
    case "pal":
      return "identity" in request
        ? [`pal-identity:${request.identity.clientId.toLowerCase()}:${partnerId}`]
        : [`pal-credential:${request.credential.objectId.toLowerCase()}:${partnerId}`];
    case "csp":
      return [`csp-customer:${partnerId}`];
  }
}

/** The unit a Modern Work & Security claim holds for one workload of the tenant. */
export function workloadUnit(workload: WorkloadId): string {
  return `workload:${workload}`;
}

/** The workload a unit holds (`workload:teams` → teams); undefined for every other kind of unit. */
export function workloadOfUnit(unit: string): WorkloadId | undefined {
  const prefix = workloadUnit("" as WorkloadId);
  const parsed = workloadId.safeParse(unit.startsWith(prefix) ? unit.slice(prefix.length) : undefined);
  return parsed.success ? parsed.data : undefined;
}
