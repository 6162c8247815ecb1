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

const moves: readonly Transition[] = [
  {
    from: "Draft",
    to: "Submitted",
    actors: ["partner"],
    describes: "partner submitted the claim (with its proof of execution where one is needed)",
  },
  { from: "Draft", to: "Expired", actors: ["system"], describes: "the PoE deadline passed without a PoE" },
  {
    from: "Submitted",
    to: "UnderReview",
    actors: ["system"],
    describes: "consent email sent to the customer; review started",
  },
  ...(["Submitted", "UnderReview", "PartnerActionRequired", "Dispute"] as const).map((from): Transition => ({
    from,
    to: "PartnerActionRequired",
    actors: ["system"],
    describes:
      "the reviewer asks the partner for action (missing PoE, acknowledgment, dates, services or products)",
  })),
  {
    from: "PartnerActionRequired",
    to: "UnderReview",
    actors: ["partner"],
    describes: "partner answered the reviewer with a corrected proof of execution",
  },
  {
    from: "PartnerActionRequired",
    to: "Rejected",
    actors: ["system"],
    describes: "the reviewer rejected the claim, or the partner did not answer in time",
  },
  {
    from: "UnderReview",
    to: "Approved",
    actors: ["system"],
    describes: "the reviewer approved the claim, or the refusal window passed without the customer refusing",
  },
  {
    from: "PartnerActionRequired",
    to: "Approved",
    actors: ["system"],
    describes: "the reviewer approved the claim",
  },
  ...(["Submitted", "UnderReview", "PartnerActionRequired"] as const).map((from): Transition => ({
    from,
    to: "Rejected",
    actors: ["customer"],
    describes: "the customer refused the association",
  })),
  { from: "Submitted", to: "Rejected", actors: ["system"], describes: "the reviewer rejected the claim" },
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
  {
    from: "Dispute",
    to: "RejectedFinal",
    actors: ["system", "customer"],
    describes: "the dispute failed, or the customer declined while it was reviewed",
  },
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
 * Every move, plus one to RejectedFinal beside each move to Rejected: after the one dispute
 * Microsoft allows, a rejection is final (`rejectionTarget` picks it).
 */
export const transitions: readonly Transition[] = [
  ...moves,
  ...moves
    .filter((t) => t.to === "Rejected" && t.from !== "Dispute")
    .map((t): Transition => ({
      ...t,
      to: "RejectedFinal",
      describes: `${t.describes} (after a dispute: final)`,
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

/**
 * The rejection status a move to Rejected really lands in: after a dispute (the one Microsoft
 * allows) a rejection is final, so `Rejected` becomes `RejectedFinal`.
 */
export function rejectionTarget(to: AssociationStatus, disputedAt: string | undefined): AssociationStatus {
  return to === "Rejected" && disputedAt !== undefined ? "RejectedFinal" : to;
}

/** What `checkDispute` reads of the association. */
export interface DisputeState {
  status: AssociationStatus;
  /** When the association entered its current status. */
  statusChangedAt: string;
  /** Set once the association was disputed. */
  disputedAt?: string | undefined;
}

/**
 * Throws unless the partner may dispute now: the association is Rejected, has never been disputed,
 * and the rejection is at most `windowMs` old at `now` (inclusive).
 *
 * Each refusal is a ConflictError, not a ValidationError: the dispute request itself is well-formed
 * (nothing in it names a bad field); it clashes with the association's state and history, which is
 * what ConflictError (HTTP 409) means in errors.ts.
 */
export function checkDispute(association: DisputeState, now: string, windowMs: number): void {
  const issues: FieldIssue[] = [];
  if (!z.iso.datetime().safeParse(now).success)
    issues.push({ path: "now", message: "must be an ISO 8601 UTC timestamp" });
  if (!Number.isFinite(windowMs) || windowMs < 0)
    issues.push({ path: "windowMs", message: "must be a non-negative number of milliseconds" });
  if (issues.length > 0) throw new ValidationError(issues);
  if (association.status !== "Rejected")
    throw new ConflictError(`only a Rejected association can be disputed; this one is ${association.status}`);
  if (association.disputedAt !== undefined)
    throw new ConflictError(
      `this association was already disputed at ${association.disputedAt}; Microsoft allows one dispute`,
    );
  if (Date.parse(now) - Date.parse(association.statusChangedAt) > windowMs)
    throw new ConflictError(
      `the dispute window closed: the rejection at ${association.statusChangedAt} is more than ${describeMs(windowMs)} old`,
    );
}

function describeMs(ms: number): string {
  const days = ms / 86_400_000;
  return Number.isInteger(days) ? `${days} days` : `${Math.round(ms / 1000)} seconds`;
}
