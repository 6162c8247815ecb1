import { describe, expect, it } from "vitest";
import {
  associationKinds,
  associationTypes,
  type AssociationKind,
} from "../../../src/domain/associationTypes";
import { allowedActions, type ActionState, type PartnerAction } from "../../../src/domain/partnerActions";
import { reviewOutcomes, reviewTarget } from "../../../src/domain/review";
import { associationStatuses, type AssociationStatus } from "../../../src/domain/status";
import {
  machineOf,
  rejectionTarget,
  transition,
  transitionsOf,
  withdrawTarget,
} from "../../../src/domain/statusMachine";

const day = 86_400_000;
const rejectedAt = "2026-11-01T10:00:00.000Z";
const clock = { now: "2026-11-10T10:00:00.000Z", disputeWindowMs: 30 * day };

const state = (
  kind: AssociationKind,
  status: AssociationStatus,
  extra: Partial<ActionState> = {},
): ActionState => ({ kind, status, statusChangedAt: rejectedAt, ...extra });

/** The statuses each kind's machine knows. */
const statusesOf = (kind: AssociationKind) => [
  ...new Set(transitionsOf(machineOf(kind)).flatMap((t) => [t.from, t.to])),
];

/** Whether the machine takes the move for `actor` (what the use case's `decide` would do). */
function moves(
  kind: AssociationKind,
  from: AssociationStatus,
  to: AssociationStatus,
  actor: "partner" | "system",
) {
  try {
    transition(from, to, { actor, reason: "test", at: clock.now }, machineOf(kind));
    return true;
  } catch {
    return false;
  }
}

describe("allowedActions", () => {
  it.each([
    ["Draft", ["submit-poe", "withdraw"]],
    ["Submitted", ["withdraw"]],
    ["UnderReview", ["review", "withdraw"]],
    ["PartnerActionRequired", ["replace-poe", "review", "withdraw"]],
    ["Approved", ["withdraw"]],
    ["Rejected", ["dispute", "withdraw"]],
    ["Dispute", ["review", "withdraw"]],
    ["RejectedFinal", []],
    ["Expired", []],
  ] as const)("offers a CPOR OSU claim in %s: %j", (status, expected) => {
    expect(allowedActions(state("cpor-osu-modern-work-security", status), clock)).toEqual(expected);
  });

  it("submits a claim that needs no proof of execution with /submit, never /poe", () => {
    expect(allowedActions(state("cpor-revrec", "Draft"), clock)).toEqual(["submit", "withdraw"]);
    expect(allowedActions(state("usage-recognition", "PartnerActionRequired"), clock)).toEqual([
      "review",
      "withdraw",
    ]);
  });

  it("offers the dispute once, within the window (inclusive), as checkDispute allows it", () => {
    const kind = "cpor-osu-modern-work-security";
    const closes = new Date(Date.parse(rejectedAt) + clock.disputeWindowMs).toISOString();
    expect(allowedActions(state(kind, "Rejected"), { ...clock, now: closes })).toContain("dispute");
    const after = new Date(Date.parse(closes) + 1).toISOString();
    expect(allowedActions(state(kind, "Rejected"), { ...clock, now: after })).toEqual(["withdraw"]);
    expect(allowedActions(state(kind, "Rejected", { disputedAt: rejectedAt }), clock)).toEqual(["withdraw"]);
  });

  it.each([
    ["Requested", ["confirm-dpor", "withdraw"]],
    ["Active", ["withdraw"]],
    ["Expired", ["confirm-dpor", "withdraw"]],
    ["Superseded", ["confirm-dpor", "withdraw"]],
    ["Withdrawn", []],
  ] as const)("offers a DPOR in %s: %j", (status, expected) => {
    expect(allowedActions(state("dpor", status), clock)).toEqual(expected);
  });

  it("offers no withdrawal of a PAL link (it is removed at Azure) and the others' own ways out", () => {
    expect(allowedActions(state("pal", "Active"), clock)).toEqual([]);
    expect(allowedActions(state("csp-direct-bill", "Active"), clock)).toEqual(["withdraw"]);
    expect(allowedActions(state("csp-direct-bill", "Ended"), clock)).toEqual([]);
    expect(allowedActions(state("tpor", "Active"), clock)).toEqual(["withdraw"]);
  });

  describe.each(associationKinds)("agrees with the status machine for %s", (kind) => {
    const machine = machineOf(kind);
    it.each(statusesOf(kind))("in %s", (status) => {
      // A claim in Dispute was disputed: a rejection then is final.
      const disputedAt = status === "Dispute" ? rejectedAt : undefined;
      const offered = new Set<PartnerAction>(allowedActions(state(kind, status, { disputedAt }), clock));
      const target = withdrawTarget[machine];
      expect(offered.has("withdraw")).toBe(target !== undefined && moves(kind, status, target, "partner"));
      if (offered.has("submit-poe") || offered.has("submit"))
        expect(moves(kind, status, "Submitted", "partner")).toBe(true);
      if (offered.has("replace-poe")) expect(moves(kind, status, "UnderReview", "partner")).toBe(true);
      // Every outcome the review dialog offers is a move the machine takes.
      for (const outcome of reviewOutcomes)
        if (offered.has("review"))
          expect(moves(kind, status, rejectionTarget(reviewTarget(outcome), disputedAt), "system")).toBe(
            true,
          );
      if (offered.has("dispute")) expect(moves(kind, status, "Dispute", "partner")).toBe(true);
      expect(offered.has("confirm-dpor")).toBe(
        machine === "dpor" && moves(kind, status, "Active", "partner"),
      );
      if (!associationTypes[kind].poeRequired) {
        expect(offered.has("submit-poe")).toBe(false);
        expect(offered.has("replace-poe")).toBe(false);
      }
    });
  });

  it("offers nothing in a status another machine owns", () => {
    for (const status of associationStatuses.filter((s) => !statusesOf("dpor").includes(s)))
      expect(allowedActions(state("dpor", status), clock)).toEqual([]);
  });
});
