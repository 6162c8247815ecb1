import type { Association } from "../domain/association";
import { NonRetriableError } from "../domain/errors";
import type { UsageReading } from "../domain/lifecycle";
import type { WorkloadId } from "../domain/workloads";
import { tenantUsage, type ParsedTenantUsage, type UsageProvider } from "../integrations/usage/usageProvider";
import type { Store } from "../store/store";
import type { RecordOutcome } from "../store/usageSnapshots";

/** The association kind whose usage earns incentives per tenant × workload: the one polled. */
export const polledKind = "cpor-osu-modern-work-security";

export interface UsagePollPorts {
  store: Pick<Store, "usageSnapshots" | "claims" | "associations">;
  usageProvider: UsageProvider;
  clock: () => Date;
  /** Hands a reading to one association's workflow; "no-workflow" when it has none. */
  report: (association: Association, reading: UsageReading) => Promise<"reported" | "no-workflow">;
}

export type TenantPollResult =
  | { kind: "unreadable"; why: string }
  | { kind: "nothing-new"; summary: string }
  | { kind: "reported"; summary: string; reported: number; withoutWorkflow: string[] };

/**
 * One customer tenant's usage, read once however many partners and associations it has:
 * 1. the tenant is read through the UsageProvider (a NonRetriableError — consent withdrawn, 401/403
 *    — is answered as "unreadable": the next poll tries again; transient failures throw);
 * 2. each workload's reading is recorded (stored / duplicate / stale, keyed on the refresh date),
 *    and which workloads cannot be measured (recorded with their reason, cleared once measured
 *    again: idempotent, a redelivered poll changes nothing);
 * 3. only when something was newly stored (or, on a redelivery, a duplicate: the attempt before may
 *    have stored it and failed before reporting) the reading goes to every Approved Modern Work &
 *    Security association holding a workload of the tenant. A failure to report one association
 *    is thrown after the others had theirs, so the message is retried.
 */
export async function pollTenant(
  ports: UsagePollPorts,
  customerTenantId: string,
  redelivered: boolean,
): Promise<TenantPollResult> {
  let usage: ParsedTenantUsage;
  try {
    usage = tenantUsage.parse(await ports.usageProvider.readTenant(customerTenantId, ports.clock()));
  } catch (err) {
    if (!(err instanceof NonRetriableError)) throw err;
    return { kind: "unreadable", why: err.message };
  }
  const entries = Object.entries(usage.workloads).flatMap(([workload, counts]) =>
    counts === undefined ? [] : [{ workload: workload as keyof ParsedTenantUsage["workloads"], counts }],
  );
  const outcomes = await Promise.all(
    entries.map(({ workload, counts }) =>
      ports.store.usageSnapshots.record({
        customerTenantId,
        workload,
        reportRefreshDate: usage.reportRefreshDate,
        paidSeats: counts.paidSeats,
        activeUsers: counts.activeUsers,
        fetchedAt: usage.fetchedAt,
      }),
    ),
  );
  const unmeasured = await recordMeasurability(ports.store, customerTenantId, usage);
  const counted = countOutcomes(outcomes);
  const summary =
    `report of ${usage.reportRefreshDate}: ${counted.stored} stored, ${counted.duplicate} duplicate, ${counted.stale} stale` +
    (unmeasured.length > 0 ? `; not measurable: ${unmeasured.join(", ")}` : "");
  if (counted.stored === 0 && !(redelivered && counted.duplicate > 0))
    return { kind: "nothing-new", summary };

  const reading: UsageReading = {
    reportRefreshDate: usage.reportRefreshDate,
    workloads: Object.fromEntries(entries.map(({ workload, counts }) => [workload, counts])),
  };
  const failures: unknown[] = [];
  const withoutWorkflow: string[] = [];
  let reported = 0;
  for (const association of await approvedAssociationsOf(ports.store, customerTenantId)) {
    try {
      if ((await ports.report(association, reading)) === "reported") reported++;
      else withoutWorkflow.push(association.id);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
  return { kind: "reported", summary, reported, withoutWorkflow };
}

/**
 * Brings the tenant's not-measurable rows in line with the reading: one query, then writes only
 * where something changed (a new or changed reason; a workload measured again). Returns the
 * workloads not measurable now.
 */
async function recordMeasurability(
  store: UsagePollPorts["store"],
  customerTenantId: string,
  usage: ParsedTenantUsage,
): Promise<WorkloadId[]> {
  const before = new Map(
    (await store.usageSnapshots.notMeasurable(customerTenantId)).map((r) => [r.workload, r]),
  );
  const now = Object.entries(usage.notMeasurable).flatMap(([workload, reason]) =>
    reason === undefined ? [] : [{ workload: workload as WorkloadId, reason }],
  );
  await Promise.all([
    ...now
      .filter(({ workload, reason }) => before.get(workload)?.reason !== reason)
      .map(({ workload, reason }) =>
        store.usageSnapshots.recordNotMeasurable(customerTenantId, workload, reason, usage.fetchedAt),
      ),
    ...Object.keys(usage.workloads)
      .filter((workload) => before.has(workload as WorkloadId))
      .map((workload) => store.usageSnapshots.clearNotMeasurable(customerTenantId, workload as WorkloadId)),
  ]);
  return now.map(({ workload }) => workload);
}

/** Approved Modern Work & Security associations holding a workload of the tenant (any partner). */
async function approvedAssociationsOf(
  store: UsagePollPorts["store"],
  customerTenantId: string,
): Promise<Association[]> {
  const holders = new Map<string, string>(); // association ID → partner ID
  for (const claim of await store.claims.listByTenant(customerTenantId))
    if (claim.unit.startsWith("workload:")) holders.set(claim.associationId, claim.partnerId);
  const found = await Promise.all(
    [...holders].map(([associationId, partnerId]) => store.associations.find(partnerId, associationId)),
  );
  return found.flatMap((f) =>
    f && f.value.status === "Approved" && f.value.kind === polledKind ? [f.value] : [],
  );
}

function countOutcomes(outcomes: readonly RecordOutcome[]): Record<RecordOutcome, number> {
  const counted: Record<RecordOutcome, number> = { stored: 0, duplicate: 0, stale: 0 };
  for (const outcome of outcomes) counted[outcome]++;
  return counted;
}
