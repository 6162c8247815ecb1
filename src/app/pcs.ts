import { pcsProgramOn } from "../config/pcsPrograms";
import type { Association } from "../domain/association";
import type { PcsSolutionArea } from "../domain/associationTypes";
import type { PcsAssociation, PcsInputs, PcsReading } from "../domain/pcs/inputs";
import type { PcsSnapshot, RevenueRow, Skilling } from "../domain/pcs/records";
import {
  customerEligibility,
  scorePartner,
  type CustomerEligibility,
  type PcsScore,
} from "../domain/pcs/score";
import type { Store } from "../store/store";
import { mapInBatches, tenantsAtOnce } from "./batches";

/**
 * The Partner Capability Score use cases: the partner's reported inputs (certifications, Azure
 * consumed revenue), the score as of today, the customer-eligibility view, and the daily snapshot
 * the history and the "qualified in the last six months" rule read.
 */
export interface PcsPorts {
  store: Pick<Store, "associations" | "usageSnapshots" | "pcs" | "partners">;
  clock: () => Date;
}

export async function putSkilling(ports: PcsPorts, partnerId: string, counts: Skilling): Promise<Skilling> {
  await ports.store.pcs.putSkilling(partnerId, counts);
  return counts;
}

export async function putAzureRevenue(
  ports: PcsPorts,
  partnerId: string,
  rows: readonly RevenueRow[],
): Promise<{ stored: number }> {
  await ports.store.pcs.putRevenue(partnerId, rows);
  return { stored: rows.length };
}

export async function scorePcs(ports: PcsPorts, partnerId: string): Promise<PcsScore> {
  const inputs = await inputsOf(ports, partnerId);
  return scorePartner(pcsProgramOn(inputs.today), inputs);
}

export async function pcsCustomers(
  ports: PcsPorts,
  partnerId: string,
  area: PcsSolutionArea,
): Promise<CustomerEligibility[]> {
  const inputs = await inputsOf(ports, partnerId);
  return customerEligibility(pcsProgramOn(inputs.today), area, inputs);
}

/** Stores today's score of every area for the partner (same day again: replaced). */
export async function snapshotPcs(ports: PcsPorts, partnerId: string): Promise<PcsSnapshot[]> {
  const score = await scorePcs(ports, partnerId);
  const snapshots = score.areas.map((area): PcsSnapshot => ({
    area: area.area,
    day: score.asOf,
    programYear: score.programYear,
    total: area.total,
    qualifiedToday: area.qualifiedToday,
    metrics: area.metrics.map(({ metric, points, max }) => ({ metric, points, max })),
  }));
  for (const snapshot of snapshots) await ports.store.pcs.putSnapshot(partnerId, snapshot);
  return snapshots;
}

/** Every partner's snapshot; one partner's failure does not stop the others, and is thrown at the end. */
export async function snapshotAllPartners(
  ports: PcsPorts,
  log: (line: string) => void,
): Promise<{ partners: number; failed: number }> {
  const failures: unknown[] = [];
  const partnerIds = await ports.store.partners.allIds();
  for (const partnerId of partnerIds)
    try {
      await snapshotPcs(ports, partnerId);
    } catch (err) {
      failures.push(err);
      log(
        `score snapshot of partner ${partnerId} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  if (failures.length > 0) throw failures[0];
  return { partners: partnerIds.length, failed: failures.length };
}

export async function pcsHistory(
  ports: PcsPorts,
  partnerId: string,
  filter: { area?: PcsSolutionArea; from: string; to: string },
): Promise<PcsSnapshot[]> {
  return ports.store.pcs.snapshots(partnerId, filter);
}

async function inputsOf(ports: PcsPorts, partnerId: string): Promise<PcsInputs> {
  const today = ports.clock().toISOString().slice(0, 10);
  const [associations, skilling, revenue, lastQualifiedOn] = await Promise.all([
    ports.store.associations.listAll(partnerId),
    ports.store.pcs.skilling(partnerId),
    ports.store.pcs.revenue(partnerId),
    ports.store.pcs.lastQualifiedOn(partnerId),
  ]);
  const counted = associations.flatMap((a) => {
    const span = countingSpan(a);
    return span ? [span] : [];
  });
  const tenants = [...new Set(counted.map((a) => a.customerTenantId))];
  const readings = new Map<string, PcsReading[]>(
    await mapInBatches(tenants, tenantsAtOnce, async (tenant): Promise<[string, PcsReading[]]> => {
      const rows = await ports.store.usageSnapshots.tenantReadings(tenant);
      const ordered = rows
        .map(({ workload, reportRefreshDate, paidSeats, activeUsers }) => ({
          workload,
          reportRefreshDate,
          paidSeats,
          activeUsers,
        }))
        .sort((x, y) => x.reportRefreshDate.localeCompare(y.reportRefreshDate));
      return [tenant, ordered];
    }),
  );
  return {
    today,
    associations: counted,
    readings,
    skilling: Object.fromEntries(
      Object.entries(skilling).map(([area, c]) => [
        area,
        { intermediate: c.intermediate, advanced: c.advanced },
      ]),
    ),
    revenue,
    lastQualifiedOn: Object.fromEntries(Object.entries(lastQualifiedOn).filter(([, day]) => day < today)),
  };
}

/**
 * The days an association counted toward the score, as Microsoft recognizes it: a claim from its
 * approval; a DPOR from its confirmation; a PAL link from its linking while the link stands (a link
 * whose credential fails still exists); a CSP relationship from its creation. Undefined when it never
 * counted (a claim never approved, a DPOR never confirmed) or never can (TPOR).
 */
export function countingSpan(a: Association): PcsAssociation | undefined {
  const day = (iso: string) => iso.slice(0, 10);
  const span = (since: string, counts: boolean): PcsAssociation => ({
    kind: a.kind,
    customerTenantId: a.customerTenantId,
    since: day(since),
    ...(counts ? {} : { until: day(a.statusChangedAt) }),
  });
  switch (a.kind) {
    case "cpor-osu-modern-work-security":
    case "cpor-osu-business-applications":
    case "cpor-osa":
    case "cpor-revrec":
    case "usage-recognition":
      if (a.status === "Approved") return span(a.baseline?.approvedAt ?? a.statusChangedAt, true);
      return a.baseline ? span(a.baseline.approvedAt, false) : undefined;
    case "dpor":
      return a.dpor?.confirmedAt ? span(a.dpor.confirmedAt, a.status === "Active") : undefined;
    case "pal":
      return a.pal
        ? span(
            a.pal.linkedAt,
            a.status === "Active" || (a.status === "Drifted" && a.pal.drift === "credential-failing"),
          )
        : undefined;
    case "csp-direct-bill":
    case "csp-indirect-reseller":
      return span(a.createdAt, a.status === "Active");
    case "tpor":
      return undefined;
  }
}
