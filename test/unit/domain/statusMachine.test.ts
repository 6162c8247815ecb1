import { describe, expect, it } from "vitest";
import { ConflictError, ValidationError } from "../../../src/domain/errors";
import { actors, associationStatuses } from "../../../src/domain/status";
import type { Actor, AssociationStatus } from "../../../src/domain/status";
import {
  IllegalTransitionError,
  allowedNext,
  checkDispute,
  holdsUnit,
  rejectionTarget,
  isLive,
  isTerminal,
  statusChange,
  transition,
  transitions,
} from "../../../src/domain/statusMachine";

type Move = readonly [from: AssociationStatus, to: AssociationStatus, actor: Actor];

const at = "2024-06-01T12:00:00.000Z";

/** Partner Center's flow, written out by hand: deleting or adding a move in the data fails a test. */
const expectedMoves: readonly Move[] = [
  ["Draft", "Submitted", "partner"],
  ["Draft", "Expired", "system"],
  ["Submitted", "UnderReview", "system"],
  ["Submitted", "PartnerActionRequired", "system"],
  ["UnderReview", "PartnerActionRequired", "system"],
  ["PartnerActionRequired", "PartnerActionRequired", "system"],
  ["Dispute", "PartnerActionRequired", "system"],
  ["PartnerActionRequired", "UnderReview", "partner"],
  ["PartnerActionRequired", "Rejected", "system"],
  ["UnderReview", "Approved", "system"],
  ["PartnerActionRequired", "Approved", "system"],
  ["Submitted", "Rejected", "customer"],
  ["UnderReview", "Rejected", "customer"],
  ["PartnerActionRequired", "Rejected", "customer"],
  ["Submitted", "Rejected", "system"],
  ["UnderReview", "Rejected", "system"],
  ["Approved", "Rejected", "customer"],
  ["Rejected", "Dispute", "partner"],
  ["Dispute", "Approved", "system"],
  ["Dispute", "RejectedFinal", "system"],
  ["Dispute", "RejectedFinal", "customer"],
  ["Rejected", "RejectedFinal", "system"],
  // After the one dispute, every rejection is final.
  ["PartnerActionRequired", "RejectedFinal", "system"],
  ["PartnerActionRequired", "RejectedFinal", "customer"],
  ["Submitted", "RejectedFinal", "customer"],
  ["UnderReview", "RejectedFinal", "customer"],
  ["Submitted", "RejectedFinal", "system"],
  ["UnderReview", "RejectedFinal", "system"],
  ["Approved", "RejectedFinal", "customer"],
  // Withdrawals.
  ["Draft", "RejectedFinal", "partner"],
  ["Submitted", "RejectedFinal", "partner"],
  ["UnderReview", "RejectedFinal", "partner"],
  ["PartnerActionRequired", "RejectedFinal", "partner"],
  ["Approved", "RejectedFinal", "partner"],
  ["Rejected", "RejectedFinal", "partner"],
  ["Dispute", "RejectedFinal", "partner"],
];

const dataMoves: readonly Move[] = transitions.flatMap((t) => t.actors.map((a): Move => [t.from, t.to, a]));

const key = ([from, to, actor]: Move): string => `${from}>${to}>${actor}`;

describe("transitions (data)", () => {
  it("holds exactly the expected moves", () => {
    expect([...new Set(dataMoves.map(key))].sort()).toEqual(expectedMoves.map(key).sort());
  });

  it("describes every move", () => {
    for (const t of transitions) expect(t.describes.trim()).not.toBe("");
  });
});

describe("transition: legal moves", () => {
  it.each(dataMoves)("from the data: %s → %s by %s", (from, to, actor) => {
    expect(transition(from, to, { actor, reason: "because", at })).toEqual({
      from,
      to,
      actor,
      reason: "because",
      at,
    });
  });

  it.each(expectedMoves)("from the expected list: %s → %s by %s", (from, to, actor) => {
    expect(transition(from, to, { actor, reason: "because", at }).to).toBe(to);
  });

  it("returns a record that survives storage and statusChange parsing", () => {
    const record = transition("Draft", "Submitted", { actor: "partner", reason: " PoE uploaded ", at });
    expect(statusChange.parse(JSON.parse(JSON.stringify(record)))).toEqual({
      ...record,
      reason: "PoE uploaded",
    });
  });
});

describe("transition: illegal moves", () => {
  it.each<Move>([
    ["Draft", "Approved", "system"],
    ["Expired", "Submitted", "partner"],
    ["RejectedFinal", "Dispute", "partner"],
    ["Approved", "Submitted", "partner"],
    ["Draft", "Draft", "partner"],
    ["Dispute", "Dispute", "partner"],
  ])("%s → %s by %s does not exist", (from, to, actor) => {
    const error = catchError(() => transition(from, to, { actor, reason: "try", at }));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: "illegal-transition", from, to, actor: undefined });
    expect((error as Error).message).toContain(from);
    expect((error as Error).message).toContain(to);
  });

  it.each<Move>([
    ["UnderReview", "Approved", "customer"],
    ["UnderReview", "Approved", "partner"],
    ["Rejected", "Dispute", "customer"],
    ["Approved", "Rejected", "partner"],
    ["Draft", "Expired", "partner"],
  ])("%s → %s exists, but not for the %s", (from, to, actor) => {
    const error = catchError(() => transition(from, to, { actor, reason: "try", at }));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect(error).toMatchObject({ code: "illegal-transition", from, to, actor });
    expect((error as Error).message).toContain(from);
    expect((error as Error).message).toContain(to);
    expect((error as Error).message).toContain(actor);
  });

  it("refuses every move not in the expected list", () => {
    const legal = new Set(expectedMoves.map(key));
    for (const from of associationStatuses) {
      for (const to of associationStatuses) {
        for (const actor of actors) {
          if (legal.has(key([from, to, actor]))) continue;
          expect(() => transition(from, to, { actor, reason: "try", at })).toThrow(IllegalTransitionError);
        }
      }
    }
  });
});

describe("transition: input", () => {
  it.each([
    ["empty reason", { reason: "", at }, "reason"],
    ["blank reason", { reason: "   ", at }, "reason"],
    ["timestamp without time", { reason: "ok", at: "2024-06-01" }, "at"],
    ["not a timestamp", { reason: "ok", at: "yesterday" }, "at"],
  ])("%s is a ValidationError naming the field", (_case, change, field) => {
    const error = catchError(() => transition("Draft", "Submitted", { actor: "partner", ...change }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([field]);
  });

  it("reports bad input before judging the move", () => {
    expect(() => transition("Draft", "Approved", { actor: "system", reason: "", at })).toThrow(
      ValidationError,
    );
  });
});

describe("status helpers", () => {
  it.each<[AssociationStatus, boolean, boolean]>([
    ["Draft", false, true],
    ["Submitted", false, true],
    ["UnderReview", false, true],
    ["PartnerActionRequired", false, true],
    ["Approved", false, true],
    ["Rejected", false, false],
    ["Dispute", false, true],
    ["RejectedFinal", true, false],
    ["Expired", true, false],
  ])("%s: terminal %s (live the opposite), holds its unit %s", (status, terminal, holds) => {
    expect(isTerminal(status)).toBe(terminal);
    expect(isLive(status)).toBe(!terminal);
    expect(holdsUnit(status)).toBe(holds);
  });

  it.each<[AssociationStatus, Actor | undefined, AssociationStatus[]]>([
    ["Draft", undefined, ["Submitted", "Expired", "RejectedFinal"]],
    ["Draft", "partner", ["Submitted", "RejectedFinal"]],
    ["UnderReview", "customer", ["Rejected", "RejectedFinal"]],
    ["UnderReview", "system", ["PartnerActionRequired", "Approved", "Rejected", "RejectedFinal"]],
    ["Rejected", "partner", ["Dispute", "RejectedFinal"]],
    ["Approved", "system", []],
    ["RejectedFinal", undefined, []],
    ["Expired", undefined, []],
  ])("allowedNext(%s, %s) = %j", (status, actor, next) => {
    expect(allowedNext(status, actor)).toEqual(next);
  });
});

describe("rejectionTarget", () => {
  it.each<[AssociationStatus, string | undefined, AssociationStatus]>([
    ["Rejected", undefined, "Rejected"],
    ["Rejected", "2024-06-01T00:00:00.000Z", "RejectedFinal"],
    ["Approved", "2024-06-01T00:00:00.000Z", "Approved"],
  ])("%s with disputedAt %s lands in %s", (to, disputedAt, landing) => {
    expect(rejectionTarget(to, disputedAt)).toBe(landing);
  });
});

describe("checkDispute", () => {
  const day = 24 * 60 * 60 * 1000;
  const rejectedAt = "2024-06-01T00:00:00.000Z";
  const plus = (ms: number): string => new Date(Date.parse(rejectedAt) + ms).toISOString();
  const rejected = { status: "Rejected" as AssociationStatus, statusChangedAt: rejectedAt };

  it.each([
    ["the day of the rejection", 0, 30],
    ["ten days later", 10 * day, 30],
    ["exactly at the end of the window", 30 * day, 30],
    ["40 days later with a 45-day window", 40 * day, 45],
  ])("allows a first dispute %s", (_case, elapsed, windowDays) => {
    expect(() => checkDispute(rejected, plus(elapsed), windowDays * day)).not.toThrow();
  });

  it.each([
    ["a millisecond after the window", 30 * day + 1, 30],
    ["31 days later", 31 * day, 30],
    ["2 days later with a 1-day window", 2 * day, 1],
  ])("refuses a dispute %s", (_case, elapsed, windowDays) => {
    const error = catchError(() => checkDispute(rejected, plus(elapsed), windowDays * day));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/window closed.*30 days|window closed/);
  });

  it("refuses a second dispute, even within the window of a new rejection", () => {
    const error = catchError(() =>
      checkDispute({ ...rejected, disputedAt: "2024-05-20T00:00:00.000Z" }, plus(day), 30 * day),
    );
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(/already disputed/);
  });

  it.each<AssociationStatus>(["Draft", "Approved", "Dispute", "RejectedFinal"])("refuses %s", (status) => {
    const error = catchError(() => checkDispute({ ...rejected, status }, plus(day), 30 * day));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).not.toBeInstanceOf(IllegalTransitionError);
    expect((error as Error).message).toContain(status);
  });

  it.each([
    ["now is not a timestamp", "tomorrow", 30 * day, "now"],
    ["a negative window", plus(day), -1, "windowMs"],
    ["a window that is not a number", plus(day), Number.NaN, "windowMs"],
  ])("refuses bad arguments: %s", (_case, now, windowMs, field) => {
    const error = catchError(() => checkDispute(rejected, now, windowMs));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual([field]);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error, none was thrown");
}
