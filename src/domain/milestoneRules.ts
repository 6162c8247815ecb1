import type { Association } from "./association";
import type { AuditEvent } from "./auditEvent";
import type { IncentiveLedgerEntry } from "./incentiveLedgerEntry";
import type { IncentiveProgram } from "./incentiveProgram";
import { highWaterMarkFlagKey, highWaterMarkOf, type MilestoneFlag } from "./milestones";
import { workloadCatalog, type WorkloadId } from "./workloads";

/**
 * Pure rules over an association's milestones, shared by the usage use cases and the API's
 * progress view: which workloads a claim follows, which thresholds its program pays, which are
 * settled, and how flags merge.
 */

/** The Modern Work & Security workloads an association claims (none for subscription kinds). */
export function claimedWorkloadsOf(association: Association): WorkloadId[] {
  const { request } = association;
  return "workloads" in request && request.workloads ? [...request.workloads] : [];
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

export type StoredFlag = NonNullable<Association["milestoneFlags"]>[number];

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

/** Two flags are the same when they name the same threshold for the same reason. */
export const sameFlag = (
  a: Pick<StoredFlag, "workload" | "key" | "reason">,
  b: Pick<StoredFlag, "workload" | "key" | "reason">,
) => a.workload === b.workload && a.key === b.key && a.reason === b.reason;

export const sameFlags = (a: readonly StoredFlag[], b: readonly StoredFlag[]) =>
  a.length === b.length && a.every((f, i) => b[i] !== undefined && sameFlag(f, b[i]));

/** One milestone the ledger holds, as the association's projection keeps it. */
export type RecordedMilestone = NonNullable<Association["recordedMilestones"]>[number];

/**
 * The projection of ledger rows kept on the association: each {workload, key} once, by workload then
 * key, and of the high-water mark's `hwm-N` only the highest per workload (evaluation reads no
 * other: the prior mark is the highest recorded), so it stays a few entries per claimed workload.
 */
export function projectRecorded(entries: readonly RecordedMilestone[]): RecordedMilestone[] {
  const highest = new Map<string, number>();
  for (const { workload, key } of entries) {
    const mark = highWaterMarkOf(key);
    if (mark !== undefined) highest.set(workload, Math.max(mark, highest.get(workload) ?? mark));
  }
  const kept = new Map<string, RecordedMilestone>();
  for (const { workload, key } of entries) {
    const mark = highWaterMarkOf(key);
    if (mark === undefined || mark === highest.get(workload))
      kept.set(`${workload}|${key}`, { workload, key });
  }
  return [...kept.values()].sort(
    (a, b) => a.workload.localeCompare(b.workload) || a.key.localeCompare(b.key),
  );
}

/** Two projections (as `projectRecorded` orders them) name the same milestones. */
export const sameRecorded = (a: readonly RecordedMilestone[], b: readonly RecordedMilestone[]) =>
  a.length === b.length && a.every((r, i) => r.workload === b[i]?.workload && r.key === b[i]?.key);
