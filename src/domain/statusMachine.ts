import { z } from "zod";
import type { AssociationKind } from "./associationTypes";
import { ConflictError, ValidationError } from "./errors";
import type { FieldIssue } from "./errors";
import { longText } from "./schemas/primitives";
import { actor, associationStatus } from "./status";
import type { Actor, AssociationStatus } from "./status";

/**
 * Each association type's status set, as data: one list of moves per machine. The CPOR claim
 * lifecycle as Partner Center runs it (domain.md, "Claim status in Partner Center"): Draft →
 * Submitted → UnderReview ⇄ PartnerActionRequired → Approved; Rejected → Dispute (once) → Approved or
 * RejectedFinal; Expired when no PoE arrives in time; the partner may withdraw from any live status.
 * DPOR, PAL, CSP and TPOR have their own small machines below. One entry per cause, so the same pair
 * of statuses may appear twice with different actors.
 */
export interface Transition {
  from: AssociationStatus;
  to: AssociationStatus;
  /** Who may cause this move. Microsoft's reviewers and our own timers both act as `system`. */
  actors: readonly Actor[];
  describes: string;
}

/** The status machines: claims (every CPOR kind) and one per other association type. */
export const machines = ["claim", "dpor", "pal", "csp", "tpor"] as const;
export type Machine = (typeof machines)[number];

/** The machine an association kind runs on. */
export function machineOf(kind: AssociationKind): Machine {
  switch (kind) {
    case "dpor":
    case "pal":
    case "tpor":
      return kind;
    case "csp-direct-bill":
    case "csp-indirect-reseller":
      return "csp";
    default:
      return "claim";
  }
}

/** The status a new association of each machine starts in. */
export const initialStatus: Readonly<Record<Machine, AssociationStatus>> = {
  claim: "Draft",
  dpor: "Requested",
  pal: "Active",
  csp: "Active",
  tpor: "Active",
};

/** Where the partner's `POST /withdraw` takes each machine (PAL links are removed with DELETE). */
export const withdrawTarget: Readonly<Record<Machine, AssociationStatus | undefined>> = {
  claim: "RejectedFinal",
  dpor: "Withdrawn",
  pal: undefined,
  csp: "Ended",
  tpor: "Withdrawn",
};

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
 * The claim machine: every move, plus one to RejectedFinal beside each move to Rejected: after the
 * one dispute Microsoft allows, a rejection is final (`rejectionTarget` picks it).
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
 * DPOR: only the customer sets it, so the partner asks (Requested, with reminders) and confirms what
 * it sees (Active, with evidence). The customer may replace it at any time (Superseded, seen when
 * another association on the subscription is confirmed); confirming again after an expiry or a
 * replacement is allowed, because only the customer decides and the evidence shows what it did.
 */
const dporMoves: readonly Transition[] = [
  ...(["Requested", "Expired", "Superseded"] as const).map((from): Transition => ({
    from,
    to: "Active",
    actors: ["partner"],
    describes:
      "the partner confirmed, with evidence, that the customer set its partner ID on the subscription",
  })),
  {
    from: "Requested",
    to: "Expired",
    actors: ["system"],
    describes: "the request window passed without the customer setting the partner ID",
  },
  {
    from: "Active",
    to: "Superseded",
    actors: ["customer"],
    describes: "the customer set another partner as the subscription's DPOR",
  },
  ...(["Requested", "Active", "Expired", "Superseded"] as const).map((from): Transition => ({
    from,
    to: "Withdrawn",
    actors: ["partner"],
    describes: "the partner withdrew",
  })),
];

/** PAL: linked by the partner; re-verification finds drift (and its end); the partner removes it. */
const palMoves: readonly Transition[] = [
  {
    from: "Active",
    to: "Drifted",
    actors: ["system"],
    describes: "verification found the link deleted, pointing at another partner, or its credential failing",
  },
  {
    from: "Drifted",
    to: "Active",
    actors: ["system", "partner"],
    describes: "verification found the link clean again",
  },
  ...(["Active", "Drifted"] as const).map((from): Transition => ({
    from,
    to: "Removed",
    actors: ["partner"],
    describes: "the partner removed the link",
  })),
];

/** CSP: a reseller relationship, as Partner Center lists it (imports) or as the partner records it. */
const cspMoves: readonly Transition[] = [
  {
    from: "Active",
    to: "Ended",
    actors: ["system", "partner"],
    describes:
      "the customer is no longer in the partner's Partner Center customer list, or the partner ended it",
  },
  {
    from: "Ended",
    to: "Active",
    actors: ["system"],
    describes: "the customer is in the partner's Partner Center customer list again",
  },
];

/** TPOR: set by the Enterprise Agreement transaction; the partner may only withdraw its record. */
const tporMoves: readonly Transition[] = [
  { from: "Active", to: "Withdrawn", actors: ["partner"], describes: "the partner withdrew the record" },
];

const machineMoves: Readonly<Record<Machine, readonly Transition[]>> = {
  claim: transitions,
  dpor: dporMoves,
  pal: palMoves,
  csp: cspMoves,
  tpor: tporMoves,
};

/** The moves of one machine. */
export function transitionsOf(machine: Machine): readonly Transition[] {
  return machineMoves[machine];
}

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

  constructor(from: AssociationStatus, to: AssociationStatus, actor?: Actor, machine: Machine = "claim") {
    super(illegalMessage(from, to, actor, machine));
    this.from = from;
    this.to = to;
    this.actor = actor;
  }
}

function illegalMessage(
  from: AssociationStatus,
  to: AssociationStatus,
  actor: Actor | undefined,
  machine: Machine,
): string {
  if (actor !== undefined) {
    const allowed = movesBetween(from, to, machine).flatMap((t) => t.actors);
    return `the ${actor} cannot move an association from ${from} to ${to} (only the ${unique(allowed).join(" or the ")} may)`;
  }
  const next = allowedNext(from, undefined, machine);
  const options = next.length > 0 ? `allowed from ${from}: ${next.join(", ")}` : `${from} is final`;
  return `cannot move an association from ${from} to ${to} (${options})`;
}

function movesBetween(
  from: AssociationStatus,
  to: AssociationStatus,
  machine: Machine,
): readonly Transition[] {
  return machineMoves[machine].filter((t) => t.from === from && t.to === to);
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
  machine: Machine = "claim",
): StatusChange {
  const parsed = statusChange.safeParse({ from: current, to, ...change });
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i): FieldIssue => ({ path: i.path.join("."), message: i.message })),
      { cause: parsed.error },
    );
  }
  const moves = movesBetween(current, to, machine);
  if (moves.length === 0) throw new IllegalTransitionError(current, to, undefined, machine);
  if (!moves.some((t) => t.actors.includes(change.actor))) {
    throw new IllegalTransitionError(current, to, change.actor, machine);
  }
  return parsed.data;
}

/** The statuses reachable in one move from `status`, by `actor` when given; in the machine's order. */
export function allowedNext(
  status: AssociationStatus,
  by?: Actor,
  machine: Machine = "claim",
): AssociationStatus[] {
  const moves = machineMoves[machine].filter(
    (t) => t.from === status && (by === undefined || t.actors.includes(by)),
  );
  return unique(moves.map((t) => t.to));
}

/** A terminal status has no way out (claims: RejectedFinal and Expired). Derived from the data. */
export function isTerminal(status: AssociationStatus, machine: Machine = "claim"): boolean {
  return allowedNext(status, undefined, machine).length === 0;
}

/** Whether the association can still move. */
export function isLive(status: AssociationStatus, machine: Machine = "claim"): boolean {
  return !isTerminal(status, machine);
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
  // DPOR: a live request or a confirmed DPOR (one per partner and subscription); PAL: a live link
  // (one per tenant and identity); CSP: a live relationship; TPOR: the enrollment's one partner.
  "Requested",
  "Active",
  "Drifted",
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
