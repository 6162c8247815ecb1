import { describe, expect, it } from "vitest";
import type { Association } from "../../../src/domain/association";
import { statusChangedEvent } from "../../../src/domain/auditEvent";
import { associationView } from "../../../src/http/associationView";
import { draftAssociation } from "../../support/builders";

const durations = {
  lifecycle: {
    poeDeadlineMs: 30 * 86_400_000,
    refusalWindowMs: 14 * 86_400_000,
    partnerActionWindowMs: 7 * 86_400_000,
    disputeWindowMs: 30 * 86_400_000,
  },
  dpor: { remindersMs: [7 * 86_400_000], requestWindowMs: 30 * 86_400_000 },
};

const rejectedAt = "2026-11-20T10:00:00.000Z";
const rejected: Association = draftAssociation("fabrikam", {
  status: "Rejected",
  statusChangedAt: rejectedAt,
  lastChange: {
    id: "change-1",
    from: "UnderReview",
    to: "Rejected",
    actor: "customer",
    reason: "the customer refused the association",
    at: rejectedAt,
  },
});

describe("associationView", () => {
  it("shows a change whose timeline entry is not written yet, so the status is always explained", () => {
    const view = associationView(rejected, durations, []);
    expect(view.timeline).toEqual([
      expect.objectContaining({
        kind: "status-changed",
        from: "UnderReview",
        to: "Rejected",
        actor: "customer",
      }),
    ]);
  });

  it("does not show a change twice once its entry is written", () => {
    const written = statusChangedEvent(rejected, rejected.lastChange ?? expect.fail("no last change"));
    expect(associationView(rejected, durations, [written]).timeline).toHaveLength(1);
  });

  it("says where the claim stands in Partner Center's terms, and when the dispute window closes", () => {
    expect(associationView(rejected, durations)).toMatchObject({
      partnerCenterStatus: "Rejected",
      deadline: { at: "2026-12-20T10:00:00.000Z", to: "RejectedFinal" },
      nextAction: expect.stringContaining("POST /dispute") as unknown,
    });
  });
});
