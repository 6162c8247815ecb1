import { getIncentiveProgram } from "../config/incentivePrograms";
import type { Association } from "../domain/association";
import { claimedWorkloadsOf, flaggedAuditEvent, mergeFlags } from "../domain/milestoneRules";
import { evaluateMilestones, type BaselineUsage } from "../domain/milestones";
import type { WorkloadId } from "../domain/workloads";
import type { Store } from "../store/store";

export interface RecordBaselinePorts {
  store: Pick<Store, "associations" | "auditEvents" | "usageSnapshots">;
  /** The program in force for new approvals (settings.incentiveProgramId; its highest version). */
  programId: string;
}

/**
 * Records the usage the association starts from (at approval, before the usage loop): per claimed workload,
 * the tenant's latest stored reading (none yet → zeros), with the high-water mark at its paid seats;
 * `approvedAt` is when the association became Approved. It also pins the incentive program (id and
 * version) the association will be evaluated under, and flags every threshold the customer already
 * met at claim time (`exceeded-at-claim`, which never pays): each flag is appended to the timeline
 * (`milestone-flagged`) and kept in `milestoneFlags`.
 *
 * Idempotent: a baseline or program already recorded is kept as it is (a retry, or a replay long
 * after, must not move the starting point), and the flags are recomputed from the kept baseline, so
 * their timeline entries (IDs named by the flag, time = `at`) are the same on every attempt.
 */
export async function recordBaseline(
  { store, programId }: RecordBaselinePorts,
  input: { associationId: string; partnerId: string; at: string },
): Promise<{ workloads: number; flagged: number }> {
  const { value: association } = await store.associations.get(input.partnerId, input.associationId);
  const workloads = claimedWorkloadsOf(association);
  const baseline = association.baseline ?? (await measure(store, association, workloads, input.at));
  const program = getIncentiveProgram(
    association.incentiveProgramId ?? programId,
    association.incentiveProgramId ? association.incentiveProgramVersion : undefined,
  );
  const usage = baseline.workloads as Partial<Record<WorkloadId, BaselineUsage>>;
  const { flags } = evaluateMilestones({
    program,
    claimedWorkloads: workloads,
    baseline: { approvedAt: baseline.approvedAt, workloads: usage },
    // The baseline read as a reading: only what was already met at claim time comes out.
    reading: { reportRefreshDate: baseline.approvedAt.slice(0, 10), workloads: usage },
    recorded: [],
  });
  const atClaim = flags.filter((f) => f.reason === "exceeded-at-claim");
  for (const flag of atClaim) await store.auditEvents.append(flaggedAuditEvent(association, flag, input.at));
  await store.associations.update(association.partnerId, association.id, (current) => {
    const flagsNow = current.milestoneFlags ?? [];
    const merged = mergeFlags(flagsNow, atClaim, []);
    if (current.baseline && current.incentiveProgramId && merged.length === flagsNow.length) return current;
    return {
      ...current,
      baseline: current.baseline ?? baseline,
      incentiveProgramId: current.incentiveProgramId ?? program.id,
      incentiveProgramVersion: current.incentiveProgramVersion ?? program.version,
      milestoneFlags: merged,
      // No ledger row can exist before the first baseline (recordMilestones needs one), so the
      // projection of the ledger the usage poller reads starts complete and empty.
      recordedMilestones: current.recordedMilestones ?? (current.baseline ? undefined : []),
      updatedAt: input.at,
    };
  });
  return { workloads: workloads.length, flagged: atClaim.length };
}

/** The tenant's latest reading of each claimed workload; a workload never read starts at zero. */
async function measure(
  store: RecordBaselinePorts["store"],
  association: Association,
  workloads: readonly WorkloadId[],
  at: string,
): Promise<NonNullable<Association["baseline"]>> {
  const readings = await Promise.all(
    workloads.map((w) => store.usageSnapshots.latest(association.customerTenantId, w)),
  );
  return {
    // The time the status change recorded, not when this activity happened to run.
    approvedAt: association.status === "Approved" ? association.statusChangedAt : at,
    workloads: Object.fromEntries(
      workloads.map((w, i) => {
        const latest = readings[i];
        const paidSeats = latest?.paidSeats ?? 0;
        return [w, { paidSeats, activeUsers: latest?.activeUsers ?? 0, highWaterMark: paidSeats }];
      }),
    ),
  };
}
