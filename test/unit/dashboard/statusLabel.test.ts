import { describe, expect, it } from "vitest";
import { statusLabel } from "../../../dashboard/src/statusLabel";

describe("an association's status as the dashboard shows it", () => {
  it("gives Partner Center's label with the status beside it when they differ, one word when not", () => {
    expect(statusLabel({ partnerCenterStatus: "Under review", status: "Dispute" })).toBe(
      "Under review (Dispute)",
    );
    expect(statusLabel({ partnerCenterStatus: "Editing", status: "Draft" })).toBe("Editing (Draft)");
    expect(statusLabel({ partnerCenterStatus: "Approved", status: "Approved" })).toBe("Approved");
  });
});
