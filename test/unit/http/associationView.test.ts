import { describe, expect, it } from "vitest";
import type { Association } from "../../../src/domain/association";
import { statusChangedEvent, type AuditEvent } from "../../../src/domain/auditEvent";
import { associationView } from "../../../src/http/associationView";
import { associationViewResponse } from "../../../src/http/responseSchemas";
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

describe("associationView: a claim's proof of execution and consent", () => {
  const claim = draftAssociation("fabrikam", { status: "UnderReview" });
  const entry = (overrides: Partial<AuditEvent>): AuditEvent => ({
    associationId: claim.id,
    partnerId: claim.partnerId,
    eventId: `e-${overrides.at ?? ""}`,
    at: "2026-11-01T10:00:00.000Z",
    kind: "status-changed",
    actor: "system",
    reason: "x",
    ...overrides,
  });
  const poe = entry({
    at: "2026-11-02T10:00:00.000Z",
    kind: "poe-submitted",
    actor: "partner",
    reason: 'proof of execution "statement of work.pdf" submitted',
    data: {
      document: "fabrikam/assoc/0123abcd",
      bytes: 1024,
      signer: "Megan Bowen",
      signedDate: "2026-11-01",
    },
  });
  const sent = entry({
    at: "2026-11-02T10:00:05.000Z",
    from: "Submitted",
    to: "UnderReview",
    reason: "consent email sent to the customer; review started",
  });

  it("lists each proof of execution with its name, size, signer and date, never where it is stored", () => {
    const view = associationView(claim, durations, [poe, sent]);
    expect(view.poeSubmissions).toEqual([
      {
        at: "2026-11-02T10:00:00.000Z",
        documentName: "statement of work.pdf",
        bytes: 1024,
        customerSignerName: "Megan Bowen",
        signedDate: "2026-11-01",
      },
    ]);
    expect(JSON.stringify(view.poeSubmissions)).not.toContain("0123abcd");
    expect(associationViewResponse.parse(view)).toEqual(view);
  });

  it("says when the consent email went out, and that the customer has not answered", () => {
    expect(associationView(claim, durations, [poe, sent]).consent).toEqual({
      emailSentAt: "2026-11-02T10:00:05.000Z",
      customerAnswer: null,
    });
    expect(associationView(draftAssociation("fabrikam"), durations, []).consent).toEqual({
      emailSentAt: null,
      customerAnswer: null,
    });
  });

  it("tells a refusal from a cancellation after approval", () => {
    const refused = entry({
      at: "2026-11-03T10:00:00.000Z",
      actor: "customer",
      from: "UnderReview",
      to: "Rejected",
      reason: "the customer refused the association: not our partner (consent-page)",
    });
    const declined = draftAssociation("fabrikam", { status: "Rejected" });
    expect(associationView(declined, durations, [sent, refused]).consent?.customerAnswer).toEqual({
      answer: "refused",
      at: "2026-11-03T10:00:00.000Z",
      reason: "the customer refused the association: not our partner (consent-page)",
    });
    const cancelled = { ...refused, from: "Approved" as const };
    const view = associationView(declined, durations, [sent, cancelled]);
    expect(view.consent?.customerAnswer?.answer).toBe("cancelled");
    expect(associationViewResponse.parse(view)).toEqual(view);
  });

  it("adds neither to a list item, nor to another type's view", () => {
    const listed = associationView(claim, durations);
    expect(listed).not.toHaveProperty("poeSubmissions");
    expect(listed).not.toHaveProperty("consent");
    const dpor = draftAssociation("fabrikam", {
      kind: "dpor",
      status: "Requested",
      units: [],
      request: {
        type: "dpor",
        partnerLocationId: "4871234",
        customerTenantId: claim.customerTenantId,
        customerDomain: "contoso.onmicrosoft.com",
        subscriptionId: "5e1c2d3a-4b5c-4d6e-8f90-a1b2c3d4e5f6",
        customerContact: { name: "Megan Bowen", title: "Account owner", email: "megan@contoso.com" },
        partnerContact: { name: "Alex Wilber", email: "alex@fabrikam-partner.com" },
      },
    });
    const view = associationView(dpor, durations, []);
    expect(view).not.toHaveProperty("poeSubmissions");
    expect(view).not.toHaveProperty("consent");
  });
});
