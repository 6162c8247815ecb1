import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  lifecycleEvents,
  lifecycleInput,
  lifecycleOrchestratorName,
  usageReading,
  type LifecycleInput,
} from "../../src/domain/lifecycle";
import { associationStatus, type AssociationStatus } from "../../src/domain/status";
import {
  recordBaselineName,
  recordBaselineResult,
  type RecordBaselineInput,
} from "../activities/recordBaseline";
import {
  recordMilestonesName,
  recordMilestonesResult,
  type RecordMilestonesInput,
} from "../activities/recordMilestones";
import { readStatusName, type ReadStatusInput } from "../activities/readStatus";
import { sendConsentEmailName, type SendConsentEmailInput } from "../activities/sendConsentEmail";
import { setStatusName, type SetStatusInput } from "../activities/setStatus";

export const associationLifecycleName = lifecycleOrchestratorName;

/**
 * Activities retry what may pass (storage throttling, a mail server's hiccup) with backoff, a
 * bounded number of times. durable-functions cannot filter retries by error type, so an activity's
 * NonRetriableError (a missing association) is retried too, then fails the orchestration with its
 * message after the last attempt: it surfaces, and never loops.
 */
export const activityRetry: df.RetryOptions = Object.assign(new df.RetryOptions(5_000, 5), {
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 60_000,
});

type Lifecycle = ReturnType<typeof lifecycleInput.parse>;

/**
 * Drives one CPOR claim (instance ID = association ID) as Partner Center runs it, and keeps every
 * deadline. Decisions (the partner's PoE, submission, withdrawal and dispute; the customer's refusal
 * or cancellation; the reviewers' outcomes) are applied by the application layer and arrive here
 * as `StatusChanged`: the workflow then reads the status and carries on from it. The workflow makes
 * only the moves time makes, each one only from the status it waited in (`onlyFrom`), so a decision
 * applied meanwhile always wins:
 *
 *   Draft ──(decision: submitted)──▶ Submitted ──consent email──▶ UnderReview
 *     └ PoE deadline → Expired                                        ├ refusal window → Approved
 *   PartnerActionRequired ── partner-action window → Rejected (no partner response)
 *   Rejected ── dispute window → RejectedFinal ("dispute window closed")
 *   Dispute ── waits for the reviewers' outcome or a withdrawal
 *   Approved ── baseline once, then the usage loop (one reading per execution, continueAsNew);
 *               a claim with no workload to follow completes at once
 *   RejectedFinal, Expired: the workflow ends.
 *
 * Each state's timer starts when the workflow enters it and is cancelled when a decision comes
 * first. The usage loop completes, still Approved, once no threshold of the claimed workloads can
 * pay; a decision after that restarts the workflow where time matters again (src/app/lifecycle.ts).
 * Deterministic: time from `currentUtcDateTime`, IDs from `newGuid`, no I/O.
 */
export const associationLifecycle: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = lifecycleInput.parse(context.df.getInput());
  const flow = new Flow(context, input);
  let status = input.status;
  for (;;) {
    context.df.setCustomStatus({ status });
    switch (status) {
      case "Draft":
        status = yield* flow.waitThenMove(
          input.durations.poeDeadlineMs,
          "Expired",
          "the claim was not submitted before the PoE deadline",
        );
        break;
      case "Submitted":
        yield* flow.sendConsentEmail();
        status = yield* flow.move(
          "Submitted",
          "UnderReview",
          "consent email sent to the customer; review started",
        );
        break;
      case "UnderReview":
        status = yield* flow.waitThenMove(
          input.durations.refusalWindowMs,
          "Approved",
          "the refusal window passed without a refusal or a review outcome",
        );
        break;
      case "PartnerActionRequired":
        status = yield* flow.waitThenMove(
          input.durations.partnerActionWindowMs,
          "Rejected",
          "no-partner-response: the partner did not answer the reviewer in time",
        );
        break;
      case "Rejected":
        status = yield* flow.waitThenMove(
          input.durations.disputeWindowMs,
          "RejectedFinal",
          "dispute window closed",
        );
        break;
      case "Dispute":
        status = yield* flow.waitForDecision();
        break;
      case "Approved":
        return yield* flow.approved(input.baselineRecorded);
      default:
        return status; // RejectedFinal, Expired: nothing more can happen
    }
  }
};

/** The workflow's moves and waits over one execution. */
class Flow {
  /** The open StatusChanged waiter; replaced only once consumed, so no event is ever lost to an abandoned one. */
  private changed: Task;
  /** Where the association stands as far as this execution knows (after its last move or read). */
  private status: AssociationStatus;

  constructor(
    private readonly context: OrchestrationContext,
    private readonly input: Lifecycle,
  ) {
    this.changed = context.df.waitForExternalEvent(lifecycleEvents.statusChanged);
    this.status = input.status;
  }

  /**
   * Waits in the current status for a decision, or until `ms` pass; then moves to `to` (only from
   * the status waited in). Answers the status the association is in afterwards.
   */
  *waitThenMove(
    ms: number,
    to: AssociationStatus,
    reason: string,
  ): Generator<Task, AssociationStatus, unknown> {
    const waitingIn = this.status;
    if (this.changed.isCompleted) return yield* this.consumeChange();
    const dueAt = this.due(ms);
    // Operators tell a waiting workflow from a stuck one by this (GET /api/v1/admin/orchestrations).
    this.context.df.setCustomStatus({ status: waitingIn, waitingUntil: dueAt.toISOString() });
    const timer = this.context.df.createTimer(dueAt);
    const winner: unknown = yield this.context.df.Task.any([this.changed, timer]);
    if (winner === timer) return yield* this.move(waitingIn, to, reason);
    timer.cancel();
    return yield* this.consumeChange();
  }

  /** Waits, without a deadline, for a decision (the reviewers' answer to a dispute). */
  *waitForDecision(): Generator<Task, AssociationStatus, unknown> {
    this.context.df.setCustomStatus({ status: this.status, waitingFor: "decision" });
    if (!this.changed.isCompleted) yield this.changed;
    return yield* this.consumeChange();
  }

  /** One timed move; answers the status afterwards (a decision applied meanwhile wins). */
  *move(
    from: AssociationStatus,
    to: AssociationStatus,
    reason: string,
  ): Generator<Task, AssociationStatus, unknown> {
    const change: SetStatusInput = {
      associationId: this.input.associationId,
      partnerId: this.input.partnerId,
      to,
      actor: "system",
      reason,
      changeId: this.context.df.newGuid(this.input.associationId),
      at: this.context.df.currentUtcDateTime.toISOString(),
      onlyFrom: [from],
    };
    const result: unknown = yield this.context.df.callActivityWithRetry(setStatusName, activityRetry, change);
    this.status = associationStatus.parse(result);
    return this.status;
  }

  /** Emails the customer once per association (the activity's outbox row is the guard). */
  *sendConsentEmail(): Generator<Task, void, unknown> {
    const email: SendConsentEmailInput = {
      associationId: this.input.associationId,
      partnerId: this.input.partnerId,
      at: this.context.df.currentUtcDateTime.toISOString(),
      refusalWindowEndsAt: this.due(this.input.durations.refusalWindowMs).toISOString(),
    };
    yield this.context.df.callActivityWithRetry(sendConsentEmailName, activityRetry, email);
  }

  /**
   * Approved: the baseline (usage at approval) once, then one step of the usage loop per execution:
   * the first of a decision and a usage reading. A reading goes to recordMilestones; with nothing
   * left to earn the workflow completes, still Approved. Otherwise it continues as new (months of
   * daily readings never grow one history); events nothing consumed are carried into the next one.
   */
  *approved(baselineRecorded: boolean): Generator<Task, AssociationStatus | undefined, unknown> {
    if (!baselineRecorded) {
      const baseline: RecordBaselineInput = {
        associationId: this.input.associationId,
        partnerId: this.input.partnerId,
        at: this.context.df.currentUtcDateTime.toISOString(),
      };
      const recorded = recordBaselineResult.parse(
        yield this.context.df.callActivityWithRetry(recordBaselineName, activityRetry, baseline),
      );
      // A claim with no workload to follow (a subscription claim, RevRec) has nothing left to earn.
      if (recorded.workloads === 0 && !this.changed.isCompleted) return "Approved";
      return this.continueIn("Approved", true);
    }
    const usage = this.context.df.waitForExternalEvent(lifecycleEvents.usageReported);
    this.context.df.setCustomStatus({ status: "Approved", waitingFor: "usage" });
    if (!this.changed.isCompleted) yield this.context.df.Task.any([this.changed, usage]);
    if (!this.changed.isCompleted && usage.isCompleted) {
      const remaining = yield* this.recordMilestones(usage.result);
      if (remaining === 0 && !this.changed.isCompleted) return "Approved";
    }
    if (!this.changed.isCompleted) return this.continueIn("Approved", true);
    const status = yield* this.consumeChange();
    return this.continueIn(status, true);
  }

  /** Records what one reading earns; answers how many thresholds may still pay (undefined: bad payload). */
  private *recordMilestones(payload: unknown): Generator<Task, number | undefined, unknown> {
    const reading = usageReading.safeParse(payload);
    if (!reading.success) return undefined; // the poller always sends a reading: drop anything else
    const call: RecordMilestonesInput = {
      associationId: this.input.associationId,
      partnerId: this.input.partnerId,
      reading: reading.data,
      at: this.context.df.currentUtcDateTime.toISOString(),
    };
    const result = recordMilestonesResult.parse(
      yield this.context.df.callActivityWithRetry(recordMilestonesName, activityRetry, call),
    );
    return result.remaining;
  }

  /** A StatusChanged arrived: read where the association stands now (events may arrive in any order). */
  private *consumeChange(): Generator<Task, AssociationStatus, unknown> {
    this.changed = this.context.df.waitForExternalEvent(lifecycleEvents.statusChanged);
    const read: ReadStatusInput = {
      associationId: this.input.associationId,
      partnerId: this.input.partnerId,
    };
    const result: unknown = yield this.context.df.callActivityWithRetry(readStatusName, activityRetry, read);
    this.status = associationStatus.parse(result);
    return this.status;
  }

  private continueIn(status: AssociationStatus, baselineRecorded: boolean): undefined {
    this.context.df.continueAsNew({ ...this.input, status, baselineRecorded } satisfies LifecycleInput);
    return undefined;
  }

  private due(ms: number): Date {
    return new Date(this.context.df.currentUtcDateTime.getTime() + ms);
  }
}

df.app.orchestration(associationLifecycleName, associationLifecycle);
