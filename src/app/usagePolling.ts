import type { Association } from "../domain/association";
import { NonRetriableError } from "../domain/errors";
import type { UsageReading } from "../domain/lifecycle";
import type { RecordedMilestone } from "../domain/milestoneRules";
import type { WorkloadId } from "../domain/workloads";
import { tenantsOf, type UsagePollMessage, type UsagePollTenant } from "../integrations/usage/usagePollQueue";
import { tenantUsage, type ParsedTenantUsage, type UsageProvider } from "../integrations/usage/usageProvider";
import type { Store } from "../store/store";
import type { RecordOutcome } from "../store/usageSnapshots";
import { ledgerOf, newsOf } from "./milestones";

/** The association kind whose usage earns incentives per tenant × workload: the one polled. */
export const polledKind = "cpor-osu-modern-work-security";

export interface UsagePollPorts {
  store: Pick<Store, "usageSnapshots" | "claims" | "associations" | "incentiveLedger">;
  usageProvider: UsageProvider;
  clock: () => Date;
  /** For an association approved without a recorded program (settings.incentiveProgramId). */
  defaultProgramId: string;
  /** Hands a reading to one association's workflow; "no-workflow" when it has none. */
  report: (association: Association, reading: UsageReading) => Promise<"reported" | "no-workflow">;
}

export type TenantPollResult =
  | { kind: "unreadable"; why: string }
  | { kind: "nothing-new"; summary: string }
  | {
      kind: "reported";
      summary: string;
      /** Approved polled associations the reading was judged for. */
      approved: number;
      reported: number;
      /** Judged: the reading changes nothing for them, so nothing was raised. */
      unchanged: number;
      withoutWorkflow: string[];
    };

/**
 * One customer tenant's usage, read once however many partners and associations it has:
 * 1. the tenant is read through the UsageProvider (a NonRetriableError — consent withdrawn, 401/403
 *    — is answered as "unreadable": the next poll tries again; transient failures throw);
 * 2. the reading is recorded, each workload stored / duplicate / stale (keyed on the refresh date),
 *    and which workloads cannot be measured (recorded with their reason, cleared once measured
 *    again): idempotent, a redelivered poll changes nothing;
 * 3. only when something was newly stored (or, on a redelivery, a duplicate: the attempt before may
 *    have stored it and failed before reporting) the reading is judged for every Approved Modern
 *    Work & Security association holding a workload of the tenant (the message's list, else the
 *    claims index), with the lifecycle's own rules (`newsOf`) against the association's projection
 *    of its ledger (the ledger itself where the row has none). It goes to the association's
 *    workflow only when it reaches a milestone not recorded, raises a flag not stored, or leaves
 *    nothing to earn; a reading that changes nothing costs the workflow nothing. A failure to report
 *    one association is thrown after the others had theirs, so the message is retried.
 */
export async function pollTenant(
  ports: UsagePollPorts,
  message: UsagePollTenant,
  redelivered: boolean,
): Promise<TenantPollResult> {
  const { customerTenantId } = message;
  let usage: ParsedTenantUsage;
  try {
    usage = tenantUsage.parse(await ports.usageProvider.readTenant(customerTenantId, ports.clock()));
  } catch (err) {
    if (!(err instanceof NonRetriableError)) throw err;
    return { kind: "unreadable", why: err.message };
  }
  const outcomes = await ports.store.usageSnapshots.recordTenant({
    customerTenantId,
    reportRefreshDate: usage.reportRefreshDate,
    fetchedAt: usage.fetchedAt,
    workloads: usage.workloads,
    notMeasurable: usage.notMeasurable,
  });
  const unmeasured = Object.keys(usage.notMeasurable) as WorkloadId[];
  const counted = countOutcomes(Object.values(outcomes));
  const summary =
    `report of ${usage.reportRefreshDate}: ${counted.stored} stored, ${counted.duplicate} duplicate, ${counted.stale} stale` +
    (unmeasured.length > 0 ? `; not measurable: ${unmeasured.join(", ")}` : "");
  if (counted.stored === 0 && !(redelivered && counted.duplicate > 0))
    return { kind: "nothing-new", summary };

  const reading: UsageReading = { reportRefreshDate: usage.reportRefreshDate, workloads: usage.workloads };
  const approved = await approvedAssociationsOf(ports.store, message);
  const judged = await Promise.all(
    approved.map(async (association) => ({
      association,
      news: newsOf(association, reading, await recordedOf(ports.store, association), ports.defaultProgramId),
    })),
  );
  const failures: unknown[] = [];
  const withoutWorkflow: string[] = [];
  let reported = 0;
  for (const { association } of judged.filter((j) => j.news !== undefined)) {
    try {
      if ((await ports.report(association, reading)) === "reported") reported++;
      else withoutWorkflow.push(association.id);
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length > 0) throw failures[0];
  const unchanged = judged.filter((j) => j.news === undefined).length;
  return { kind: "reported", summary, approved: approved.length, reported, unchanged, withoutWorkflow };
}

/** What became of one tenant of a message: its result, or the error it failed with. */
export type TenantOutcome = TenantPollResult | { kind: "failed"; error: unknown };

/**
 * The tenants of one usage-poll message, read in turn (`pollTenant` each), each outcome handed to
 * `observe` as it comes. `redelivered`: the host delivers the message again. When every tenant
 * fails, the first error is thrown and the host retries the message whole (a tenant done before is
 * then a duplicate: it raises nothing new). When only some fail, each of those is sent back alone
 * through `retryAlone` (marked `retried`, judged as a redelivery) and the message completes; if that
 * send fails, it throws, and the whole message is retried.
 */
export async function pollTenants(
  ports: UsagePollPorts & { retryAlone: (tenant: UsagePollTenant) => Promise<void> },
  message: UsagePollMessage,
  redelivered: boolean,
  observe: (tenant: UsagePollTenant, outcome: TenantOutcome) => void,
): Promise<void> {
  const { tenants, retried } = tenantsOf(message);
  const failed: { tenant: UsagePollTenant; error: unknown }[] = [];
  for (const tenant of tenants) {
    let outcome: TenantOutcome;
    try {
      outcome = await pollTenant(ports, tenant, redelivered || retried);
    } catch (error) {
      outcome = { kind: "failed", error };
      failed.push({ tenant, error });
    }
    observe(tenant, outcome);
  }
  const [first] = failed;
  if (!first) return;
  if (failed.length === tenants.length) throw first.error;
  await Promise.all(failed.map(({ tenant }) => ports.retryAlone(tenant)));
}

/** The milestones recorded for the association: its projection, or its ledger on an older row. */
async function recordedOf(
  store: UsagePollPorts["store"],
  association: Association,
): Promise<readonly RecordedMilestone[]> {
  if (association.recordedMilestones) return association.recordedMilestones;
  return (await ledgerOf(store, association)).map((e) => ({ workload: e.workload, key: e.milestoneKey }));
}

/**
 * Approved Modern Work & Security associations holding a workload of the tenant (any partner): those
 * the message names, else the claims index's holders; each read by its key and checked now.
 */
async function approvedAssociationsOf(
  store: UsagePollPorts["store"],
  message: UsagePollTenant,
): Promise<Association[]> {
  const { customerTenantId } = message;
  const holders = new Map<string, string>(); // association ID → partner ID
  if (message.associations) for (const { id, partnerId } of message.associations) holders.set(id, partnerId);
  else
    for (const claim of await store.claims.listByTenant(customerTenantId))
      if (claim.unit.startsWith("workload:")) holders.set(claim.associationId, claim.partnerId);
  const found = await Promise.all(
    [...holders].map(([associationId, partnerId]) => store.associations.find(partnerId, associationId)),
  );
  return found.flatMap((f) =>
    f &&
    f.value.status === "Approved" &&
    f.value.kind === polledKind &&
    f.value.customerTenantId === customerTenantId
      ? [f.value]
      : [],
  );
}

function countOutcomes(outcomes: readonly RecordOutcome[]): Record<RecordOutcome, number> {
  const counted: Record<RecordOutcome, number> = { stored: 0, duplicate: 0, stale: 0 };
  for (const outcome of outcomes) counted[outcome]++;
  return counted;
}
