import { createHash } from "node:crypto";
import { getIncentiveProgram } from "../config/incentivePrograms";
import type { Association } from "../domain/association";
import type { AuditEvent } from "../domain/auditEvent";
import { NonRetriableError } from "../domain/errors";
import type { IncentiveLedgerEntry } from "../domain/incentiveLedgerEntry";
import type { IncentiveProgram } from "../domain/incentiveProgram";
import type { UsageReading } from "../domain/lifecycle";
import {
  claimedWorkloadsOf,
  flaggedAuditEvent,
  mergeFlags,
  projectRecorded,
  remainingOf,
  sameFlag,
  sameFlags,
  sameRecorded,
  type RecordedMilestone,
} from "../domain/milestoneRules";
import {
  evaluateMilestones,
  type MilestoneEvaluation,
  type ReachedMilestone,
  type WorkloadUsage,
} from "../domain/milestones";
import { workloadCatalog, workloadId, type WorkloadId } from "../domain/workloads";
import {
  milestoneReachedType,
  type MilestoneReachedEvent,
  type PartnerWebhookQueue,
} from "../integrations/webhooks/webhookQueue";
import type { Store } from "../store/store";

/** One usage reading for one Approved association, at the workflow's time (replay-safe). */
export interface MilestoneReading {
  associationId: string;
  partnerId: string;
  reading: UsageReading;
  at: string;
}

export interface RecordMilestonesPorts {
  store: Pick<Store, "associations" | "auditEvents" | "incentiveLedger">;
  /** Where each milestone goes to be POSTed to the partner; absent = no webhooks. */
  webhooks?: Pick<PartnerWebhookQueue, "enqueue"> | undefined;
  /** For an association approved without a recorded program (settings.incentiveProgramId). */
  defaultProgramId: string;
}

/**
 * Evaluates one reading against the association's baseline and program (pure domain code) and
 * records what it newly earns, exactly once however often it runs:
 * 1. each reached milestone is inserted in the incentive ledger (RowKey association|workload|key:
 *    the exactly-once guard), then appended to the timeline as `milestone-reached` and enqueued for
 *    the partner's webhook (`association.milestone_reached`), both under one ID derived from that key;
 * 2. flags the reading raises (a threshold met with too few seats) are appended to the timeline
 *    (`milestone-flagged`) and then merged into the association's `milestoneFlags`;
 * 3. the association's `recordedMilestones` (the projection the usage poller evaluates against) is
 *    brought up to the ledger, after the ledger: a crash in between leaves it behind, which only
 *    costs the poller one more event, never a milestone.
 * Ledger rows whose `earnedAt` is this call's `at` were written by an earlier attempt of this very
 * call: they are evaluated again, so a crash between the ledger insert and the timeline or the
 * webhook is repaired by the retry (both are idempotent). A row another call inserted meanwhile
 * is left to that call. Usage of an association that is no longer Approved records nothing.
 */
export async function recordMilestones(
  { store, webhooks, defaultProgramId }: RecordMilestonesPorts,
  input: MilestoneReading,
): Promise<{ reached: number; remaining: number }> {
  const { value: association } = await store.associations.get(input.partnerId, input.associationId);
  const baseline = association.baseline;
  if (!baseline)
    throw new NonRetriableError(
      `association ${association.id} has no baseline (recordBaseline runs at approval)`,
    );
  const program = programOf(association, defaultProgramId);
  const workloads = claimedWorkloadsOf(association);
  const ledger = await ledgerOf(store, association);
  if (association.status !== "Approved")
    return { reached: 0, remaining: remainingOf(program, workloads, ledger, association.milestoneFlags) };

  const ours = ledger.filter((e) => e.earnedAt === input.at);
  const evaluation = evaluate(
    program,
    { ...association, baseline },
    input.reading,
    keysOf(ledger.filter((e) => e.earnedAt !== input.at)),
  );

  const recorded: IncentiveLedgerEntry[] = [];
  for (const milestone of evaluation.reached) {
    const entry = ledgerEntryOf(association, program, milestone, input.at);
    const inserted = await store.incentiveLedger.recordOnce(entry);
    const mine = inserted || ours.some((e) => sameMilestone(e, entry));
    if (!mine) continue; // another call recorded it between our read and our insert: it tells
    await store.auditEvents.append(reachedAuditEvent(association, milestone, input.at));
    await webhooks?.enqueue(reachedWebhookEvent(association, milestone, input.at));
    recorded.push(entry);
  }

  const all = [...ledger, ...recorded.filter((r) => !ledger.some((e) => sameMilestone(e, r)))];
  const stored = association.milestoneFlags ?? [];
  const fresh = evaluation.flags.filter((f) => !stored.some((s) => sameFlag(s, f)));
  // Timeline first: a retry after a crash before the update finds the flag still new and appends
  // the same event again (a no-op), instead of finding it stored and never telling anyone.
  for (const flag of fresh) await store.auditEvents.append(flaggedAuditEvent(association, flag, input.at));
  const flags = mergeFlags(stored, fresh, recorded);
  const projection = projectRecorded(keysOf(all));
  const projected = association.recordedMilestones;
  if (
    flags.length !== stored.length ||
    fresh.length > 0 ||
    !projected ||
    !sameRecorded(projected, projection)
  )
    await store.associations.update(association.partnerId, association.id, (current) => {
      const next = mergeFlags(current.milestoneFlags ?? [], fresh, recorded);
      // A union: a concurrent call may have projected rows this one never read.
      const nextProjection = projectRecorded([...(current.recordedMilestones ?? []), ...projection]);
      const flagsChanged = !sameFlags(next, current.milestoneFlags ?? []);
      const projectionChanged =
        !current.recordedMilestones || !sameRecorded(current.recordedMilestones, nextProjection);
      if (!flagsChanged && !projectionChanged) return current;
      // The projection is internal: only a change partners see moves `updatedAt`.
      return {
        ...current,
        milestoneFlags: next,
        recordedMilestones: nextProjection,
        ...(flagsChanged ? { updatedAt: input.at } : {}),
      };
    });
  return { reached: recorded.length, remaining: remainingOf(program, workloads, all, flags) };
}

/** Why a reading must go to an association's lifecycle (`newsOf`); nothing when it changes nothing. */
export type ReadingNews = "no-baseline" | "milestone" | "flag" | "nothing-left";

/**
 * What one reading would change for an Approved association, judged exactly as recordMilestones
 * judges it (the same evaluation over the same baseline, program and stored flags), against
 * `recorded`: the association's projection of its ledger, or the ledger itself. A new milestone, a
 * flag not stored yet, or nothing left to earn (the lifecycle completes on it) is news; so is a
 * missing baseline (it cannot be judged here; the lifecycle keeps the event until it has one).
 * A projection behind the ledger can only make news of what is recorded already (recordMilestones
 * then records nothing); it never hides a milestone.
 */
export function newsOf(
  association: Association,
  reading: UsageReading,
  recorded: readonly RecordedMilestone[],
  defaultProgramId: string,
): ReadingNews | undefined {
  const { baseline } = association;
  if (!baseline) return "no-baseline";
  const program = programOf(association, defaultProgramId);
  const evaluation = evaluate(program, { ...association, baseline }, reading, recorded);
  if (evaluation.reached.length > 0) return "milestone";
  const stored = association.milestoneFlags ?? [];
  if (evaluation.flags.some((f) => !stored.some((s) => sameFlag(s, f)))) return "flag";
  const ledger = recorded.map((r) => ({ workload: r.workload, milestoneKey: r.key }));
  if (remainingOf(program, claimedWorkloadsOf(association), ledger, stored) === 0) return "nothing-left";
  return undefined;
}

/** The one evaluation both the lifecycle's recordMilestones and the poller's `newsOf` make. */
function evaluate(
  program: IncentiveProgram,
  association: Association & { baseline: NonNullable<Association["baseline"]> },
  reading: UsageReading,
  recorded: readonly RecordedMilestone[],
): MilestoneEvaluation {
  const { baseline } = association;
  return evaluateMilestones({
    program,
    claimedWorkloads: claimedWorkloadsOf(association),
    baseline: { approvedAt: baseline.approvedAt, workloads: baseline.workloads },
    reading: { reportRefreshDate: reading.reportRefreshDate, workloads: known(reading) },
    recorded,
  });
}

/** Ledger rows as the evaluation and the projection name them. */
const keysOf = (entries: readonly IncentiveLedgerEntry[]): RecordedMilestone[] =>
  entries.map((e) => ({ workload: e.workload, key: e.milestoneKey }));

/** The program the association was approved under, or the configured one. */
export function programOf(association: Association, defaultProgramId: string): IncentiveProgram {
  return association.incentiveProgramId
    ? getIncentiveProgram(association.incentiveProgramId, association.incentiveProgramVersion)
    : getIncentiveProgram(defaultProgramId);
}

/**
 * The ID of one milestone's timeline entry and webhook: a UUID-shaped digest of
 * (association, workload, key), the ledger row's identity. Partners dedupe webhooks on it.
 */
export function milestoneEventId(associationId: string, workload: string, key: string): string {
  const hex = createHash("sha256").update(`${associationId}|${workload}|${key}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The ledger row of a milestone; it names the claim and the customer's domain as the request did. */
function ledgerEntryOf(
  association: Association,
  program: IncentiveProgram,
  m: ReachedMilestone,
  at: string,
): IncentiveLedgerEntry {
  const { request } = association;
  const customerDomain = "customerDomain" in request ? request.customerDomain : undefined;
  return {
    partnerId: association.partnerId,
    associationId: association.id,
    ...(request.claimName === undefined ? {} : { claimName: request.claimName }),
    customerTenantId: association.customerTenantId,
    ...(customerDomain === undefined ? {} : { customerDomain }),
    workload: m.workload,
    milestoneKey: m.key,
    programId: program.id,
    programVersion: program.version,
    units: m.units,
    amount: m.amount,
    currency: m.currency,
    reportRefreshDate: m.reportRefreshDate,
    earnedAt: at,
    payableOn: m.payableOn,
  };
}

function reachedAuditEvent(association: Association, m: ReachedMilestone, at: string): AuditEvent {
  const name = workloadCatalog[m.workload].name;
  const what =
    m.kind === "high-water-mark"
      ? `${m.units} paid seats above the high-water mark at ${percent(m.activeShare)} active`
      : `${percent(m.activeShare)} of paid seats active`;
  return {
    associationId: association.id,
    partnerId: association.partnerId,
    eventId: milestoneEventId(association.id, m.workload, m.key),
    at,
    kind: "milestone-reached",
    actor: "system",
    reason: `${name} reached ${m.key}: ${what}; earns ${m.amount} ${m.currency}, payable on ${m.payableOn}`,
    data: { ...factsOf(m) },
  };
}

/** What the timeline and the webhook both tell of a milestone. */
function factsOf(m: ReachedMilestone) {
  return {
    workload: m.workload,
    milestoneKey: m.key,
    activeShare: m.activeShare,
    paidSeats: m.paidSeats,
    activeUsers: m.activeUsers,
    units: m.units,
    amount: m.amount,
    currency: m.currency,
    reportRefreshDate: m.reportRefreshDate,
    payableOn: m.payableOn,
  };
}

function reachedWebhookEvent(
  association: Association,
  m: ReachedMilestone,
  at: string,
): MilestoneReachedEvent {
  return {
    eventId: milestoneEventId(association.id, m.workload, m.key),
    partnerId: association.partnerId,
    associationId: association.id,
    type: milestoneReachedType,
    customerTenantId: association.customerTenantId,
    ...factsOf(m),
    at,
  };
}

/** Every ledger row of the association (a key range in the partner's partition), all pages. */
export async function ledgerOf(
  store: Pick<Store, "incentiveLedger">,
  association: Association,
): Promise<IncentiveLedgerEntry[]> {
  const entries: IncentiveLedgerEntry[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.incentiveLedger.list(
      association.partnerId,
      { associationId: association.id },
      { pageSize: 1000, ...(continuationToken ? { continuationToken } : {}) },
    );
    entries.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return entries;
}

/** The reading's catalog workloads (a report may name others; they are not ours to evaluate). */
function known(reading: UsageReading): Partial<Record<WorkloadId, WorkloadUsage>> {
  return Object.fromEntries(
    Object.entries(reading.workloads).filter(([id]) => workloadId.safeParse(id).success),
  );
}

const sameMilestone = (a: IncentiveLedgerEntry, b: IncentiveLedgerEntry) =>
  a.workload === b.workload && a.milestoneKey === b.milestoneKey;

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
