import { describe, expect, it } from "vitest";
import { tporEligibility } from "../../../src/domain/tporEligibility";

const a = "11111111-1111-4111-8111-111111111111";
const b = "22222222-2222-4222-8222-222222222222";

describe("tporEligibility", () => {
  it("pays where the partner is the DPOR of none of the subscriptions", () => {
    expect(tporEligibility([a, b], new Set())).toMatchObject({ incentiveEligible: true });
  });

  it("pays nothing where the partner is the DPOR of one, naming it", () => {
    const result = tporEligibility([a, b.toUpperCase()], new Set([b]));
    expect(result).toEqual({
      subscriptionIds: [a, b],
      incentiveEligible: false,
      eligibilityReason: `partner is the DPOR of subscription ${b}`,
    });
  });

  it("pays when no subscription is listed, and says why", () => {
    expect(tporEligibility([], new Set([a]))).toMatchObject({
      incentiveEligible: true,
      eligibilityReason: expect.stringContaining("no subscriptions listed") as unknown,
    });
  });
});
