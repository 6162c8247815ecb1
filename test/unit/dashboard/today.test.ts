import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  actionItems,
  customerDecision,
  maybeRefusedSince,
  milestonesSince,
} from "../../../dashboard/src/today";
import type { IncentiveEntry } from "../../../dashboard/src/types";
import type { Association } from "../../../src/domain/association";
import type { AuditEvent } from "../../../src/domain/auditEvent";
import { associationView } from "../../../src/http/associationView";
import { cporRequest, draftAssociation } from "../../support/builders";

const day = 86_400_000;
const durations = {
  lifecycle: {
    poeDeadlineMs: 10 * day,
    refusalWindowMs: 5 * day,
    partnerActionWindowMs: 7 * day,
    disputeWindowMs: 3 * day,
  },
  dpor: { remindersMs: [7 * day], requestWindowMs: 30 * day },
};
const now = new Date("2026-11-10T10:00:00.000Z");
/** A CPOR claim named `claimName` (the name Today shows). */
const claim = (claimName: string, overrides: Partial<Association> = {}) =>
  draftAssociation("fabrikam", { request: cporRequest({ claimName }), ...overrides });
const view = (claimName: string, overrides: Partial<Association> = {}) =>
  associationView(claim(claimName, overrides), durations);

const change = (
  a: Association,
  actor: AuditEvent["actor"],
  from: string,
  to: string,
  at: string,
): AuditEvent => ({
  associationId: a.id,
  partnerId: a.partnerId,
  eventId: randomUUID(),
  at,
  kind: "status-changed",
  actor,
  reason: `${actor} moved it`,
  from: from as AuditEvent["from"],
  to: to as AuditEvent["to"],
});

describe("Today: what needs action", () => {
  it("lists claims to act on by deadline, soonest first, with days left and a link to each", () => {
    const draft = view("PoE due", {
      createdAt: "2026-11-08T10:00:00.000Z",
      statusChangedAt: "2026-11-08T10:00:00.000Z",
    });
    const pending = view("Reviewers asked", {
      status: "PartnerActionRequired",
      statusChangedAt: "2026-11-09T10:00:00.000Z",
      review: {
        outcome: "partner-action-required",
        reasons: ["poe-unsigned"],
        at: "2026-11-09T10:00:00.000Z",
      },
    });
    const approved = view("Nothing to do", { status: "Approved" });
    const items = actionItems([approved, draft, pending], now);
    expect(items.map((i) => i.title)).toEqual([
      "Reviewers asked — Partner action required",
      "PoE due — Editing",
    ]);
    expect(items[0]).toMatchObject({ href: `/associations/${pending.id}`, daysLeft: 6 });
    expect(items[0]?.what).toContain("Reviewers' reasons: poe-unsigned.");
    expect(items[1]).toMatchObject({ daysLeft: 8, due: "2026-11-18T10:00:00.000Z" });
  });

  it("names a customer's refusal and cancellation since the last visit, not older ones nor the reviewers'", () => {
    const since = "2026-11-05T00:00:00.000Z";
    const refused = claim("Refused", { status: "Rejected", statusChangedAt: "2026-11-06T00:00:00.000Z" });
    const cancelled = claim("Cancelled", { status: "Rejected", statusChangedAt: "2026-11-07T00:00:00.000Z" });
    const reviewed = claim("Reviewed", { status: "Rejected", statusChangedAt: "2026-11-07T00:00:00.000Z" });
    const old = claim("Old", { status: "RejectedFinal", statusChangedAt: "2026-11-01T00:00:00.000Z" });
    const views = [refused, cancelled, reviewed, old].map((a) => associationView(a, durations));
    expect(maybeRefusedSince(views, since).map((v) => v.claimName)).toEqual([
      "Refused",
      "Cancelled",
      "Reviewed",
    ]);

    const refusal = customerDecision(
      associationView(refused, durations, [
        change(refused, "customer", "UnderReview", "Rejected", "2026-11-06T00:00:00.000Z"),
      ]),
      since,
    );
    expect(refusal).toMatchObject({
      title: "Refused — the customer refused",
      href: `/associations/${refused.id}`,
    });
    const cancellation = customerDecision(
      associationView(cancelled, durations, [
        change(cancelled, "customer", "Approved", "Rejected", "2026-11-07T00:00:00.000Z"),
      ]),
      since,
    );
    expect(cancellation?.title).toBe("Cancelled — the customer cancelled");
    const byReviewer = customerDecision(
      associationView(reviewed, durations, [
        change(reviewed, "system", "UnderReview", "Rejected", "2026-11-07T00:00:00.000Z"),
      ]),
      since,
    );
    expect(byReviewer).toBeUndefined();
    const before = customerDecision(
      associationView(old, durations, [
        change(old, "customer", "UnderReview", "Rejected", "2026-11-01T00:00:00.000Z"),
      ]),
      since,
    );
    expect(before).toBeUndefined();
  });

  it("lists milestones earned since the last visit, newest first, with what they are worth", () => {
    const entry = (earnedAt: string, milestoneKey: string): IncentiveEntry => ({
      associationId: "a1",
      claimName: "Contoso Teams",
      customerTenantId: randomUUID(),
      workload: "teams",
      milestoneKey,
      programId: "p",
      programVersion: 1,
      units: 400,
      amount: 1200,
      currency: "USD",
      reportRefreshDate: earnedAt.slice(0, 10),
      earnedAt,
      payableOn: "2026-12-15",
    });
    const items = milestonesSince(
      [
        entry("2026-11-02T00:00:00.000Z", "active-15"),
        entry("2026-11-08T00:00:00.000Z", "active-40"),
        entry("2026-11-06T00:00:00.000Z", "active-15"),
      ],
      "2026-11-05T00:00:00.000Z",
    );
    expect(items.map((i) => i.title)).toEqual([
      "Contoso Teams — teams reached active-40",
      "Contoso Teams — teams reached active-15",
    ]);
    expect(items[0]).toMatchObject({
      href: "/associations/a1",
      what: "$1,200.00 earned 2026-11-08, payable 2026-12-15.",
    });
  });
});
