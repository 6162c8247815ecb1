import { createHash } from "node:crypto";
import * as df from "durable-functions";
import { z } from "zod";
import { getIncentiveProgram } from "../../src/config/incentivePrograms";
import type { Association } from "../../src/domain/association";
import type { AuditEvent } from "../../src/domain/auditEvent";
import { NonRetriableError, NotFoundError, ValidationError } from "../../src/domain/errors";
import type { IncentiveLedgerEntry } from "../../src/domain/incentiveLedgerEntry";
import type { IncentiveProgram } from "../../src/domain/incentiveProgram";
import { usageReading } from "../../src/domain/lifecycle";
import {
  evaluateMilestones,
  highWaterMarkFlagKey,
  type MilestoneFlag,
  type ReachedMilestone,
  type WorkloadUsage,
} from "../../src/domain/milestones";
import { workloadCatalog, workloadId, type WorkloadId } from "../../src/domain/workloads";
import {
  milestoneReachedType,
  type MilestoneReachedEvent,
  type PartnerWebhookQueue,
} from "../../src/integrations/webhooks/webhookQueue";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";

export const recordMilestonesName = "recordMilestones";

/**
 * One usage reading for one Approved association (the UsageReported payload). `at` comes from
 * `context.df.currentUtcDateTime`, so every retry and replay of one call carries the same time.
 */
export const recordMilestonesInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    reading: usageReading,
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type RecordMilestonesInput = z.infer<typeof recordMilestonesInput>;

/**
 * `reached`: milestones this reading recorded; `remaining`: thresholds of the claimed workloads that
 * may still pay (neither recorded nor flagged as never paying). 0 remaining ends the usage loop.
 */
export const recordMilestonesResult = z
  .object({ reached: z.number().int().nonnegative(), remaining: z.number().int().nonnegative() })
  .strict();
export type RecordMilestonesResult = z.infer<typeof recordMilestonesResult>;

export interface RecordMilestonesPorts {
  store: Pick<Store, "associations" | "auditEvents" | "incentiveLedger">;
  /** Where each milestone goes to be POSTed to the partner; absent = no webhooks. */
  webhooks?: PartnerWebhookQueue;
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
 *    (`milestone-flagged`) and then merged into the association's `milestoneFlags`.
 * Ledger rows whose `earnedAt` is this call's `at` were written by an earlier attempt of this very
 * call: they are evaluated again, so a crash between the ledger insert and the timeline or the
 * webhook is repaired by the retry (both are idempotent). A row another call inserted meanwhile
 * is left to that call. Usage of an association that is no longer Approved records nothing.
 */
export function createRecordMilestones({ store, webhooks, defaultProgramId }: RecordMilestonesPorts) {
  return async (raw: unknown): Promise<RecordMilestonesResult> => {
    const input = parseInput(raw);
    const { value: association } = await nonRetriable(() =>
      store.associations.get(input.partnerId, input.associationId),
    );
    const baseline = association.baseline;
    if (!baseline)
      throw new NonRetriableError(
        `${recordMilestonesName}: association ${association.id} has no baseline (recordBaseline runs at approval)`,
      );
    const program = await nonRetriable(() => Promise.resolve(programOf(association, defaultProgramId)));
    const workloads = claimedWorkloadsOf(association);
    const ledger = await ledgerOf(store, association);
    if (association.status !== "Approved")
      return { reached: 0, remaining: remainingOf(program, workloads, ledger, association.milestoneFlags) };

    const ours = ledger.filter((e) => e.earnedAt === input.at);
    const evaluation = await nonRetriable(() =>
      Promise.resolve(
        evaluateMilestones({
          program,
          claimedWorkloads: workloads,
          baseline: { approvedAt: baseline.approvedAt, workloads: baseline.workloads },
          reading: { reportRefreshDate: input.reading.reportRefreshDate, workloads: known(input.reading) },
          recorded: ledger
            .filter((e) => e.earnedAt !== input.at)
            .map((e) => ({ workload: e.workload, key: e.milestoneKey })),
        }),
      ),
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
    if (flags.length !== stored.length || fresh.length > 0)
      await store.associations.update(association.partnerId, association.id, (current) => {
        const next = mergeFlags(current.milestoneFlags ?? [], fresh, recorded);
        if (sameFlags(next, current.milestoneFlags ?? [])) return current;
        return { ...current, milestoneFlags: next, updatedAt: input.at };
      });
    return { reached: recorded.length, remaining: remainingOf(program, workloads, all, flags) };
  };
}

/** The Modern Work & Security workloads an association claims (none for subscription kinds). */
export function claimedWorkloadsOf(association: Association): WorkloadId[] {
  const { request } = association;
  return "workloads" in request && request.workloads ? [...request.workloads] : [];
}

/** The program the association was approved under, or the configured one. */
export function programOf(association: Association, defaultProgramId: string): IncentiveProgram {
  return association.incentiveProgramId
    ? getIncentiveProgram(association.incentiveProgramId, association.incentiveProgramVersion)
    : getIncentiveProgram(defaultProgramId);
}

/** A threshold a program pays for a workload: each paid milestone, or one `hwm` per rated workload. */
export interface ProgramThreshold {
  workload: WorkloadId;
  /** The milestone ID (`active-15`), or `hwm` for the high-water-mark program. */
  key: string;
  /** Active users ÷ paid seats it needs. */
  threshold: number;
}

export function programThresholds(
  program: IncentiveProgram,
  workloads: readonly WorkloadId[],
): ProgramThreshold[] {
  return workloads.flatMap((workload): ProgramThreshold[] => {
    if (program.kind === "high-water-mark")
      return program.ratePerUnit[workload] === undefined
        ? []
        : [{ workload, key: highWaterMarkFlagKey, threshold: program.qualifyingActiveShare }];
    const payments = program.payments[workload];
    return workloadCatalog[workload].milestones
      .filter((m) => payments?.[m.id] !== undefined)
      .map((m) => ({ workload, key: m.id, threshold: m.activeShare }));
  });
}

/** Whether the ledger holds a payment for this threshold (any `hwm-N` for the high-water mark). */
export function isRecorded(
  threshold: { workload: string; key: string },
  ledger: readonly { workload: string; milestoneKey: string }[],
): boolean {
  return ledger.some(
    (e) =>
      e.workload === threshold.workload &&
      (threshold.key === highWaterMarkFlagKey
        ? e.milestoneKey.startsWith(`${highWaterMarkFlagKey}-`)
        : e.milestoneKey === threshold.key),
  );
}

/**
 * Thresholds that may still pay. A threshold is settled when it is recorded (a milestone pays
 * once; the high-water mark pays again for every new seat, so it never settles that way) or flagged
 * `exceeded-at-claim` (that never changes). A `below-seat-band` flag does not settle it: the tenant
 * may grow into a band, and then the milestone pays.
 */
export function remainingOf(
  program: IncentiveProgram,
  workloads: readonly WorkloadId[],
  ledger: readonly Pick<IncentiveLedgerEntry, "workload" | "milestoneKey">[],
  flags: readonly { workload: string; key: string; reason: string }[] | undefined,
): number {
  return programThresholds(program, workloads).filter((t) => {
    const exceeded = (flags ?? []).some(
      (f) => f.workload === t.workload && f.key === t.key && f.reason === "exceeded-at-claim",
    );
    const paidOnce = t.key !== highWaterMarkFlagKey && isRecorded(t, ledger);
    return !exceeded && !paidOnce;
  }).length;
}

type StoredFlag = NonNullable<Association["milestoneFlags"]>[number];

/**
 * Stored flags plus new ones (by workload, key and reason), less the `below-seat-band` flags a
 * payment recorded now made untrue.
 */
export function mergeFlags(
  stored: readonly StoredFlag[],
  fresh: readonly MilestoneFlag[],
  recorded: readonly Pick<IncentiveLedgerEntry, "workload" | "milestoneKey">[],
): StoredFlag[] {
  const merged = [...stored, ...fresh.filter((f) => !stored.some((s) => sameFlag(s, f)))];
  return merged
    .filter((f) => f.reason !== "below-seat-band" || !isRecorded(f, recorded))
    .map(({ workload, key, reason, message }) => ({ workload, key, reason, message }));
}

/** The timeline entry of a flag; its ID names the flag, so appending it again is a no-op. */
export function flaggedAuditEvent(association: Association, flag: MilestoneFlag, at: string): AuditEvent {
  return {
    associationId: association.id,
    partnerId: association.partnerId,
    eventId: `flag|${flag.reason}|${flag.workload}|${flag.key}`.slice(0, 64),
    at,
    kind: "milestone-flagged",
    actor: "system",
    reason: flag.message,
    data: { workload: flag.workload, milestoneKey: flag.key, flag: flag.reason },
  };
}

/**
 * The ID of one milestone's timeline entry and webhook: a UUID-shaped digest of
 * (association, workload, key), the ledger row's identity. Partners dedupe webhooks on it.
 */
export function milestoneEventId(associationId: string, workload: string, key: string): string {
  const hex = createHash("sha256").update(`${associationId}|${workload}|${key}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function ledgerEntryOf(
  association: Association,
  program: IncentiveProgram,
  m: ReachedMilestone,
  at: string,
): IncentiveLedgerEntry {
  return {
    partnerId: association.partnerId,
    associationId: association.id,
    customerTenantId: association.customerTenantId,
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
    data: {
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
    },
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
    at,
  };
}

/** Every ledger row of the association (a key range in the partner's partition), all pages. */
async function ledgerOf(
  store: RecordMilestonesPorts["store"],
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
function known(reading: RecordMilestonesInput["reading"]): Partial<Record<WorkloadId, WorkloadUsage>> {
  return Object.fromEntries(
    Object.entries(reading.workloads).filter(([id]) => workloadId.safeParse(id).success),
  );
}

const sameMilestone = (a: IncentiveLedgerEntry, b: IncentiveLedgerEntry) =>
  a.workload === b.workload && a.milestoneKey === b.milestoneKey;

const sameFlag = (
  a: Pick<StoredFlag, "workload" | "key" | "reason">,
  b: Pick<StoredFlag, "workload" | "key" | "reason">,
) => a.workload === b.workload && a.key === b.key && a.reason === b.reason;

const sameFlags = (a: readonly StoredFlag[], b: readonly StoredFlag[]) =>
  a.length === b.length && a.every((f, i) => b[i] !== undefined && sameFlag(f, b[i]));

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function parseInput(raw: unknown): RecordMilestonesInput {
  const parsed = recordMilestonesInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new NonRetriableError(`${recordMilestonesName}: ${new ValidationError(issues).message}`, {
    cause: parsed.error,
  });
}

/** Errors no retry can fix (a missing association or program, impossible counts) become NonRetriableError. */
async function nonRetriable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof NotFoundError)
      throw new NonRetriableError(`${recordMilestonesName}: ${err.message}`, { cause: err });
    throw err;
  }
}

df.app.activity(recordMilestonesName, {
  handler: (input: unknown) => {
    const { store, webhookQueue, settings } = getPorts();
    return createRecordMilestones({
      store,
      webhooks: webhookQueue,
      defaultProgramId: settings.incentiveProgramId,
    })(input);
  },
});
