import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler, Task } from "durable-functions";
import {
  dporRequestInput,
  dporRequestOrchestratorName,
  type DporRequestInput,
} from "../../src/domain/dporRequest";
import { lifecycleEvents } from "../../src/domain/lifecycle";
import { associationStatus, type AssociationStatus } from "../../src/domain/status";
import { readStatusName, type ReadStatusInput } from "../activities/readStatus";
import { sendDporEmailName, type SendDporEmailInput } from "../activities/sendDporEmail";
import { setStatusName, type SetStatusInput } from "../activities/setStatus";
import { settleDporName, type SettleDporInput } from "../activities/settleDpor";
import { activityRetry } from "./associationLifecycle";

export const dporRequestName = dporRequestOrchestratorName;

/**
 * Asks a customer to set the partner as DPOR of one subscription (instance ID = association ID),
 * while the association is Requested:
 *
 *   request email ─▶ reminder 1 at start + remindersMs[0] ─▶ … ─▶ Expired at start + requestWindowMs
 *
 * The partner's confirmation (Active) or withdrawal is applied by the application layer and arrives
 * as `StatusChanged`: the workflow reads the status and, when it is no longer Requested, settles it
 * (`settleDpor`) and ends (a stray event changes nothing and the wait goes on, to the same
 * deadline). Started in another status (a move after an earlier run ended), it only settles. Expired is applied only from
 * Requested, so a decision applied meanwhile wins. Reminders due at or after the window are not sent.
 * Deterministic: time from `currentUtcDateTime`, IDs from `newGuid`, no I/O.
 */
export const dporRequest: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = dporRequestInput.parse(context.df.getInput());
  if (input.status !== "Requested") return yield* settle(context, input, input.status);
  const start = context.df.currentUtcDateTime.getTime();
  const { remindersMs, requestWindowMs } = input.durations;
  const expiresAt = new Date(start + requestWindowMs).toISOString();
  context.df.setCustomStatus({ status: "Requested" });

  yield* sendEmail(context, input, 0, expiresAt);
  const reminders = remindersMs.filter((ms) => ms < requestWindowMs);
  let changed = context.df.waitForExternalEvent(lifecycleEvents.statusChanged);
  let next = 0; // the next reminder's index; reminders.length: the expiry is next
  while (next <= reminders.length) {
    const dueAt = new Date(start + (reminders[next] ?? requestWindowMs));
    context.df.setCustomStatus({ status: "Requested", waitingUntil: dueAt.toISOString() });
    const timer = context.df.createTimer(dueAt);
    const winner: unknown = yield context.df.Task.any([changed, timer]);
    if (winner !== timer) {
      timer.cancel();
      changed = context.df.waitForExternalEvent(lifecycleEvents.statusChanged);
      const status = yield* readStatus(context, input);
      if (status !== "Requested") return yield* settle(context, input, status);
      continue;
    }
    if (next === reminders.length) {
      // A decision applied without telling the workflow (its caller died between) wins over the
      // expiry, and is settled here at the latest.
      const status = yield* expire(context, input);
      return status === "Expired" ? status : yield* settle(context, input, status);
    }
    next += 1;
    yield* sendEmail(context, input, next, expiresAt);
  }
  return undefined;
};

function* sendEmail(
  context: OrchestrationContext,
  input: DporRequestInput,
  reminder: number,
  expiresAt: string,
): Generator<Task, void, unknown> {
  const email: SendDporEmailInput = {
    associationId: input.associationId,
    partnerId: input.partnerId,
    at: context.df.currentUtcDateTime.toISOString(),
    reminder,
    expiresAt,
  };
  yield context.df.callActivityWithRetry(sendDporEmailName, activityRetry, email);
}

/** The DPOR left Requested: settle what follows from where it is now (idempotent), then end there. */
function* settle(
  context: OrchestrationContext,
  input: DporRequestInput,
  status: AssociationStatus,
): Generator<Task, AssociationStatus, unknown> {
  const call: SettleDporInput = { associationId: input.associationId, partnerId: input.partnerId };
  if (status !== "Expired") yield context.df.callActivityWithRetry(settleDporName, activityRetry, call);
  return status;
}

function* readStatus(
  context: OrchestrationContext,
  input: DporRequestInput,
): Generator<Task, AssociationStatus, unknown> {
  const read: ReadStatusInput = { associationId: input.associationId, partnerId: input.partnerId };
  return associationStatus.parse(yield context.df.callActivityWithRetry(readStatusName, activityRetry, read));
}

function* expire(
  context: OrchestrationContext,
  input: DporRequestInput,
): Generator<Task, AssociationStatus, unknown> {
  const change: SetStatusInput = {
    associationId: input.associationId,
    partnerId: input.partnerId,
    to: "Expired",
    actor: "system",
    reason: "the customer did not set the partner ID on the subscription within the request window",
    changeId: context.df.newGuid(input.associationId),
    at: context.df.currentUtcDateTime.toISOString(),
    onlyFrom: ["Requested"],
  };
  return associationStatus.parse(
    yield context.df.callActivityWithRetry(setStatusName, activityRetry, change),
  );
}

df.app.orchestration(dporRequestName, dporRequest);
