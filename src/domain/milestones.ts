import { z } from "zod";
import { ValidationError } from "./errors";
import type { FieldIssue } from "./errors";
import type { HighWaterMarkProgram, IncentiveProgram, MilestoneProgram } from "./incentiveProgram";
import { isoDate } from "./schemas/primitives";
import { seatBandFor, seatBands, workloadCatalog } from "./workloads";
import type { SeatBand, SeatBandId, WorkloadId } from "./workloads";

/**
 * Milestone evaluation: given one usage reading for an approved association, which incentives it
 * newly earns and which thresholds can never pay. Pure and deterministic (no I/O, no clock): the
 * orchestrator replays it, records each reached key once in the incentive ledger, and passes the
 * recorded keys back in, which is what makes "usage dropping then rising pays once" hold.
 */

/** Counts from one report for one workload. Active users may exceed paid seats (trial, unlicensed). */
export interface WorkloadUsage {
  paidSeats: number;
  activeUsers: number;
}

export interface BaselineUsage extends WorkloadUsage {
  /** The tenant × workload's peak paid seats before approval (the current model's starting point). */
  highWaterMark: number;
}

export interface EvaluateMilestonesInput {
  program: IncentiveProgram;
  /** The association's workloads; output follows this order. */
  claimedWorkloads: readonly WorkloadId[];
  /**
   * Recorded at approval: usage before approval never counts. `approvedAt` is a date or an ISO
   * date-time. A claimed workload missing here had no seats and no usage at approval.
   */
  baseline: { approvedAt: string; workloads: Partial<Record<WorkloadId, BaselineUsage>> };
  /** One usage report reading (keyed on the report's refresh date, YYYY-MM-DD). */
  reading: { reportRefreshDate: string; workloads: Partial<Record<WorkloadId, WorkloadUsage>> };
  /** Ledger keys already recorded for this association (`ReachedMilestone.key`). */
  recorded: readonly { workload: WorkloadId; key: string }[];
}

export interface ReachedMilestone {
  workload: WorkloadId;
  /** Ledger key part, stable: `active-15` / `active-40` (milestone program), `hwm-<new high-water mark>`. */
  key: string;
  kind: IncentiveProgram["kind"];
  /** Active users ÷ paid seats, capped at 1; 0 when there are no paid seats. */
  activeShare: number;
  paidSeats: number;
  activeUsers: number;
  /** The tenant's band; null only for a high-water-mark program that does not require one. */
  seatBand: SeatBandId | null;
  /** 1 for a milestone; paid seats above the prior high-water mark for the high-water-mark program. */
  units: number;
  /** In `currency`'s major unit, rounded to 2 decimals. */
  amount: number;
  currency: string;
  reportRefreshDate: string;
  /** YYYY-MM-DD: the program's payout day of the month after the reading's refresh date. */
  payableOn: string;
}

export type MilestoneFlagReason = "exceeded-at-claim" | "below-seat-band";

/** A threshold that did not (or cannot) pay, for the partner to see why. */
export interface MilestoneFlag {
  workload: WorkloadId;
  /** The milestone id, or `hwm` for the high-water-mark program. */
  key: string;
  reason: MilestoneFlagReason;
  message: string;
}

export interface MilestoneEvaluation {
  /** Newly reached, in claimed-workload order then ascending threshold. */
  reached: ReachedMilestone[];
  /** Same order; the same input always gives the same flags. */
  flags: MilestoneFlag[];
}

/** Flag key for the high-water-mark program, which has one threshold per workload. */
export const highWaterMarkFlagKey = "hwm";

/**
 * Evaluates one reading. Only claimed workloads present in the reading are looked at; a reading
 * refreshed before the approval date describes pre-approval usage and earns nothing. Throws
 * ValidationError naming `reading.workloads.<id>.<field>` (or the baseline's) for impossible counts.
 */
export function evaluateMilestones(input: EvaluateMilestonesInput): MilestoneEvaluation {
  assertPossible(input);
  const result: MilestoneEvaluation = { reached: [], flags: [] };
  if (input.reading.reportRefreshDate < input.baseline.approvedAt.slice(0, 10)) return result;
  for (const workload of new Set(input.claimedWorkloads)) {
    const usage = input.reading.workloads[workload];
    if (usage === undefined) continue;
    const subject: Subject = {
      workload,
      usage,
      baseline: input.baseline.workloads[workload] ?? noUsage,
      recordedKeys: input.recorded.filter((r) => r.workload === workload).map((r) => r.key),
      reportRefreshDate: input.reading.reportRefreshDate,
    };
    const one =
      input.program.kind === "milestone"
        ? evaluateMilestoneProgram(input.program, subject)
        : evaluateHighWaterMarkProgram(input.program, subject);
    result.reached.push(...one.reached);
    result.flags.push(...one.flags);
  }
  return result;
}

/** Active users ÷ paid seats, capped at 1 (reports count unlicensed users); 0 without seats. */
export function activeShare(usage: WorkloadUsage): number {
  return usage.paidSeats === 0 ? 0 : Math.min(1, usage.activeUsers / usage.paidSeats);
}

/** `day` of the month after `reportRefreshDate` (YYYY-MM-DD); December rolls into January. */
export function payableOn(reportRefreshDate: string, day: number): string {
  const year = Number(reportRefreshDate.slice(0, 4));
  const month = Number(reportRefreshDate.slice(5, 7));
  const [nextYear, nextMonth] = month === 12 ? [year + 1, 1] : [year, month + 1];
  return `${String(nextYear).padStart(4, "0")}-${pad2(nextMonth)}-${pad2(day)}`;
}

/** One claimed workload's facts for this reading. */
interface Subject {
  workload: WorkloadId;
  usage: WorkloadUsage;
  baseline: BaselineUsage;
  recordedKeys: readonly string[];
  reportRefreshDate: string;
}

const noUsage: BaselineUsage = { paidSeats: 0, activeUsers: 0, highWaterMark: 0 };

/** One-time payments: each program milestone of the workload, ascending by threshold. */
function evaluateMilestoneProgram(program: MilestoneProgram, s: Subject): MilestoneEvaluation {
  const result: MilestoneEvaluation = { reached: [], flags: [] };
  const payments = program.payments[s.workload];
  if (payments === undefined) return result; // the program does not pay this workload
  for (const milestone of workloadCatalog[s.workload].milestones) {
    const amounts = payments[milestone.id];
    if (amounts === undefined) continue; // the program does not pay this milestone
    if (activeShare(s.baseline) >= milestone.activeShare) {
      result.flags.push(exceededAtClaim(s, milestone.id, milestone.activeShare));
      continue;
    }
    if (s.recordedKeys.includes(milestone.id) || activeShare(s.usage) < milestone.activeShare) continue;
    const size = sizeCheck(program, s, true);
    if (!size.eligible) {
      result.flags.push(belowSeatBand(s, milestone, size.reason));
      continue;
    }
    // parseIncentiveProgram requires an amount for every band a workload can fall in; a hand-built
    // program without one simply does not pay that band.
    const amount = size.band === undefined ? undefined : amounts[size.band.id];
    if (amount === undefined) continue;
    result.reached.push(reached(program, s, { key: milestone.id, seatBand: size.band, units: 1, amount }));
  }
  return result;
}

/**
 * The current model: pays the seats above the prior high-water mark while usage qualifies. The prior
 * mark is the highest of the baseline's mark, the seats at approval (only growth after approval
 * counts) and every `hwm-N` already recorded, so each seat is paid at most once.
 */
function evaluateHighWaterMarkProgram(program: HighWaterMarkProgram, s: Subject): MilestoneEvaluation {
  const result: MilestoneEvaluation = { reached: [], flags: [] };
  const rate = program.ratePerUnit[s.workload];
  if (rate === undefined) return result; // the program does not pay this workload
  if (activeShare(s.baseline) >= program.ineligibleAtClaimAboveShare) {
    result.flags.push(exceededAtClaim(s, highWaterMarkFlagKey, program.ineligibleAtClaimAboveShare));
    return result;
  }
  const prior = Math.max(s.baseline.highWaterMark, s.baseline.paidSeats, ...recordedMarks(s.recordedKeys));
  if (s.usage.paidSeats <= prior || activeShare(s.usage) < program.qualifyingActiveShare) return result;
  const size = sizeCheck(program, s, program.requireSeatBand);
  if (!size.eligible) {
    result.flags.push(
      belowSeatBand(s, { id: highWaterMarkFlagKey, activeShare: program.qualifyingActiveShare }, size.reason),
    );
    return result;
  }
  const units = s.usage.paidSeats - prior;
  result.reached.push(
    reached(program, s, {
      key: `hwm-${s.usage.paidSeats}`,
      seatBand: size.band,
      units,
      amount: units * rate,
    }),
  );
  return result;
}

/** The N of every recorded `hwm-N` key. */
function recordedMarks(keys: readonly string[]): number[] {
  return keys.flatMap((key) => {
    const mark = highWaterMarkOf(key);
    return mark === undefined ? [] : [mark];
  });
}

/** N of an `hwm-N` ledger key (the high-water mark it paid up to); undefined for any other key. */
export function highWaterMarkOf(key: string): number | undefined {
  const match = /^hwm-(\d+)$/.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export type SizeCheck = { eligible: true; band: SeatBand | undefined } | { eligible: false; reason: string };

function sizeCheck(program: IncentiveProgram, s: Subject, requireBand: boolean): SizeCheck {
  return seatSizeCheck(program, s.workload, s.usage.paidSeats, requireBand);
}

/**
 * Whether a tenant with `seats` paid seats of `workload` is large enough to earn under `program`:
 * the program's minimum, then (if `requireBand`) one of the workload's seat bands. The reason says
 * why not, in words a partner reads.
 */
export function seatSizeCheck(
  program: IncentiveProgram,
  workload: WorkloadId,
  seats: number,
  requireBand: boolean,
): SizeCheck {
  if (seats < program.minimumPaidSeats) {
    return {
      eligible: false,
      reason: `the program ignores tenants under ${program.minimumPaidSeats} paid seats`,
    };
  }
  const band = seatBandFor(workload, seats);
  if (band === undefined && requireBand) {
    const bands = workloadCatalog[workload].seatBands.map((id) => describeBand(seatBands[id])).join(", ");
    return { eligible: false, reason: `${seats} paid seats fit none of its seat bands (${bands})` };
  }
  return { eligible: true, band };
}

function reached(
  program: IncentiveProgram,
  s: Subject,
  earned: { key: string; seatBand: SeatBand | undefined; units: number; amount: number },
): ReachedMilestone {
  return {
    workload: s.workload,
    key: earned.key,
    kind: program.kind,
    activeShare: activeShare(s.usage),
    paidSeats: s.usage.paidSeats,
    activeUsers: s.usage.activeUsers,
    seatBand: earned.seatBand?.id ?? null,
    units: earned.units,
    amount: Math.round(earned.amount * 100) / 100,
    currency: program.currency,
    reportRefreshDate: s.reportRefreshDate,
    payableOn: payableOn(s.reportRefreshDate, program.payoutDayOfNextMonth),
  };
}

function exceededAtClaim(s: Subject, key: string, threshold: number): MilestoneFlag {
  const name = workloadCatalog[s.workload].name;
  return {
    workload: s.workload,
    key,
    reason: "exceeded-at-claim",
    message:
      `${name} was already ${percent(activeShare(s.baseline))} active at approval (threshold ${percent(threshold)}): ` +
      (key === highWaterMarkFlagKey
        ? "this workload earns no incentive"
        : `the ${key} milestone earns no incentive`),
  };
}

function belowSeatBand(
  s: Subject,
  threshold: { id: string; activeShare: number },
  why: string,
): MilestoneFlag {
  const name = workloadCatalog[s.workload].name;
  return {
    workload: s.workload,
    key: threshold.id,
    reason: "below-seat-band",
    message: `${name} reached ${percent(activeShare(s.usage))} active (threshold ${percent(threshold.activeShare)}) but ${why}`,
  };
}

/** `smb 11–300`, `enterprise 301+`. */
function describeBand(band: SeatBand): string {
  return `${band.id} ${band.minSeats}${band.maxSeats === undefined ? "+" : `–${band.maxSeats}`}`;
}

/** A share as a percentage for people: 0.153 → `15.3%`. */
export function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

const approvedAt = z.union([isoDate, z.iso.datetime({ offset: true })]);

/**
 * Rejects what no report can say: counts that are negative, fractional or not finite, a refresh
 * date that is not a date, claimed workloads outside the catalog. All issues are reported at once.
 */
function assertPossible(input: EvaluateMilestonesInput): void {
  const issues: FieldIssue[] = [];
  input.claimedWorkloads.forEach((w, i) => {
    if (!Object.hasOwn(workloadCatalog, w))
      issues.push({ path: `claimedWorkloads.${i}`, message: "is not a known workload" });
  });
  if (!isoDate.safeParse(input.reading.reportRefreshDate).success) {
    issues.push({ path: "reading.reportRefreshDate", message: "must be a date (YYYY-MM-DD)" });
  }
  if (!approvedAt.safeParse(input.baseline.approvedAt).success) {
    issues.push({ path: "baseline.approvedAt", message: "must be a date or an ISO date-time" });
  }
  issues.push(...countIssues("reading.workloads", input.reading.workloads, ["paidSeats", "activeUsers"]));
  issues.push(
    ...countIssues("baseline.workloads", input.baseline.workloads, [
      "paidSeats",
      "activeUsers",
      "highWaterMark",
    ]),
  );
  if (issues.length > 0) throw new ValidationError(issues);
}

function countIssues<F extends string>(
  path: string,
  workloads: Partial<Record<WorkloadId, Partial<Record<F, number>>>>,
  fields: readonly F[],
): FieldIssue[] {
  return Object.entries(workloads).flatMap(([workload, usage]) => {
    if (usage === undefined) return []; // an absent workload, said explicitly
    return fields.flatMap((field) => {
      const problem = countProblem(usage[field]);
      return problem === undefined ? [] : [{ path: `${path}.${workload}.${field}`, message: problem }];
    });
  });
}

function countProblem(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return "must be a finite number";
  if (value < 0) return "must not be negative";
  if (!Number.isInteger(value)) return "must be a whole number";
  return undefined;
}
