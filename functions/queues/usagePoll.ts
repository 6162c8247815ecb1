import { app, type InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import { pollTenants, type TenantOutcome, type UsagePollPorts } from "../../src/app/usagePolling";
import type { Association } from "../../src/domain/association";
import { lifecycleEvents, type UsageReading } from "../../src/domain/lifecycle";
import {
  usagePollMessage,
  type UsagePollMessage,
  type UsagePollQueue,
  type UsagePollTenant,
} from "../../src/integrations/usage/usagePollQueue";
import type { UsageProvider } from "../../src/integrations/usage/usageProvider";
import { getPorts } from "../composition";
import { readQueueMessage } from "../readQueueMessage";
import { raiseThroughDurableClient, type RaiseLifecycleEvent } from "../raiseLifecycleEvent";

export const usagePollTenantName = "usagePollTenant";

export interface UsagePollTenantPorts {
  store: UsagePollPorts["store"];
  usageProvider: UsageProvider;
  clock: () => Date;
  defaultProgramId: string;
  raise: RaiseLifecycleEvent;
  /** The usage-poll queue itself: a tenant that failed beside others is sent back through it alone. */
  queue: UsagePollQueue;
}

/**
 * Reads the customer tenants of one message of the queue `usage-poll` (the usage-poll timer's
 * `{tenants}`, or one tenant alone, see src/integrations/usage/usagePollQueue.ts), each once and in
 * turn, and hands each reading to the lifecycles it concerns (`pollTenants` in
 * src/app/usagePolling.ts): UsageReported, payload the reading, on each Approved Modern Work &
 * Security association of the tenant for which a new report changes something (a milestone not
 * recorded, a flag not stored, nothing left to earn). Raising on a completed orchestration is
 * accepted and dropped by Durable; an association without an orchestration is logged and skipped.
 *
 * Failures: a provider's TransientDependencyError (throttling, 5xx) and storage or Durable failures
 * fail that tenant: alone, or every tenant of the message, the message throws and the host retries
 * it (then `usage-poll-poison`); beside tenants that succeeded, the failed tenant is sent back to the
 * queue alone and the message completes. A NonRetriableError (consent withdrawn, 401/403) is logged
 * and the tenant is done: the next poll tries again. A message that fits no form is poison. Logs
 * name the tenant and counts, one line per tenant, never usage figures.
 */
export function createUsagePollTenantHandler(getTenantPorts: () => UsagePollTenantPorts) {
  return async (queueEntry: unknown, context: InvocationContext): Promise<void> => {
    const message = readMessage(queueEntry, context);
    const { queue, ...ports } = getTenantPorts();
    const report = async (association: Association, reading: UsageReading) => {
      try {
        await ports.raise(association.id, lifecycleEvents.usageReported, reading, context);
        return "reported" as const;
      } catch (err) {
        if (isUnknownInstance(err)) return "no-workflow" as const;
        context.warn(
          `${usagePollTenantName}: tenant ${association.customerTenantId}: raising UsageReported on association ${association.id} failed: ${String(err)}`,
        );
        throw err;
      }
    };
    await pollTenants(
      { ...ports, report, retryAlone: (tenant) => queue.enqueue({ ...tenant, retried: true }) },
      message,
      dequeueCountOf(context) > 1,
      (tenant, outcome) => logOutcome(tenant, outcome, context),
    );
  };
}

/** One line per tenant of the message: what its reading came to. */
function logOutcome(tenant: UsagePollTenant, result: TenantOutcome, context: InvocationContext): void {
  const tag = `${usagePollTenantName}: tenant ${tenant.customerTenantId}`;
  switch (result.kind) {
    case "failed":
      context.warn(`${tag}: reading failed, to be tried again: ${String(result.error)}`);
      return;
    case "unreadable":
      context.error(`${tag}: usage cannot be read, nothing recorded: ${result.why}`);
      return;
    case "nothing-new":
      context.log(`${tag}: ${result.summary}; nothing new, nothing raised`);
      return;
    case "reported":
      for (const id of result.withoutWorkflow)
        context.warn(`${tag}: association ${id} has no lifecycle orchestration; skipped`);
      context.log(
        `${tag}: ${result.summary}; ${result.approved} Approved association(s) judged: ` +
          `UsageReported raised on ${result.reported} association(s), ${result.unchanged} unchanged`,
      );
  }
}

/** The DurableClient rejects a raise on an unknown instance with this message (it accepts 410). */
function isUnknownInstance(err: unknown): boolean {
  return err instanceof Error && /^No instance with ID '.*' found\.$/.test(err.message);
}

/** The queue message as the schema wants it; anything else is poison. */
function readMessage(queueEntry: unknown, context: InvocationContext): UsagePollMessage {
  return readQueueMessage(usagePollMessage, queueEntry, context, {
    tag: usagePollTenantName,
    label: "usage poll",
    poisonQueue: "usage-poll-poison",
  });
}

/** The trigger's dequeue count (1 on the first delivery), when the host gave it. */
function dequeueCountOf(context: InvocationContext): number {
  const count = Number(context.triggerMetadata?.["dequeueCount"] ?? 1);
  return Number.isFinite(count) ? count : 1;
}

app.storageQueue(usagePollTenantName, {
  // An app setting (`USAGE_POLL_QUEUE`), so side-by-side deployments and tests keep apart.
  queueName: "%USAGE_POLL_QUEUE%",
  connection: "AzureWebJobsStorage",
  extraInputs: [df.input.durableClient()],
  handler: createUsagePollTenantHandler(() => {
    const { store, clock, usageProvider, settings, usagePollQueue } = getPorts();
    return {
      store,
      clock,
      usageProvider,
      defaultProgramId: settings.incentiveProgramId,
      raise: raiseThroughDurableClient,
      queue: usagePollQueue,
    };
  }),
});
