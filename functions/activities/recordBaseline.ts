import * as df from "durable-functions";
import { z } from "zod";
import { getIncentiveProgram } from "../../src/config/incentivePrograms";
import type { Association } from "../../src/domain/association";
import { NonRetriableError, NotFoundError, ValidationError } from "../../src/domain/errors";
import { evaluateMilestones, type BaselineUsage } from "../../src/domain/milestones";
import type { WorkloadId } from "../../src/domain/workloads";
import type { Store } from "../../src/store/store";
import { getPorts } from "../composition";
import { claimedWorkloadsOf, flaggedAuditEvent, mergeFlags } from "./recordMilestones";

export const recordBaselineName = "recordBaseline";

/** Asked for once the association is Approved; `at` is the orchestration's time (replay-safe). */
export const recordBaselineInput = z
  .object({
    associationId: z.string().min(1).max(64),
    partnerId: z.string().min(1).max(64),
    at: z.iso.datetime("must be an ISO 8601 UTC timestamp"),
  })
  .strict();
export type RecordBaselineInput = z.infer<typeof recordBaselineInput>;

/** How many claimed workloads the baseline covers and how many thresholds were already met at claim time. */
export const recordBaselineResult = z
  .object({ workloads: z.number().int().nonnegative(), flagged: z.number().int().nonnegative() })
  .strict();
export type RecordBaselineResult = z.infer<typeof recordBaselineResult>;

export interface RecordBaselinePorts {
  store: Pick<Store, "associations" | "auditEvents" | "usageSnapshots">;
  /** The program in force for new approvals (settings.incentiveProgramId; its highest version). */
  programId: string;
}

/**
 * Records the usage the association starts from (DESIGN.md lifecycle step 4): per claimed workload,
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
export function createRecordBaseline({ store, programId }: RecordBaselinePorts) {
  return async (raw: unknown): Promise<RecordBaselineResult> => {
    const input = parseInput(raw);
    const { value: association } = await nonRetriable(() =>
      store.associations.get(input.partnerId, input.associationId),
    );
    const workloads = claimedWorkloadsOf(association);
    const baseline = association.baseline ?? (await measure(store, association, workloads, input.at));
    const program = await nonRetriable(() =>
      Promise.resolve(
        getIncentiveProgram(
          association.incentiveProgramId ?? programId,
          association.incentiveProgramId ? association.incentiveProgramVersion : undefined,
        ),
      ),
    );
    const usage = baseline.workloads as Partial<Record<WorkloadId, BaselineUsage>>;
    const { flags } = await nonRetriable(() =>
      Promise.resolve(
        evaluateMilestones({
          program,
          claimedWorkloads: workloads,
          baseline: { approvedAt: baseline.approvedAt, workloads: usage },
          // The baseline read as a reading: only what was already met at claim time comes out.
          reading: { reportRefreshDate: baseline.approvedAt.slice(0, 10), workloads: usage },
          recorded: [],
        }),
      ),
    );
    const atClaim = flags.filter((f) => f.reason === "exceeded-at-claim");
    for (const flag of atClaim)
      await store.auditEvents.append(flaggedAuditEvent(association, flag, input.at));
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
        updatedAt: input.at,
      };
    });
    return { workloads: workloads.length, flagged: atClaim.length };
  };
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

function parseInput(raw: unknown): RecordBaselineInput {
  const parsed = recordBaselineInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  throw new NonRetriableError(`${recordBaselineName}: ${new ValidationError(issues).message}`, {
    cause: parsed.error,
  });
}

/** A missing association or program, or impossible stored counts, cannot pass on retry. */
async function nonRetriable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ValidationError || err instanceof NotFoundError)
      throw new NonRetriableError(`${recordBaselineName}: ${err.message}`, { cause: err });
    throw err;
  }
}

df.app.activity(recordBaselineName, {
  handler: (input: unknown) => {
    const { store, settings } = getPorts();
    return createRecordBaseline({ store, programId: settings.incentiveProgramId })(input);
  },
});
