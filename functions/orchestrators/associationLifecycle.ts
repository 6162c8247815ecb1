import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  lifecycleEvents,
  lifecycleInput,
  lifecycleSignal,
  type LifecycleInput,
} from "../../src/domain/lifecycle";
import { associationStatus, type Actor, type AssociationStatus } from "../../src/domain/status";
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
 * (DESIGN.md "The association lifecycle", steps 1–3) and returns that status:
 *
 *   Draft ──PoeSubmitted──▶ Submitted ──consent email──▶ UnderReview ──window passes──▶ Approved
 *     │ deadline → Expired                                 │ refusal → Rejected          │ cancel → Rejected
 *   PartnerWithdrew in any of them → RejectedFinal
 *
 * Events that make no sense where they arrive do not break it: a customer's cancel before approval
 * counts as a refusal, a refusal after approval as a cancel, and customer events that arrive before
 * the review starts wait for it (the SDK buffers them). An event that arrives while an activity runs
 * is handled as soon as it returns. Deterministic: time from `currentUtcDateTime`, IDs from `newGuid`.
 */
export const associationLifecycle: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = lifecycleInput.parse(context.df.getInput());
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

  // 4. Approved: the customer may still cancel, the partner may still withdraw.
  // The usage loop attaches here (DESIGN.md steps 4–5): snapshotBaseline, then wait for UsageReported
  // or one of these events, evaluate milestones, and continueAsNew after each reading. Until then the
  // orchestration completes on the first of these events.
  const approved = yield* firstOf(context, [on.withdrew, on.cancelled, on.refused]);
  if (approved === on.withdrew) return yield* withdraw();
  return yield* move("Rejected", "customer", `customer declined: ${reasonOf(approved, "no reason given")}`);
};

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
  const signal = (name: string): Signal => ({ name, task: context.df.waitForExternalEvent(name) });
  return {
    poe: signal(lifecycleEvents.poeSubmitted),
    withdrew: signal(lifecycleEvents.partnerWithdrew),
    refused: signal(lifecycleEvents.customerRefused),
    cancelled: signal(lifecycleEvents.customerCancelled),
  };
}

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
