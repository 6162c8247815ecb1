import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  lifecycleEvents,
  lifecycleInput,
  lifecycleSignal,
  usageReading,
  type LifecycleInput,
} from "../../src/domain/lifecycle";
import { associationStatus, type Actor, type AssociationStatus } from "../../src/domain/status";
import { recordBaselineName, type RecordBaselineInput } from "../activities/recordBaseline";
import {
  recordMilestonesName,
  recordMilestonesResult,
  type RecordMilestonesInput,
} from "../activities/recordMilestones";
import { sendConsentEmailName, type SendConsentEmailInput } from "../activities/sendConsentEmail";
import { setStatusName, type SetStatusInput } from "../activities/setStatus";

export const associationLifecycleName = "associationLifecycle";

/**
 * Activities retry what may pass (storage throttling, a mail server's hiccup) with backoff, a
 * bounded number of times. durable-functions cannot filter retries by error type, so an activity's
 * NonRetriableError (an illegal move, a missing association) is retried too, then fails the
 * orchestration with its message after the last attempt: it surfaces, and never loops.
 */
export const activityRetry: df.RetryOptions = Object.assign(new df.RetryOptions(5_000, 5), {
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 60_000,
});

/**
 * Drives one CPOR association (instance ID = association ID) from Draft to a final status
 * (DESIGN.md "The association lifecycle") and returns that status:
 *
 *   Draft ──PoeSubmitted──▶ Submitted ──consent email──▶ UnderReview ──window passes──▶ Approved
 *     │ deadline → Expired                                 │ refusal → Rejected          │ cancel → Rejected
 *   PartnerWithdrew in any of them → RejectedFinal
 *
 * Two phases (input `phase`), each its own execution:
 * - "draft" runs the claim up to Approved, records the baseline (recordBaseline) and continues as
 *   new in phase "approved";
 * - "approved" is the usage loop: it waits for one UsageReported, CustomerCancelled or
 *   PartnerWithdrew; a reading goes to recordMilestones, and then the execution continues as new
 *   (same input), so months of daily readings never grow one history. Once no threshold of the
 *   claimed workloads can pay any more, the orchestration completes, still Approved.
 *
 * Events that make no sense where they arrive do not break it: a customer's cancel before approval
 * counts as a refusal, a refusal after approval as a cancel, and customer events that arrive before
 * the review starts wait for it (the SDK buffers them). An event that arrives while an activity runs
 * is handled as soon as it returns, before any continueAsNew; events nothing waited for are carried
 * into the next execution by the host. Deterministic: time from `currentUtcDateTime`, IDs from `newGuid`.
 */
export const associationLifecycle: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = lifecycleInput.parse(context.df.getInput());
  if (input.phase === "approved") return yield* usageLoop(context, input);
  const on = listen(context);
  const move = (to: AssociationStatus, actor: Actor, reason: string) =>
    setStatus(context, input, to, actor, reason);
  const withdraw = () => move("RejectedFinal", "partner", reasonOf(on.withdrew, "the partner withdrew"));
  context.df.setCustomStatus({ status: "Draft" });

  // 1. Draft: the partner has until the PoE deadline to submit the proof of execution.
  const draft = yield* firstOf(context, [on.withdrew, on.poe], due(context, input.durations.poeDeadlineMs));
  if (draft === "timeout")
    return yield* move("Expired", "system", "no proof of execution before the deadline");
  if (draft === on.withdrew) return yield* withdraw();

  // 2. Submitted: the customer is told, once (the activity's outbox row is the guard), and review starts.
  yield* move("Submitted", "partner", "proof of execution submitted");
  if (on.withdrew.task.isCompleted) return yield* withdraw(); // withdrawn meanwhile: no email
  const email: SendConsentEmailInput = {
    associationId: input.associationId,
    partnerId: input.partnerId,
    at: context.df.currentUtcDateTime.toISOString(),
    refusalWindowEndsAt: due(context, input.durations.refusalWindowMs).toISOString(),
  };
  yield context.df.callActivityWithRetry(sendConsentEmailName, activityRetry, email);
  yield* move("UnderReview", "system", "consent email sent to the customer");

  // 3. UnderReview: the customer may refuse until the refusal window passes (it starts now, so it is
  //    never shorter than the date the email named).
  const review = yield* firstOf(
    context,
    [on.withdrew, on.refused, on.cancelled],
    due(context, input.durations.refusalWindowMs),
  );
  if (review === on.withdrew) return yield* withdraw();
  if (review !== "timeout")
    return yield* move("Rejected", "customer", `customer refused: ${reasonOf(review, "no reason given")}`);
  yield* move("Approved", "system", "refusal window passed");

  // 4. Approved: the baseline (usage at approval) is recorded once, then the usage loop starts in a
  //    fresh execution. An end that arrived meanwhile (these waiters were awaited in this execution,
  //    so the host would not carry them over) is handled here first.
  const ends = [on.withdrew, on.cancelled, on.refused];
  let ended = ends.find((s) => s.task.isCompleted);
  if (!ended) {
    const baseline: RecordBaselineInput = {
      associationId: input.associationId,
      partnerId: input.partnerId,
      at: context.df.currentUtcDateTime.toISOString(),
    };
    yield context.df.callActivityWithRetry(recordBaselineName, activityRetry, baseline);
    ended = ends.find((s) => s.task.isCompleted);
  }
  if (ended === on.withdrew) return yield* withdraw();
  if (ended) return yield* decline(context, input, ended);
  context.df.continueAsNew({ ...input, phase: "approved" } satisfies LifecycleInput);
  return undefined;
};

/**
 * 5. Approved, one reading at a time (DESIGN.md step 5): the first of PartnerWithdrew, a customer's
 *    cancel (or a late refusal, read as one) and UsageReported, in that order of weight. A reading
 *    whose payload is not a usage reading is dropped (the poller always sends one).
 *
 * Completing (nothing left to earn) ends the orchestration while the association stays Approved:
 * a CustomerCancelled or PartnerWithdrew raised after that reaches no running instance (raising an
 * event on a completed one is accepted and dropped), so whoever raises those events must apply the
 * change itself when the instance has completed (see the API and consent-page handlers).
 */
function* usageLoop(
  context: OrchestrationContext,
  input: LifecycleInput,
): Generator<Task, AssociationStatus | undefined, unknown> {
  context.df.setCustomStatus({ status: "Approved" });
  const on = { ...listen(context), usage: signalOf(context, lifecycleEvents.usageReported) };
  const ends = [on.withdrew, on.cancelled, on.refused];
  const withdraw = () =>
    setStatus(context, input, "RejectedFinal", "partner", reasonOf(on.withdrew, "the partner withdrew"));

  let next = yield* firstOf(context, [...ends, on.usage]);
  if (next === on.usage) {
    const reading = usageReading.safeParse(on.usage.task.result);
    if (reading.success) {
      const call: RecordMilestonesInput = {
        associationId: input.associationId,
        partnerId: input.partnerId,
        reading: reading.data,
        at: context.df.currentUtcDateTime.toISOString(),
      };
      const result = recordMilestonesResult.parse(
        yield context.df.callActivityWithRetry(recordMilestonesName, activityRetry, call),
      );
      // Nothing left to earn: done. (A later cancel or withdrawal must then be applied without this
      // instance; see above.)
      if (result.remaining === 0 && !ends.some((s) => s.task.isCompleted)) return "Approved";
    }
    next = ends.find((s) => s.task.isCompleted) ?? on.usage;
  }
  if (next === on.withdrew) return yield* withdraw();
  if (next !== on.usage) return yield* decline(context, input, next);
  context.df.continueAsNew(input);
  return undefined;
}

/** After approval, a customer's cancel (or refusal) rejects the association. */
function decline(
  context: OrchestrationContext,
  input: LifecycleInput,
  signal: Signal,
): Generator<Task, AssociationStatus, unknown> {
  return setStatus(
    context,
    input,
    "Rejected",
    "customer",
    `customer declined: ${reasonOf(signal, "no reason given")}`,
  );
}

/** One external event the lifecycle listens for, for the whole execution. */
interface Signal {
  name: string;
  task: Task;
}

/**
 * One waiter per event name for the whole execution, reused in every wait. Fresh waiters per stage
 * would let an event that arrives while an activity runs complete the previous stage's (already
 * abandoned) waiter and be lost; a reused waiter keeps it, completed, for the next wait.
 */
function listen(context: OrchestrationContext) {
  return {
    poe: signalOf(context, lifecycleEvents.poeSubmitted),
    withdrew: signalOf(context, lifecycleEvents.partnerWithdrew),
    refused: signalOf(context, lifecycleEvents.customerRefused),
    cancelled: signalOf(context, lifecycleEvents.customerCancelled),
  };
}

const signalOf = (context: OrchestrationContext, name: string): Signal => ({
  name,
  task: context.df.waitForExternalEvent(name),
});

/**
 * The first of `signals` to arrive, or "timeout" when `deadline` comes first; the timer is cancelled
 * when an event wins. A signal that already arrived (while an activity ran) wins at once, without
 * a timer; when several did, the earlier in `signals` wins, so callers list the weightier first.
 */
function firstOf(context: OrchestrationContext, signals: readonly Signal[]): Generator<Task, Signal, unknown>;
function firstOf(
  context: OrchestrationContext,
  signals: readonly Signal[],
  deadline: Date,
): Generator<Task, Signal | "timeout", unknown>;
function* firstOf(
  context: OrchestrationContext,
  signals: readonly Signal[],
  deadline?: Date,
): Generator<Task, Signal | "timeout", unknown> {
  const arrived = signals.find((s) => s.task.isCompleted);
  if (arrived) return arrived;
  const timer = deadline && context.df.createTimer(deadline);
  const winner: unknown = yield context.df.Task.any([
    ...signals.map((s) => s.task),
    ...(timer ? [timer] : []),
  ]);
  if (timer && winner === timer) return "timeout";
  if (timer && !timer.isCompleted) timer.cancel();
  const signal = signals.find((s) => s.task === winner);
  if (!signal) throw new Error("associationLifecycle: Task.any returned a task it was not given");
  return signal;
}

/** Asks the setStatus activity for one change and mirrors the result in the custom status. */
function* setStatus(
  context: OrchestrationContext,
  input: LifecycleInput,
  to: AssociationStatus,
  actor: Actor,
  reason: string,
): Generator<Task, AssociationStatus, unknown> {
  const change: SetStatusInput = {
    associationId: input.associationId,
    partnerId: input.partnerId,
    to,
    actor,
    reason: reason.slice(0, maxReasonLength),
    changeId: context.df.newGuid(input.associationId),
    at: context.df.currentUtcDateTime.toISOString(),
  };
  const result: unknown = yield context.df.callActivityWithRetry(setStatusName, activityRetry, change);
  const status = associationStatus.parse(result);
  context.df.setCustomStatus({ status });
  return status;
}

/** Status-change reasons are at most this long (statusChange.reason). */
const maxReasonLength = 4000;

/** The reason an event carried (a LifecycleSignal), or `fallback` when it carried none usable. */
function reasonOf(signal: Signal, fallback: string): string {
  const payload = signal.task.result;
  const field =
    typeof payload === "object" && payload !== null && "reason" in payload ? payload.reason : undefined;
  const reason = lifecycleSignal.shape.reason.safeParse(field);
  return reason.success && reason.data.trim() !== "" ? reason.data.trim() : fallback;
}

const due = (context: OrchestrationContext, ms: number): Date =>
  new Date(context.df.currentUtcDateTime.getTime() + ms);

df.app.orchestration(associationLifecycleName, associationLifecycle);
