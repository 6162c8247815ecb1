import type { TporDetails } from "./association";

/**
 * TPOR earns incentives on an Enterprise Agreement only where the partner is not also the DPOR of
 * the subscription (domain.md). Pure: from the TPOR's subscriptions and the subscriptions on which
 * the same partner holds an Active DPOR. Subscription IDs compare case-insensitively.
 */
export function tporEligibility(
  subscriptionIds: readonly string[],
  activeDporSubscriptions: ReadonlySet<string>,
): TporDetails {
  const ids = subscriptionIds.map((id) => id.toLowerCase());
  const dpor = ids.filter((id) => activeDporSubscriptions.has(id));
  if (dpor.length > 0)
    return {
      subscriptionIds: ids,
      incentiveEligible: false,
      eligibilityReason: `partner is the DPOR of subscription ${dpor.join(", ")}`,
    };
  return {
    subscriptionIds: ids,
    incentiveEligible: true,
    eligibilityReason:
      ids.length > 0
        ? "partner is not the DPOR of any of the enrollment's subscriptions"
        : "no subscriptions listed; partner is not known as DPOR of any",
  };
}
