import type { Association } from "../domain/association";
import {
  expectedPayments,
  forecastWindows,
  summariseForecast,
  type ForecastItem,
  type ForecastSummary,
  type WorkloadReading,
} from "../domain/forecast";
import { claimedWorkloadsOf } from "../domain/milestoneRules";
import type { Store } from "../store/store";
import { programOf } from "./milestones";

export interface ForecastPorts {
  store: Pick<Store, "associations" | "incentiveLedger" | "usageSnapshots">;
  clock: () => Date;
  /** How many of the latest readings the trend is fitted to (settings.usage.forecastReadings). */
  readingsToFit: number;
  /** For an association approved without a recorded program (settings.incentiveProgramId). */
  defaultProgramId: string;
}

/** One projected crossing of one of the partner's associations, with what it would pay. */
export type PartnerForecastItem = { associationId: string; customerTenantId: string } & ForecastItem;

export interface PartnerForecast extends ForecastSummary {
  /** The day the forecast counts from (UTC), YYYY-MM-DD. */
  asOf: string;
  /** Sorted by projected date, then association and claimed-workload order. */
  items: PartnerForecastItem[];
}

/** The summary's horizon: its widest window. */
const horizonDays = Math.max(...forecastWindows);

/**
 * The partner's expected milestone payments: over every one of its Approved associations, each
 * claimed workload's next unpaid threshold projected from the trend of its readings since approval
 * (src/domain/forecast.ts), kept when the crossing falls within 90 days of today and would pay
 * under the association's program; summed in cumulative 30/60/90-day windows and by payable month.
 * Reads only the partner's own rows.
 */
export async function partnerForecast(ports: ForecastPorts, partnerId: string): Promise<PartnerForecast> {
  const asOf = ports.clock().toISOString().slice(0, 10);
  const approved = await ports.store.associations.listAll(partnerId, { status: "Approved" });
  const ledger = await ports.store.incentiveLedger.listAll(partnerId);
  const items: PartnerForecastItem[] = [];
  // One association at a time: a partner may hold hundreds, each a query per workload.
  for (const association of approved) {
    const payments = expectedPayments(
      {
        association,
        program: programOf(association, ports.defaultProgramId),
        ledger: ledger.filter((e) => e.associationId === association.id),
        readings: await readingsOf(ports.store, association),
        readingsToFit: ports.readingsToFit,
        today: asOf,
      },
      horizonDays,
    );
    items.push(
      ...payments.map((p) => ({
        associationId: association.id,
        customerTenantId: association.customerTenantId,
        ...p,
      })),
    );
  }
  // A stable sort: items of one day keep association then claimed-workload order.
  items.sort((a, b) => a.projectedOn.localeCompare(b.projectedOn));
  const { windows, payments } = summariseForecast(items, asOf);
  return { asOf, windows, items, payments };
}

/** The claimed workloads' readings from the approval date on, by refresh date; none before approval. */
async function readingsOf(
  store: ForecastPorts["store"],
  association: Association,
): Promise<WorkloadReading[]> {
  const baseline = association.baseline;
  if (!baseline) return [];
  const from = baseline.approvedAt.slice(0, 10);
  const series = await Promise.all(
    claimedWorkloadsOf(association).map((w) =>
      store.usageSnapshots.series(association.customerTenantId, w, from),
    ),
  );
  return series.flat();
}
