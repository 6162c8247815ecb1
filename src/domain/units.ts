import type { AssociationKind } from "./associationTypes";
import { associationTypes } from "./associationTypes";
import type { CreateAssociationInput } from "./schemas/createAssociation";
import { associationKindOf } from "./schemas/createAssociation";

/**
 * Claim units: the strings the claims index is keyed by (PartitionKey = customer tenant,
 * RowKey = unit). Only kinds that allow one partner per unit are claimed. A unit names what is
 * held (`workload:teams`), never who holds it, so it is safe to show to any partner.
 */

/** Each exclusive subscription kind is its own slot: a DPOR and an OSA on one subscription coexist. */
const subscriptionSlot: Partial<Record<AssociationKind, string>> = {
  "cpor-osu-business-applications": "osu-subscription",
  "cpor-osa": "osa-subscription",
  "cpor-revrec": "revrec-subscription",
};

/** The units a create request must hold exclusively; empty for kinds where partners coexist. */
export function claimUnitsOf(input: CreateAssociationInput): string[] {
  const kind = associationKindOf(input);
  if (associationTypes[kind].partnersPerUnit === "many") return [];
  switch (input.type) {
    case "tpor":
      return [`tpor-enrollment:${input.enrollmentNumber}`];
    case "dpor":
      return [`dpor-subscription:${input.subscriptionId}`];
    case "cpor":
      if (input.subscriptionId) return [`${subscriptionSlot[kind]}:${input.subscriptionId}`];
      return (input.workloads ?? []).map((w) => `workload:${w}`);
    default:
      return [];
  }
}
