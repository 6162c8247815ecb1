import { app } from "@azure/functions";
import { z } from "zod";
import type { Association } from "../../../src/domain/association";
import { forecastAssociation } from "../../../src/domain/forecast";
import type { IncentiveLedgerEntry } from "../../../src/domain/incentiveLedgerEntry";
import { activeShare } from "../../../src/domain/milestones";
import type { UsageSnapshot } from "../../../src/domain/usageSnapshot";
import { workloadId } from "../../../src/domain/workloads";
import { csvResponse, prefersCsv, toCsv, type CsvColumn } from "../../../src/http/csv";
import { parseBody, partnerEndpoint } from "../../../src/http/partnerEndpoint";
import type { LedgerFilter } from "../../../src/store/incentiveLedger";
import type { Store } from "../../../src/store/store";
import type { NotMeasurable } from "../../../src/store/usageSnapshots";
import { programOf } from "../../../src/app/milestones";
import { claimedWorkloadsOf, isRecorded, programThresholds } from "../../../src/domain/milestoneRules";
import { getPorts, type Ports } from "../../composition";

/** One point of a workload's usage curve. */
interface SeriesPoint {
  reportRefreshDate: string;
  workload: string;
  paidSeats: number;
  activeUsers: number;
  /** Active users ÷ paid seats, capped at 1. */
  activeShare: number;
}

const seriesColumns: readonly CsvColumn<SeriesPoint>[] = [
  { header: "reportRefreshDate", value: (p) => p.reportRefreshDate },
  { header: "workload", value: (p) => p.workload },
  { header: "paidSeats", value: (p) => p.paidSeats },
  { header: "activeUsers", value: (p) => p.activeUsers },
  { header: "activeShare", value: (p) => p.activeShare },
];

/**
 * `GET /api/v1/associations/{id}/usage`: where the association stands toward its incentives:
 * - `baseline`: usage at approval (null before approval);
 * - `series`: every stored reading of each claimed workload from the approval date on, by refresh
 *   date then claimed-workload order;
 * - `progress`: per threshold the program pays (`active-15`, `active-40`, or `hwm` for the
 *   high-water-mark program), the latest share as a fraction of the threshold (capped at 1),
 *   whether it is recorded in the ledger and whether it is flagged;
 * - `milestoneFlags`: thresholds that cannot pay, and why;
 * - `notMeasurable`: claimed workloads whose usage cannot be read in the customer tenant now
 *   (`{workload, reason, since}`: a permission the app lacks, or no signal Microsoft exposes);
 * - `forecast`: per claimed workload, the trend of its share and when it is projected to reach its
 *   next unpaid threshold (src/domain/forecast.ts); empty unless Approved with a baseline.
 * With `Accept: text/csv` the series alone, as CSV. Another partner's association is a 404.
 */
export function getUsageHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const { store, settings } = ports();
    const { value: association } = await store.associations.get(
      call.partnerId,
      call.request.params["id"] ?? "",
    );
    const workloads = claimedWorkloadsOf(association);
    const series = await seriesOf(store, association);
    if (prefersCsv(call.request.headers.get("accept")))
      return csvResponse(toCsv(seriesColumns, series), `usage-${association.id}.csv`);

    const program = programOf(association, settings.incentiveProgramId);
    const ledger = await ledgerOf(store, call.partnerId, { associationId: association.id });
    const flags = association.milestoneFlags ?? [];
    const latest = new Map(series.map((p) => [p.workload, p.activeShare])); // series is date-ordered
    const progress = programThresholds(program, workloads).map((t) => {
      const share = latest.get(t.workload) ?? 0;
      return {
        workload: t.workload,
        milestoneKey: t.key,
        threshold: t.threshold,
        activeShare: share,
        fraction: Math.min(1, share / t.threshold),
        reached: isRecorded(t, ledger),
        flagged: flags.some((f) => f.workload === t.workload && f.key === t.key),
      };
    });
    return {
      status: 200,
      headers: { vary: "Accept" },
      jsonBody: {
        associationId: association.id,
        status: association.status,
        customerTenantId: association.customerTenantId,
        program: { id: program.id, version: program.version, kind: program.kind, currency: program.currency },
        baseline: association.baseline ?? null,
        series,
        progress,
        milestoneFlags: flags,
        notMeasurable: await notMeasurableOf(store, association),
        forecast: forecastAssociation({
          association,
          program,
          ledger,
          readings: series,
          readingsToFit: settings.usage.forecastReadings,
          today: ports().clock().toISOString().slice(0, 10),
        }),
      },
    };
  });
}

const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "must be a month, YYYY-MM")
  .optional();

/**
 * `earnedIn`: the month a milestone was earned (`earnedAt`, UTC); `payableIn`: the month it is
 * payable in (`payableOn`); `period` is the older name of `payableIn` and may be given beside it
 * only with the same month.
 */
const incentivesQuery = z
  .object({
    earnedIn: month,
    payableIn: month,
    period: month,
    workload: workloadId.optional(),
    associationId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.period !== undefined && q.payableIn !== undefined && q.period !== q.payableIn)
      ctx.addIssue({
        code: "custom",
        path: ["period"],
        message: `is another name for payableIn and must match it (${q.payableIn}), or be left out`,
      });
  });

const ledgerColumns: readonly CsvColumn<IncentiveLedgerEntry>[] = [
  { header: "associationId", value: (e) => e.associationId },
  { header: "claimName", value: (e) => e.claimName ?? "" },
  { header: "customerTenantId", value: (e) => e.customerTenantId },
  { header: "customerDomain", value: (e) => e.customerDomain ?? "" },
  { header: "workload", value: (e) => e.workload },
  { header: "milestoneKey", value: (e) => e.milestoneKey },
  { header: "programId", value: (e) => e.programId },
  { header: "programVersion", value: (e) => e.programVersion },
  { header: "units", value: (e) => e.units },
  { header: "amount", value: (e) => e.amount },
  { header: "currency", value: (e) => e.currency },
  { header: "reportRefreshDate", value: (e) => e.reportRefreshDate },
  { header: "earnedAt", value: (e) => e.earnedAt },
  { header: "payableOn", value: (e) => e.payableOn },
];

/**
 * `GET /api/v1/incentives?earnedIn=YYYY-MM&payableIn=YYYY-MM&workload=…&associationId=…` (`period`
 * = `payableIn`): the partner's incentive ledger (every matching entry, each naming its claim and
 * the customer's domain) with totals by workload and by payable month, each per currency. With
 * `Accept: text/csv` the entries alone, as CSV.
 */
export function listIncentivesHandler(ports: () => Ports) {
  return partnerEndpoint(ports, async (call) => {
    const query = parseBody(
      incentivesQuery,
      JSON.stringify(Object.fromEntries(call.request.query.entries())),
    );
    const payableIn = query.payableIn ?? query.period;
    const items = await ledgerOf(ports().store, call.partnerId, {
      ...(query.earnedIn ? { earnedMonth: query.earnedIn } : {}),
      ...(payableIn ? { payableMonth: payableIn } : {}),
      ...(query.workload ? { workload: query.workload } : {}),
      ...(query.associationId ? { associationId: query.associationId } : {}),
    });
    if (prefersCsv(call.request.headers.get("accept")))
      return csvResponse(toCsv(ledgerColumns, items), csvFileName(query.earnedIn, payableIn));
    return {
      status: 200,
      headers: { vary: "Accept" },
      jsonBody: {
        items: items.map(({ partnerId: _p, ...entry }) => entry),
        totals: {
          byWorkload: totals(items, (e) => e.workload).map(({ key, ...t }) => ({ workload: key, ...t })),
          byMonth: totals(items, (e) => e.payableOn.slice(0, 7)).map(({ key, ...t }) => ({
            month: key,
            ...t,
          })),
        },
      },
    };
  });
}

/** `incentives.csv`, `incentives-2026-12.csv` (payable then, as before), `incentives-earned-2026-11….csv`. */
function csvFileName(earnedIn: string | undefined, payableIn: string | undefined): string {
  const earned = earnedIn ? `-earned-${earnedIn}` : "";
  const payable = payableIn ? `${earnedIn ? "-payable" : ""}-${payableIn}` : "";
  return `incentives${earned}${payable}.csv`;
}

/** Readings of each claimed workload from the approval date on; none before approval. */
async function seriesOf(store: Store, association: Association): Promise<SeriesPoint[]> {
  const baseline = association.baseline;
  if (!baseline) return [];
  const workloads = claimedWorkloadsOf(association);
  const from = baseline.approvedAt.slice(0, 10);
  const readings = await Promise.all(
    workloads.map((w) => store.usageSnapshots.series(association.customerTenantId, w, from)),
  );
  return readings
    .flatMap((rs, order) => rs.map((r) => ({ order, point: point(r) })))
    .sort((a, b) => a.point.reportRefreshDate.localeCompare(b.point.reportRefreshDate) || a.order - b.order)
    .map(({ point }) => point);
}

/** The claimed workloads the tenant's usage cannot be measured for, in claimed-workload order. */
async function notMeasurableOf(store: Store, association: Association): Promise<NotMeasurable[]> {
  const rows = new Map(
    (await store.usageSnapshots.notMeasurable(association.customerTenantId)).map((r) => [r.workload, r]),
  );
  return claimedWorkloadsOf(association).flatMap((w) => rows.get(w) ?? []);
}

function point(s: UsageSnapshot): SeriesPoint {
  return {
    reportRefreshDate: s.reportRefreshDate,
    workload: s.workload,
    paidSeats: s.paidSeats,
    activeUsers: s.activeUsers,
    activeShare: activeShare(s),
  };
}

/** Every ledger entry of the partner matching `filter`, all pages. */
async function ledgerOf(
  store: Store,
  partnerId: string,
  filter: LedgerFilter,
): Promise<IncentiveLedgerEntry[]> {
  const entries: IncentiveLedgerEntry[] = [];
  let continuationToken: string | undefined;
  do {
    const page = await store.incentiveLedger.list(partnerId, filter, {
      pageSize: 1000,
      ...(continuationToken ? { continuationToken } : {}),
    });
    entries.push(...page.items);
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return entries;
}

/** Count, units and amount per key and currency, sorted by key then currency. */
function totals(entries: readonly IncentiveLedgerEntry[], keyOf: (e: IncentiveLedgerEntry) => string) {
  const sums = new Map<
    string,
    { key: string; currency: string; count: number; units: number; amount: number }
  >();
  for (const e of entries) {
    const id = `${keyOf(e)}\n${e.currency}`;
    const sum = sums.get(id) ?? { key: keyOf(e), currency: e.currency, count: 0, units: 0, amount: 0 };
    sums.set(id, { ...sum, count: sum.count + 1, units: sum.units + e.units, amount: sum.amount + e.amount });
  }
  return [...sums.values()]
    .map((s) => ({ ...s, amount: Math.round(s.amount * 100) / 100 }))
    .sort((a, b) => a.key.localeCompare(b.key) || a.currency.localeCompare(b.currency));
}

app.http("getAssociationUsage", {
  route: "api/v1/associations/{id}/usage",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: getUsageHandler(getPorts),
});

app.http("listIncentives", {
  route: "api/v1/incentives",
  methods: ["GET"],
  authLevel: "anonymous",
  handler: listIncentivesHandler(getPorts),
});
