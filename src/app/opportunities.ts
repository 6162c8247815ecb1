import { getIncentiveProgram } from "../config/incentivePrograms";
import { cspSeatsByWorkload } from "../config/skuWorkloads";
import type { LifecycleDurations } from "../domain/lifecycle";
import { findOpportunities, type Opportunity, type TenantWorkloadUsage } from "../domain/opportunities";
import { workloadOfUnit } from "../domain/units";
import type { WorkloadId } from "../domain/workloads";
import type { Store } from "../store/store";
import { mapInBatches, tenantsAtOnce } from "./batches";

export interface OpportunityPorts {
  store: Pick<Store, "associations" | "usageSnapshots" | "claims">;
  clock: () => Date;
  /** The claim lifecycle's windows: a Draft's PoE deadline, a PartnerActionRequired's response window. */
  durations: LifecycleDurations;
  /** The program in force for new claims (settings.incentiveProgramId; its highest version). */
  programId: string;
}

/**
 * `GET /opportunities`: the partner's missed rebates, ranked (src/domain/opportunities.ts). Reads the
 * partner's associations (its own partition), and for each of their customer tenants the latest
 * usage reading per workload and the workloads held in the claims index; of those, only the
 * workloads another partner holds go on, and never who holds them.
 */
export async function opportunitiesOf(ports: OpportunityPorts, partnerId: string): Promise<Opportunity[]> {
  const associations = await ports.store.associations.listAll(partnerId);
  const tenants = [...new Set(associations.map((a) => a.customerTenantId))].sort();
  const readings: TenantWorkloadUsage[] = [];
  const heldByOthers: { customerTenantId: string; workload: WorkloadId }[] = [];
  for (const f of await mapInBatches(tenants, tenantsAtOnce, (tenant) =>
    tenantFacts(ports, partnerId, tenant),
  )) {
    readings.push(...f.readings);
    heldByOthers.push(...f.heldByOthers);
  }
  return findOpportunities({
    associations,
    readings,
    cspSeatsOf: (subscriptions) => cspSeatsByWorkload(subscriptions),
    heldByOthers,
    program: getIncentiveProgram(ports.programId),
    durations: ports.durations,
    now: ports.clock().toISOString(),
  });
}

async function tenantFacts(ports: OpportunityPorts, partnerId: string, customerTenantId: string) {
  const [latest, claims] = await Promise.all([
    ports.store.usageSnapshots.latestByTenant(customerTenantId),
    ports.store.claims.listByTenant(customerTenantId),
  ]);
  return {
    readings: latest.map((r) => ({
      customerTenantId,
      workload: r.workload,
      paidSeats: r.paidSeats,
      activeUsers: r.activeUsers,
    })),
    heldByOthers: claims.flatMap((c) => {
      const workload = workloadOfUnit(c.unit);
      return c.partnerId !== partnerId && workload ? [{ customerTenantId, workload }] : [];
    }),
  };
}
