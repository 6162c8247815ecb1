import { z } from "zod";
import { ConflictError, ValidationError } from "./errors";
import type { FieldIssue } from "./errors";
import { longText } from "./schemas/primitives";
import { actor, associationStatus } from "./status";
import type { Actor, AssociationStatus } from "./status";

/**
 * The CPOR claim lifecycle as Partner Center runs it (domain.md, "Claim status in Partner Center"):
 * Draft → Submitted → UnderReview ⇄ PartnerActionRequired → Approved; Rejected → Dispute (once) →
 * Approved or RejectedFinal; Expired when no PoE arrives in time; the partner may withdraw from any live
 * status. One entry per cause, so the same pair of statuses may appear twice with different actors.
 */
export interface Transition {
  from: AssociationStatus;
  to: AssociationStatus;
  /** Who may cause this move. Microsoft's reviewers and our own timers both act as `system`. */
  actors: readonly Actor[];
  describes: string;
}

/** Every status the partner may withdraw from: all live ones (see `isLive`). */
const withdrawableStatuses = [
  "Draft",
  "Submitted",
  "UnderReview",
  "PartnerActionRequired",
  "Approved",
  "Rejected",
  "Dispute",
] as const satisfies readonly AssociationStatus[];

export const transitions: readonly Transition[] = [
  {
    from: "Draft",
    to: "Submitted",
    actors: ["partner"],
    describes: "partner submitted the proof of execution",
  },
  { from: "Draft", to: "Expired", actors: ["system"], describes: "the PoE deadline passed without a PoE" },
  {
    from: "Submitted",
    to: "UnderReview",
    actors: ["system"],
    describes: "consent email sent to the customer; review started",
  },
  {
    from: "Submitted",
    to: "PartnerActionRequired",
    actors: ["system"],
    describes: "the reviewer asks the partner for more information",
  },
  {
    from: "UnderReview",
    to: "PartnerActionRequired",
    actors: ["system"],
    describes: "the reviewer asks the partner for more information",
  },
  {
    from: "PartnerActionRequired",
    to: "Submitted",
    actors: ["partner"],
    describes: "partner resubmitted the proof of execution",
  },
  {
    from: "PartnerActionRequired",
    to: "Rejected",
    actors: ["system"],
    describes: "no response from the partner in time",
  },
  {
    from: "UnderReview",
    to: "Approved",
    actors: ["system"],
    describes: "the refusal window passed without the customer refusing",
  },
  {
    from: "Submitted",
    to: "Rejected",
    actors: ["customer"],
    describes: "the customer refused the association",
  },
  { from: "Submitted", to: "Rejected", actors: ["system"], describes: "the reviewer rejected the claim" },
  {
    from: "UnderReview",
    to: "Rejected",
    actors: ["customer"],
    describes: "the customer refused the association",
  },
  { from: "UnderReview", to: "Rejected", actors: ["system"], describes: "the reviewer rejected the claim" },
  {
    from: "Approved",
    to: "Rejected",
    actors: ["customer"],
    describes: "customer declined: the customer cancelled the association",
  },
  {
    from: "Rejected",
    to: "Dispute",
    actors: ["partner"],
    describes: "partner disputed the rejection (once, within the dispute window; see checkDispute)",
  },
  { from: "Dispute", to: "Approved", actors: ["system"], describes: "the dispute was upheld" },
  { from: "Dispute", to: "RejectedFinal", actors: ["system"], describes: "the dispute failed" },
  {
    from: "Rejected",
    to: "RejectedFinal",
    actors: ["system"],
    describes: "the dispute window passed without a dispute",
  },
  ...withdrawableStatuses.map((from): Transition => ({
    from,
    to: "RejectedFinal",
    actors: ["partner"],
    describes: "partner withdrew (disassociated)",
  })),
];

/**
 * One applied status change, as the audit trail stores it and reads it back. `at` is a UTC
 * ISO 8601 timestamp (`…Z`), so timelines compare and sort as strings.
 */
export const statusChange = z
  .object({
    from: associationStatus,
    to: associationStatus,
    actor,
    reason: longText(),
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type StatusChange = z.infer<typeof statusChange>;

/** What the caller supplies with a move; `reason` must not be blank. */
export interface ChangeRequest {
  actor: Actor;
  reason: string;
  at: string;
}

/** A move the machine does not allow: not in `transitions` at all, or not for this actor. */
export class IllegalTransitionError extends ConflictError {
  override readonly code = "illegal-transition";
  readonly from: AssociationStatus;
  readonly to: AssociationStatus;
  /** Set when the move exists but another actor must make it. */
  readonly actor: Actor | undefined;

  constructor(from: AssociationStatus, to: AssociationStatus, actor?: Actor) {
    super(illegalMessage(from, to, actor));
    this.from = from;
    this.to = to;
    this.actor = actor;
  }
}

function illegalMessage(from: AssociationStatus, to: AssociationStatus, actor: Actor | undefined): string {
  if (actor !== undefined) {
    const allowed = movesBetween(from, to).flatMap((t) => t.actors);
    return `the ${actor} cannot move an association from ${from} to ${to} (only the ${unique(allowed).join(" or the ")} may)`;
  }
  const next = allowedNext(from);
  const options = next.length > 0 ? `allowed from ${from}: ${next.join(", ")}` : `${from} is final`;
  return `cannot move an association from ${from} to ${to} (${options})`;
}

function movesBetween(from: AssociationStatus, to: AssociationStatus): readonly Transition[] {
  return transitions.filter((t) => t.from === from && t.to === to);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * Applies one move and returns the record to append to the timeline. Input errors (blank reason,
 * bad timestamp) are a ValidationError naming the field; a move the machine does not allow is an
 * IllegalTransitionError. History-dependent rules (the dispute's "once, within 30 days") are not
 * visible here: callers moving to Dispute call `checkDispute` first.
 */
export function transition(
  current: AssociationStatus,
  to: AssociationStatus,
  change: ChangeRequest,
): StatusChange {
  const parsed = statusChange.safeParse({ from: current, to, ...change });
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i): FieldIssue => ({ path: i.path.join("."), message: i.message })),
      { cause: parsed.error },
    );
  }
  const moves = movesBetween(current, to);
  if (moves.length === 0) throw new IllegalTransitionError(current, to);
  if (!moves.some((t) => t.actors.includes(change.actor))) {
    throw new IllegalTransitionError(current, to, change.actor);
  }
  return parsed.data;
}

/** The statuses reachable in one move from `status`, by `actor` when given; in `transitions` order. */
export function allowedNext(status: AssociationStatus, by?: Actor): AssociationStatus[] {
  const moves = transitions.filter((t) => t.from === status && (by === undefined || t.actors.includes(by)));
  return unique(moves.map((t) => t.to));
}

/** A terminal status has no way out: RejectedFinal and Expired. Derived from the data. */
export function isTerminal(status: AssociationStatus): boolean {
  return allowedNext(status).length === 0;
}

/** Whether the association can still move: everything but RejectedFinal and Expired. */
export function isLive(status: AssociationStatus): boolean {
  return !isTerminal(status);
}

/**
 * Statuses in which the association holds its unit in the claims index. A rejection frees the unit
 * (the customer declined, or the reviewer turned the claim down), so another partner may claim it;
 * a dispute claims it again, and fails as a conflict if someone else took it meanwhile.
 */
const unitHoldingStatuses: ReadonlySet<AssociationStatus> = new Set<AssociationStatus>([
  "Draft",
  "Submitted",
  "UnderReview",
  "PartnerActionRequired",
  "Approved",
  "Dispute",
]);

export function holdsUnit(status: AssociationStatus): boolean {
  return unitHoldingStatuses.has(status);
}

/** Microsoft's dispute window after a rejection, in days (domain.md "once, within 30 days"; config). */
export const defaultDisputeWindowDays = 30;

const dayMs = 24 * 60 * 60 * 1000;

/**
 * Throws unless the partner may dispute now: the association is Rejected, has never been disputed,
 * and its latest rejection is at most `windowDays` old at `now` (inclusive; whole 24-hour days).
 * `timeline` is the association's status changes in the order they were applied.
 *
 * Each refusal is a ConflictError, not a ValidationError: the dispute request itself is well-formed
 * (nothing in it names a bad field); it clashes with the association's state and history, which is
 * what ConflictError (HTTP 409) means in errors.ts. ValidationError is kept for bad arguments
 * (`now` not a timestamp, `windowDays` not a non-negative number).
 */
export function checkDispute(
  timeline: readonly StatusChange[],
  now: string,
  windowDays = defaultDisputeWindowDays,
): void {
  const nowMs = checkDisputeArguments(now, windowDays);
  const latest = timeline.at(-1);
  if (latest?.to !== "Rejected") {
    throw new ConflictError(
      `only a Rejected association can be disputed; this one is ${latest?.to ?? "Draft"}`,
    );
  }
  const earlier = timeline.find((c) => c.to === "Dispute");
  if (earlier !== undefined) {
    throw new ConflictError(
      `this association was already disputed at ${earlier.at}; Microsoft allows one dispute`,
    );
  }
  // The last change moved into Rejected, so it is the latest rejection.
  if (nowMs - Date.parse(latest.at) > windowDays * dayMs) {
    throw new ConflictError(
      `the dispute window closed: the rejection at ${latest.at} is more than ${windowDays} days old`,
    );
  }
}

function checkDisputeArguments(now: string, windowDays: number): number {
  const issues: FieldIssue[] = [];
  if (!z.iso.datetime().safeParse(now).success) {
    issues.push({ path: "now", message: "must be an ISO 8601 UTC timestamp" });
  }
  if (!Number.isFinite(windowDays) || windowDays < 0) {
    issues.push({ path: "windowDays", message: "must be a non-negative number of days" });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return Date.parse(now);
}
