import type { Association } from "./association";
import type { IncentiveProgram } from "./incentiveProgram";
import { claimedWorkloadsOf, isRecorded, programThresholds } from "./milestoneRules";
import {
  activeShare,
  evaluateMilestones,
  type BaselineUsage,
  type ReachedMilestone,
  type WorkloadUsage,
} from "./milestones";
import type { WorkloadId } from "./workloads";

/**
 * The milestone forecast: when one workload's active share is expected to reach its next unpaid
 * threshold, from the trend of its readings since approval, and what that crossing would earn.
 * Pure and deterministic: "today" is an input, dates are YYYY-MM-DD and counted in whole UTC days.
 */

/** Fewer readings since approval than this give no trend worth projecting. */
export const minimumForecastReadings = 3;

/** A crossing further than this from today is not projected (the trend says too little that far out). */
export const forecastHorizonDays = 180;

export const notWithinHorizonNote = "not within 180 days";
export const notEnoughReadingsNote = "not enough readings";

export type ForecastOutcome = "projected" | "not-within-180-days" | "not-enough-readings" | "all-reached";

/** One reading of the workload: its refresh date and active users ÷ paid seats (capped at 1). */
export interface ShareReading {
  reportRefreshDate: string;
  activeShare: number;
}

/** A threshold still to reach: not recorded in the ledger and able to pay. */
export interface UnreachedThreshold {
  /** The milestone ID (`active-15`), or `hwm` for the high-water-mark program. */
  key: string;
  /** The active share it needs, as a fraction. */
  threshold: number;
}

export interface ForecastInput {
  /** The workload's readings since approval, by refresh date, oldest first. */
  readings: readonly ShareReading[];
  /** How many of the latest readings the trend is fitted to (settings.usage.forecastReadings). */
  readingsToFit: number;
  /** Every threshold still to reach; the lowest is the next one. Empty: nothing left to earn. */
  unreached: readonly UnreachedThreshold[];
  /** YYYY-MM-DD. */
  today: string;
}

export interface WorkloadForecast {
  /** Readings the trend was fitted to; with `not-enough-readings`, the readings there are (0–2). */
  readings: number;
  /** Active share per day (6 decimals); null without enough readings. */
  trendPerDay: number | null;
  /** The latest reading's active share (4 decimals); null before the first reading. */
  latestShare: number | null;
  nextMilestone: string | null;
  threshold: number | null;
  outcome: ForecastOutcome;
  /** YYYY-MM-DD, with `projected` only. */
  projectedOn: string | null;
  /** `not within 180 days` or `not enough readings`; null otherwise. */
  note: string | null;
}

/**
 * Fits active share against day number by ordinary least squares over the latest `readingsToFit`
 * readings (x = days since the first of them) and projects the first day the fitted line reaches
 * the next unreached threshold, never before the latest reading's date; a latest reading already
 * at or above the threshold projects that reading's date. Outcomes, in this order:
 * `all-reached` (nothing left to earn), `not-enough-readings` (fewer than 3 since approval),
 * `projected`, or `not-within-180-days` (a flat or falling trend, or a crossing more than 180 days
 * after today).
 */
export function forecastWorkload(input: ForecastInput): WorkloadForecast {
  const { readings } = input;
  const latest = readings.at(-1);
  const latestShare = latest === undefined ? null : round(latest.activeShare, 4);
  const next = [...input.unreached].sort((a, b) => a.threshold - b.threshold)[0];
  const enough = readings.length >= minimumForecastReadings;
  // Two points are the fewest a line goes through; the setting allows no fewer.
  const fitted = enough ? readings.slice(-Math.max(2, input.readingsToFit)) : [];
  const fit = enough ? leastSquares(fitted) : undefined;
  const common = {
    readings: enough ? fitted.length : readings.length,
    trendPerDay: fit === undefined ? null : round(fit.slope, 6),
    latestShare,
  };
  if (next === undefined)
    return { ...common, nextMilestone: null, threshold: null, ...outcome("all-reached") };
  const target = { ...common, nextMilestone: next.key, threshold: next.threshold };
  if (fit === undefined || latest === undefined) return { ...target, ...outcome("not-enough-readings") };

  const first = fitted[0]?.reportRefreshDate ?? latest.reportRefreshDate;
  const projectedOn = crossingDate(fit, next.threshold, latest, first);
  if (projectedOn === undefined || projectedOn > addDays(input.today, forecastHorizonDays))
    return { ...target, ...outcome("not-within-180-days") };
  return { ...target, outcome: "projected", projectedOn, note: null };
}

/** The day the line reaches `threshold`, from the latest reading's date on; undefined if it never does. */
function crossingDate(fit: Line, threshold: number, latest: ShareReading, first: string): string | undefined {
  if (latest.activeShare >= threshold) return latest.reportRefreshDate;
  if (fit.slope <= 0) return undefined;
  const latestDay = daysBetween(first, latest.reportRefreshDate);
  // The tolerance keeps a line that meets the threshold exactly on a day from rounding up past it.
  const day = Math.ceil((threshold - fit.intercept) / fit.slope - 1e-9);
  return addDays(first, Math.max(latestDay, day));
}

interface Line {
  slope: number;
  intercept: number;
}

/** Ordinary least squares of share on day number (x = days since the first reading). */
function leastSquares(readings: readonly ShareReading[]): Line {
  const first = readings[0]?.reportRefreshDate ?? "";
  const points = readings.map((r) => ({ x: daysBetween(first, r.reportRefreshDate), y: r.activeShare }));
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  const sxx = points.reduce((sum, p) => sum + (p.x - meanX) ** 2, 0);
  const sxy = points.reduce((sum, p) => sum + (p.x - meanX) * (p.y - meanY), 0);
  // Distinct refresh dates make sxx positive; all on one day says nothing about a trend.
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

function outcome(kind: "all-reached" | "not-enough-readings" | "not-within-180-days") {
  const notes = {
    "all-reached": null,
    "not-enough-readings": notEnoughReadingsNote,
    "not-within-180-days": notWithinHorizonNote,
  };
  return { outcome: kind, projectedOn: null, note: notes[kind] };
}

/** What one projected crossing would earn, and when it would be payable. */
export interface ProjectedEarning {
  /** Ledger key it would be recorded under (`active-15`, `hwm-<seats>`). */
  milestoneKey: string;
  units: number;
  amount: number;
  currency: string;
  payableOn: string;
}

export interface ProjectedEarningInput {
  program: IncentiveProgram;
  workload: WorkloadId;
  baseline: { approvedAt: string; workloads: Partial<Record<WorkloadId, BaselineUsage>> };
  /** Ledger keys already recorded for the association. */
  recorded: readonly { workload: WorkloadId; key: string }[];
  /** The threshold the forecast projects (`WorkloadForecast.nextMilestone`, `.threshold`). */
  next: UnreachedThreshold;
  projectedOn: string;
  /** The latest reading's paid seats: the forecast assumes they hold until the crossing. */
  paidSeats: number;
}

/**
 * The milestone the projected crossing would record, evaluated by the same rules a real reading
 * is (evaluateMilestones): a reading on `projectedOn` with the latest paid seats and just enough
 * active users to meet the threshold. Undefined when that reading would pay nothing (a tenant
 * outside the program's seat bands, no seats above the high-water mark, a threshold met at claim).
 */
export function projectedEarning(input: ProjectedEarningInput): ProjectedEarning | undefined {
  const { workload, paidSeats, next } = input;
  // The tolerance keeps 0.15 × 100 (15.000000000000002 in binary) at 15 users, not 16.
  const activeUsers = Math.min(paidSeats, Math.ceil(next.threshold * paidSeats - 1e-9));
  const { reached } = evaluateMilestones({
    program: input.program,
    claimedWorkloads: [workload],
    baseline: input.baseline,
    reading: { reportRefreshDate: input.projectedOn, workloads: { [workload]: { paidSeats, activeUsers } } },
    recorded: input.recorded,
  });
  const earned = reached.find((m) => isFor(m, next.key));
  if (earned === undefined || earned.amount <= 0) return undefined;
  return {
    milestoneKey: earned.key,
    units: earned.units,
    amount: earned.amount,
    currency: earned.currency,
    payableOn: earned.payableOn,
  };
}

/** `hwm` stands for every `hwm-<seats>` key the high-water-mark program records. */
const isFor = (m: ReachedMilestone, key: string) =>
  m.kind === "high-water-mark" ? m.key.startsWith(`${key}-`) : m.key === key;

// ---------------------------------------------------------------------------------------------
// One association: every claimed workload, and what its projected crossings would pay

/** A stored usage reading of one workload (a UsageSnapshot or the usage route's series point). */
export interface WorkloadReading extends WorkloadUsage {
  /** A claimed workload's ID; readings of other workloads are ignored. */
  workload: string;
  reportRefreshDate: string;
}

export interface AssociationForecastInput {
  association: Association;
  program: IncentiveProgram;
  /** The association's ledger rows. */
  ledger: readonly { workload: WorkloadId; milestoneKey: string }[];
  /** The tenant's readings of the claimed workloads, by refresh date (earlier ones are ignored). */
  readings: readonly WorkloadReading[];
  readingsToFit: number;
  today: string;
}

export type AssociationForecast = { workload: WorkloadId } & WorkloadForecast;

/**
 * The forecast of each claimed workload, in claimed-workload order; none unless the association
 * is Approved with a baseline (usage before approval never counts). A threshold is unreached when
 * the ledger does not hold it and it was not already met at claim time (`exceeded-at-claim` never
 * pays); a workload the program does not pay has nothing to reach (`all-reached`).
 */
export function forecastAssociation(input: AssociationForecastInput): AssociationForecast[] {
  const { association, program, ledger } = input;
  const baseline = association.baseline;
  if (association.status !== "Approved" || baseline === undefined) return [];
  const since = sinceApproval(input.readings, baseline.approvedAt);
  const exceeded = (association.milestoneFlags ?? []).filter((f) => f.reason === "exceeded-at-claim");
  return claimedWorkloadsOf(association).map((workload) => ({
    workload,
    ...forecastWorkload({
      readings: since
        .filter((r) => r.workload === workload)
        .map((r) => ({ reportRefreshDate: r.reportRefreshDate, activeShare: activeShare(r) })),
      readingsToFit: input.readingsToFit,
      unreached: programThresholds(program, [workload]).filter(
        (t) => !isRecorded(t, ledger) && !exceeded.some((f) => f.workload === workload && f.key === t.key),
      ),
      today: input.today,
    }),
  }));
}

/** A projected crossing within the horizon and what it would pay. */
export interface ForecastItem {
  workload: WorkloadId;
  milestoneKey: string;
  projectedOn: string;
  amount: number;
  currency: string;
  payableOn: string;
}

/**
 * The association's projected crossings on or before `today + withinDays` that would pay (a day
 * already past counts: the readings stopped before the crossing they point to), each valued by
 * projectedEarning with the workload's latest paid seats. Same input as forecastAssociation.
 */
export function expectedPayments(input: AssociationForecastInput, withinDays: number): ForecastItem[] {
  const baseline = input.association.baseline;
  if (baseline === undefined) return [];
  const until = addDays(input.today, withinDays);
  const since = sinceApproval(input.readings, baseline.approvedAt);
  return forecastAssociation(input).flatMap((f): ForecastItem[] => {
    const latest = since.filter((r) => r.workload === f.workload).at(-1);
    if (f.outcome !== "projected" || f.projectedOn === null || f.projectedOn > until) return [];
    if (latest === undefined || f.nextMilestone === null || f.threshold === null) return [];
    const earning = projectedEarning({
      program: input.program,
      workload: f.workload,
      baseline,
      recorded: input.ledger.map((e) => ({ workload: e.workload, key: e.milestoneKey })),
      next: { key: f.nextMilestone, threshold: f.threshold },
      projectedOn: f.projectedOn,
      paidSeats: latest.paidSeats,
    });
    if (earning === undefined) return [];
    const { units: _units, ...paid } = earning;
    return [{ workload: f.workload, projectedOn: f.projectedOn, ...paid }];
  });
}

/** Readings refreshed on or after the approval date (a date or an ISO date-time). */
function sinceApproval(readings: readonly WorkloadReading[], approvedAt: string): WorkloadReading[] {
  const from = approvedAt.slice(0, 10);
  return readings.filter((r) => r.reportRefreshDate >= from);
}

// ---------------------------------------------------------------------------------------------
// The partner's summary

/** The summary windows, in days from today; each counts every crossing up to its end. */
export const forecastWindows = [30, 60, 90] as const;

export interface ForecastSummary {
  windows: { days: (typeof forecastWindows)[number]; milestones: number; amounts: CurrencyAmount[] }[];
  /** Per payable month (YYYY-MM) and currency. */
  payments: { month: string; currency: string; amount: number; count: number }[];
}

export interface CurrencyAmount {
  currency: string;
  amount: number;
}

/**
 * Cumulative windows (30, 60, 90 days from today: every item projected on or before the window's
 * last day) and the items' payments by payable month, amounts per currency rounded to 2 decimals,
 * sorted by currency (payments: by month, then currency).
 */
export function summariseForecast(
  items: readonly Pick<ForecastItem, "projectedOn" | "amount" | "currency" | "payableOn">[],
  today: string,
): ForecastSummary {
  const windows = forecastWindows.map((days) => {
    const inside = items.filter((i) => i.projectedOn <= addDays(today, days));
    return {
      days,
      milestones: inside.length,
      amounts: sums(inside, () => "").map(({ currency, amount }) => ({ currency, amount })),
    };
  });
  const payments = sums(items, (i) => i.payableOn.slice(0, 7)).map(({ key, ...sum }) => ({
    month: key,
    ...sum,
  }));
  return { windows, payments };
}

/** Amount and count per key and currency, sorted by key then currency. */
function sums(
  items: readonly Pick<ForecastItem, "amount" | "currency" | "payableOn">[],
  keyOf: (item: Pick<ForecastItem, "payableOn">) => string,
) {
  const totals = new Map<string, { key: string; currency: string; amount: number; count: number }>();
  for (const item of items) {
    const id = `${keyOf(item)}\n${item.currency}`;
    const sum = totals.get(id) ?? { key: keyOf(item), currency: item.currency, amount: 0, count: 0 };
    totals.set(id, { ...sum, amount: sum.amount + item.amount, count: sum.count + 1 });
  }
  return [...totals.values()]
    .map((s) => ({ ...s, amount: round(s.amount, 2) }))
    .sort((a, b) => a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency));
}

/** YYYY-MM-DD plus `days` (UTC calendar days). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / dayMs);
}

const dayMs = 86_400_000;

function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor + 0; // + 0: no -0 in answers
}
